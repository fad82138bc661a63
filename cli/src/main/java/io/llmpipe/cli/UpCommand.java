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
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pipeline up}: a real single-node Kafka broker plus the four services as separate JVM
 * processes on loopback; waits until all are healthy, prints the URL, and stops everything cleanly
 * on Ctrl-C (services first, then the broker).
 */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Run the whole pipeline locally: Kafka broker, gateway, prefill, decode and retrieval services.")
final class UpCommand implements Callable<Integer> {
    /** Partitions per topic: enough for several prefill/decode instances to share the work. */
    static final Map<String, Integer> TOPIC_PARTITIONS = topicPartitions();

    static final List<String> SERVICES = List.of("retrieval-service", "decode-service", "prefill-service", "gateway");

    @Option(names = "--model", description = "Model: a file (.gguf or llama2.c .bin) or hf:OWNER/REPO/FILE (default: "
            + ModelFetcher.DEFAULT_MODEL + ").")
    String modelSpec;

    private Path model;

    @Option(names = "--tokenizer", description = "llama2.c tokenizer file (default: beside the model).")
    Path tokenizer;

    @Option(names = "--context", defaultValue = "0", description = "Context length (default: from the model file).")
    int context;

    @Option(names = "--port", defaultValue = "8080", description = "Gateway port on 127.0.0.1 (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--data-dir", description = "Broker data and service logs (default: ~/.cache/llmpipe).")
    Path dataDir;

    @Option(names = "--project-dir", hidden = true, defaultValue = "${sys:llmpipe.project.dir:-.}")
    Path projectDir;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private final List<Process> services = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        model = ModelFetcher.standard(spec.commandLine().getErr())
                .resolve(modelSpec != null ? modelSpec : ModelFetcher.DEFAULT_MODEL);
        Path cache = dataDir != null ? dataDir : cacheDir();
        Path logs = cache.resolve("logs");
        Files.createDirectories(logs);
        out.println("[up] starting Kafka (KRaft, 127.0.0.1), data in " + cache.resolve("kafka"));
        out.flush();
        LocalKafka kafka = LocalKafka.start(new LocalKafka.Options(cache.resolve("kafka"), 0, TOPIC_PARTITIONS,
                libDir(), LocalKafka.DEFAULT_START_TIMEOUT));
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stopAll(kafka, out);
            stopped.countDown();
        }, "pipeline-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            Map<String, Integer> ports = new LinkedHashMap<>();
            for (String service : SERVICES) {
                int p = service.equals("gateway") ? port : freePort();
                ports.put(service, p);
                services.add(startService(service, p, kafka.bootstrapServers(), ports, logs));
            }
            for (Map.Entry<String, Integer> e : ports.entrySet()) {
                awaitHealthy(e.getKey(), e.getValue(), logs.resolve(e.getKey() + ".log"));
                out.printf("[up] %-17s healthy on http://127.0.0.1:%d%n", e.getKey(), e.getValue());
                out.flush();
            }
            out.printf("%nllmpipe is up: http://127.0.0.1:%d   (Ctrl-C stops everything; logs in %s)%n%n", port, logs);
            out.printf("  curl -N http://127.0.0.1:%d/v1/chat/completions -H 'Content-Type: application/json' \\%n"
                    + "    -d '{\"model\":\"%s\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}]}'%n%n",
                    port, baseName(model));
            out.flush();
            // Run until a service dies or Ctrl-C (the hook stops everything and releases us).
            while (true) {
                for (int i = 0; i < services.size(); i++) {
                    if (!services.get(i).isAlive()) {
                        throw new IllegalStateException(SERVICES.get(i) + " exited with code " + services.get(i).exitValue()
                                + "; see " + logs.resolve(SERVICES.get(i) + ".log"));
                    }
                }
                if (!kafka.isAlive()) {
                    throw new IllegalStateException("the Kafka broker exited; see " + kafka.logFile());
                }
                if (stopped.await(1, TimeUnit.SECONDS)) {
                    return 0;
                }
            }
        } catch (Exception e) {
            Runtime.getRuntime().removeShutdownHook(hook);
            stopAll(kafka, out);
            throw e;
        }
    }

    private Process startService(String service, int servicePort, String bootstrap, Map<String, Integer> ports, Path logs) throws IOException {
        Path jar = projectDir.resolve(service).resolve("target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: build with ./mvnw package -DskipTests (./pipeline up does it for you)");
        }
        List<String> cmd = new ArrayList<>(List.of(javaBin(), "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-Dorg.lwjgl.opencl.libname=libOpenCL.so.1", "-Dorg.lwjgl.system.memoryBackend=ffm",
                "-Dquarkus.http.host=127.0.0.1", "-Dquarkus.http.port=" + servicePort,
                "-Dkafka.bootstrap.servers=" + bootstrap,
                "-Dllmpipe.model.path=" + model.toAbsolutePath(),
                "-Dllmpipe.model.id=" + baseName(model)));
        if (tokenizer != null) {
            cmd.add("-Dllmpipe.model.tokenizer=" + tokenizer.toAbsolutePath());
        }
        if (context > 0) {
            cmd.add("-Dllmpipe.model.context=" + context);
        }
        if (ports.containsKey("retrieval-service")) {
            cmd.add("-Dllmpipe.retrieval.url=http://127.0.0.1:" + ports.get("retrieval-service"));
        }
        cmd.add("-jar");
        cmd.add(jar.toString());
        Path log = logs.resolve(service + ".log");
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.to(log.toFile())).start();
    }

    private static void awaitHealthy(String service, int port, Path log) throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/health/ready")).timeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            try {
                if (http.send(req, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException(service + " did not become healthy within 120 s; see " + log);
    }

    /** Services in reverse start order (gateway first: no new work), then the broker. */
    private synchronized void stopAll(LocalKafka kafka, PrintWriter out) {
        out.println("\n[up] stopping services...");
        out.flush();
        for (int i = services.size() - 1; i >= 0; i--) {
            services.get(i).destroy();
        }
        for (Process p : services) {
            try {
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
            }
        }
        services.clear();
        out.println("[up] stopping Kafka...");
        out.flush();
        kafka.close();
        out.println("[up] stopped.");
        out.flush();
    }

    private Path libDir() {
        return projectDir.resolve("deploy/local-kafka/target/kafka-lib");
    }

    static Path cacheDir() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("llmpipe");
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static String baseName(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static Map<String, Integer> topicPartitions() {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put(Topics.REQUESTS, 8);
        m.put(Topics.KV, 8);
        m.put(Topics.TOKENS, 8);
        // every decode instance reads every cancellation (own consumer group): one partition keeps order
        m.put(Topics.CONTROL, 1);
        for (String t : Topics.ALL) {
            m.put(Topics.deadLetter(t), 1);
        }
        return Map.copyOf(m);
    }
}
