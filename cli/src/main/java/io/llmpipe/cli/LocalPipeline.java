package io.llmpipe.cli;

import io.llmpipe.localkafka.LocalKafka;
import io.llmpipe.protocol.Topics;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The whole pipeline on loopback: a real single-node Kafka broker and the services as separate JVM
 * processes, each waited for until healthy. {@code pipeline up}, the end-to-end tests and
 * {@code pipeline bench pipeline} all run it; tests can kill and restart a service.
 */
public final class LocalPipeline implements AutoCloseable {
    /** Partitions per topic: enough for several prefill/decode instances to share the work. */
    public static final Map<String, Integer> TOPIC_PARTITIONS = topicPartitions();

    /** Start order: the gateway last, so it takes traffic only when the rest is up. */
    public static final List<String> SERVICES = List.of("retrieval-service", "decode-service", "prefill-service", "gateway");

    /**
     * What to run.
     *
     * @param projectDir   the repository root (each service jar in MODULE/target/quarkus-app)
     * @param model        the model file every service loads
     * @param tokenizer    a llama2.c tokenizer file, or null
     * @param modelId      the name clients use for the model
     * @param context      context length, 0 = the model's
     * @param gatewayPort  the first gateway's port, 0 = any free port
     * @param gateways     how many gateway instances (each on its own port)
     * @param dataDir      broker data, service logs and the retrieval collections ({@code retrieval/})
     * @param properties   extra system properties for every service (e.g. llmpipe.decode.max-batch), or for one
     *                     service when the key starts with its name and a colon ({@code decode-service:llmpipe.threads})
     * @param retrievalPort the retrieval-service's port (where {@code pipeline ingest} looks by default), 0 = any free port
     */
    public record Options(Path projectDir, Path model, Path tokenizer, String modelId, int context, int gatewayPort,
                          int gateways, Path dataDir, Map<String, String> properties, int retrievalPort) {

        /** Any free port for the retrieval-service (tests, benchmarks). */
        public Options(Path projectDir, Path model, Path tokenizer, String modelId, int context, int gatewayPort,
                       int gateways, Path dataDir, Map<String, String> properties) {
            this(projectDir, model, tokenizer, modelId, context, gatewayPort, gateways, dataDir, properties, 0);
        }
    }

    private final Options options;
    private final LocalKafka kafka;
    private final Path logs;
    private final Map<String, Process> processes = new LinkedHashMap<>();
    private final Map<String, Integer> ports = new LinkedHashMap<>();

    private LocalPipeline(Options options, LocalKafka kafka, Path logs) {
        this.options = options;
        this.kafka = kafka;
        this.logs = logs;
    }

    /** Starts the broker and every service, and waits until all report ready. */
    public static LocalPipeline start(Options options, PrintWriter out) throws IOException, InterruptedException {
        Path logs = options.dataDir().resolve("logs");
        Files.createDirectories(logs);
        out.println("[up] starting Kafka (KRaft, 127.0.0.1), data in " + options.dataDir().resolve("kafka"));
        out.flush();
        LocalKafka kafka = LocalKafka.start(new LocalKafka.Options(options.dataDir().resolve("kafka"), 0, TOPIC_PARTITIONS,
                options.projectDir().resolve("deploy/local-kafka/target/kafka-lib"), LocalKafka.DEFAULT_START_TIMEOUT));
        LocalPipeline pipeline = new LocalPipeline(options, kafka, logs);
        try {
            List<String> names = new ArrayList<>(SERVICES.subList(0, SERVICES.size() - 1));
            for (int g = 0; g < options.gateways(); g++) {
                names.add(g == 0 ? "gateway" : "gateway-" + g);
            }
            for (String name : names) {
                int port = name.equals("gateway") && options.gatewayPort() > 0 ? options.gatewayPort()
                        : name.equals("retrieval-service") && options.retrievalPort() > 0 ? options.retrievalPort() : freePort();
                pipeline.ports.put(name, port);
                pipeline.processes.put(name, pipeline.launch(name));
            }
            for (String name : names) {
                pipeline.awaitHealthy(name);
                out.printf("[up] %-17s healthy on http://127.0.0.1:%d%n", name, pipeline.ports.get(name));
                out.flush();
            }
            return pipeline;
        } catch (IOException | InterruptedException | RuntimeException e) {
            pipeline.close();
            throw e;
        }
    }

    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    public Path logs() {
        return logs;
    }

    /** The base URL of a service, e.g. {@code http://127.0.0.1:8080} for "gateway". */
    public String url(String service) {
        Integer port = ports.get(service);
        if (port == null) {
            throw new IllegalArgumentException("no service " + service + " (running: " + ports.keySet() + ")");
        }
        return "http://127.0.0.1:" + port;
    }

    /** A process that has exited, as "name (exit code)", or null while all run. */
    public String exited() {
        for (var e : processes.entrySet()) {
            if (!e.getValue().isAlive()) {
                return e.getKey() + " exited with code " + e.getValue().exitValue() + "; see " + logs.resolve(e.getKey() + ".log");
            }
        }
        return kafka.isAlive() ? null : "the Kafka broker exited; see " + kafka.logFile();
    }

    /** Kills a service at once (SIGKILL), as a crash would. */
    public void kill(String service) throws InterruptedException {
        Process p = processes.get(service);
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
    }

    /** Starts a killed service again on the same port and waits until it is ready. */
    public void restart(String service) throws IOException, InterruptedException {
        if (processes.get(service).isAlive()) {
            throw new IllegalStateException(service + " is still running");
        }
        processes.put(service, launch(service));
        awaitHealthy(service);
    }

    private Process launch(String name) throws IOException {
        String module = name.startsWith("gateway") ? "gateway" : name;
        Path jar = options.projectDir().resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: build with ./mvnw package -DskipTests (./pipeline up does it for you)");
        }
        List<String> cmd = new ArrayList<>(List.of(javaBin(), "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-Dorg.lwjgl.opencl.libname=libOpenCL.so.1", "-Dorg.lwjgl.system.memoryBackend=ffm",
                "-Dquarkus.http.host=127.0.0.1", "-Dquarkus.http.port=" + ports.get(name),
                "-Dkafka.bootstrap.servers=" + kafka.bootstrapServers(),
                "-Dllmpipe.model.path=" + options.model().toAbsolutePath(),
                "-Dllmpipe.model.id=" + options.modelId()));
        if (options.tokenizer() != null) {
            cmd.add("-Dllmpipe.model.tokenizer=" + options.tokenizer().toAbsolutePath());
        }
        if (options.context() > 0) {
            cmd.add("-Dllmpipe.model.context=" + options.context());
        }
        if (ports.containsKey("retrieval-service") && !module.equals("retrieval-service")) {
            cmd.add("-Dllmpipe.retrieval.url=http://127.0.0.1:" + ports.get("retrieval-service"));
        }
        if (module.equals("retrieval-service")) {
            // collections outlive the pipeline: they sit beside the broker's data
            cmd.add("-Dllmpipe.retrieval.data-dir=" + options.dataDir().resolve("retrieval").toAbsolutePath());
        }
        options.properties().forEach((k, v) -> {
            int colon = k.indexOf(':');
            if (colon < 0) {
                cmd.add("-D" + k + "=" + v);
            } else if (k.substring(0, colon).equals(name) || k.substring(0, colon).equals(module)) {
                cmd.add("-D" + k.substring(colon + 1) + "=" + v);
            }
        });
        cmd.add("-jar");
        cmd.add(jar.toString());
        Path log = logs.resolve(name + ".log");
        return new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    private void awaitHealthy(String name) throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest req = HttpRequest.newBuilder(URI.create(url(name) + "/q/health/ready")).timeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (System.nanoTime() < deadline) {
            if (!processes.get(name).isAlive()) {
                throw new IllegalStateException(name + " exited with code " + processes.get(name).exitValue() + "; see "
                        + logs.resolve(name + ".log"));
            }
            try {
                if (http.send(req, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException(name + " did not become healthy within 180 s; see " + logs.resolve(name + ".log"));
    }

    /** Stops the services in reverse start order (gateways first: no new work), then the broker. */
    @Override
    public synchronized void close() {
        List<Process> reversed = new ArrayList<>(processes.values()).reversed();
        for (Process p : reversed) {
            p.destroy();
        }
        for (Process p : reversed) {
            try {
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        processes.clear();
        kafka.close();
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static Map<String, Integer> topicPartitions() {
        Map<String, Integer> m = new LinkedHashMap<>();
        int partitions = Integer.getInteger("llmpipe.local.partitions", 8);
        m.put(Topics.REQUESTS, partitions);
        m.put(Topics.KV, partitions);
        m.put(Topics.TOKENS, partitions);
        // every decode instance reads every cancellation (own consumer group): one partition keeps order
        m.put(Topics.CONTROL, 1);
        for (String t : Topics.ALL) {
            m.put(Topics.deadLetter(t), 1);
        }
        return Map.copyOf(m);
    }
}
