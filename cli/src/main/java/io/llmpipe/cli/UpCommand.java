package io.llmpipe.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pipeline up}: a real single-node Kafka broker plus the four services as separate JVM
 * processes on loopback ({@link LocalPipeline}); waits until all are healthy, prints the URL, and
 * stops everything cleanly on Ctrl-C (services first, then the broker).
 */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Run the whole pipeline locally: Kafka broker, gateway, prefill, decode and retrieval services.")
final class UpCommand implements Callable<Integer> {

    @Option(names = "--model", description = "Model: a file (.gguf or llama2.c .bin) or hf:OWNER/REPO/FILE (default: "
            + ModelFetcher.DEFAULT_MODEL + ").")
    String modelSpec;

    @Option(names = "--tokenizer", description = "llama2.c tokenizer file (default: beside the model).")
    Path tokenizer;

    @Option(names = "--context", defaultValue = "0", description = "Context length (default: from the model file).")
    int context;

    @Option(names = "--port", defaultValue = "8080", description = "Gateway port on 127.0.0.1 (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--retrieval-port", defaultValue = "8083",
            description = "Retrieval-service port on 127.0.0.1, where ingest looks by default (default: ${DEFAULT-VALUE}).")
    int retrievalPort;

    @Option(names = "--max-batch", defaultValue = "8", description = "Most requests decode advances together (default: ${DEFAULT-VALUE}).")
    int maxBatch;

    @Option(names = {"-D", "--service-property"}, description = "KEY=VALUE passed to every service as a system property, "
            + "or SERVICE:KEY=VALUE to one (any service configuration, e.g. -D gateway:llmpipe.gateway.max-in-flight=128).")
    Map<String, String> serviceProperties = new java.util.LinkedHashMap<>();

    @Option(names = "--data-dir", description = "Broker data, service logs and retrieval collections (default: ~/.cache/llmpipe).")
    Path dataDir;

    @Option(names = "--project-dir", hidden = true, defaultValue = "${sys:llmpipe.project.dir:-.}")
    Path projectDir;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Path model = ModelFetcher.standard(spec.commandLine().getErr())
                .resolve(modelSpec != null ? modelSpec : ModelFetcher.DEFAULT_MODEL);
        Path cache = dataDir != null ? dataDir : cacheDir();
        AtomicReference<LocalPipeline> running = new AtomicReference<>();
        AtomicBoolean stopping = new AtomicBoolean();
        CountDownLatch stopped = new CountDownLatch(1);
        Thread main = Thread.currentThread();
        // Installed before anything starts: a SIGTERM or Ctrl-C while the broker and services are still
        // starting stops them too, instead of leaving them running without us.
        Thread hook = new Thread(() -> {
            stopping.set(true);
            out.println("\n[up] stopping services and Kafka...");
            out.flush();
            LocalPipeline started = running.get();
            if (started != null) {
                started.close();
            } else {
                main.interrupt(); // a start in progress stops waiting and closes what it started
            }
            stopChildProcesses();
            out.println("[up] stopped.");
            out.flush();
            stopped.countDown();
        }, "pipeline-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        LocalPipeline pipeline;
        try {
            pipeline = LocalPipeline.start(new LocalPipeline.Options(projectDir, model, tokenizer, baseName(model),
                    context, port, 1, cache, properties(), retrievalPort), out);
        } catch (Exception e) {
            if (stopping.get()) {
                return 143; // stopped by a signal while starting; the hook has said so and cleans up
            }
            Runtime.getRuntime().removeShutdownHook(hook); // start has closed what it started
            throw e;
        }
        running.set(pipeline);
        out.printf("%nllmpipe is up: %s   (Ctrl-C stops everything; logs in %s)%n%n", pipeline.url("gateway"), pipeline.logs());
        out.printf("  curl -N %s/v1/chat/completions -H 'Content-Type: application/json' \\%n"
                + "    -d '{\"model\":\"%s\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}]}'%n%n",
                pipeline.url("gateway"), baseName(model));
        out.printf("  ./pipeline ingest docs FILE.jsonl%s     (then \"retrieval\":\"docs\" in a chat request)%n%n",
                retrievalPort == 8083 ? "" : " --url " + pipeline.url("retrieval-service"));
        out.flush();
        // Run until a process dies or Ctrl-C (the hook stops everything and releases us).
        while (!stopped.await(1, TimeUnit.SECONDS)) {
            String exited = pipeline.exited();
            // Ctrl-C reaches the children too: give our own hook a moment to claim the exit
            if (exited != null && !stopped.await(3, TimeUnit.SECONDS) && !stopping.get()) {
                Runtime.getRuntime().removeShutdownHook(hook);
                pipeline.close();
                throw new IllegalStateException(exited);
            }
        }
        return 0;
    }

    /**
     * Stops every process this one started that still runs (the broker, services), waiting up to 30 s
     * for each before killing it. Looks twice: a start in progress may launch one more after the first look.
     */
    private static void stopChildProcesses() {
        for (int round = 0; round < 2; round++) {
            List<ProcessHandle> children = ProcessHandle.current().descendants().toList();
            children.forEach(ProcessHandle::destroy);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            for (ProcessHandle p : children) {
                try {
                    p.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (Exception e) {
                    p.destroyForcibly();
                }
            }
        }
    }

    private Map<String, String> properties() {
        Map<String, String> all = new java.util.LinkedHashMap<>();
        all.put("llmpipe.decode.max-batch", Integer.toString(maxBatch));
        all.putAll(serviceProperties);
        return all;
    }

    static Path cacheDir() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("llmpipe");
    }

    static String baseName(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }
}
