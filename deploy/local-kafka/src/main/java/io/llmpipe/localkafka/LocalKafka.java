package io.llmpipe.localkafka;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.nio.ByteBuffer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * A real single-node Kafka broker (KRaft combined broker+controller, loopback only) running in a
 * child JVM from the Maven artifacts copied to {@code local-kafka/target/kafka-lib}. Used by
 * {@code pipeline up} and by integration tests; no Docker.
 *
 * <p>{@link #start} formats the storage directory (once), launches the broker, waits until it answers,
 * and creates the requested topics. {@link #close} stops it with SIGTERM (a clean shutdown), then
 * kills it if it does not exit in time. One owner; not thread-safe.
 */
public final class LocalKafka implements AutoCloseable {
    /** System property naming the directory with the broker's jars. */
    public static final String LIB_PROPERTY = "llmpipe.kafka.lib";
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(90);

    /**
     * @param dataDir      storage (log dirs, config, broker log); reused across restarts when it exists
     * @param port         broker port on 127.0.0.1, or 0 for a free one
     * @param topics       topic name -> partition count, created (if missing) once the broker is up
     * @param libDir       the broker's class path directory, or null for {@link #defaultLibDir()}
     * @param startTimeout how long to wait for the broker to answer
     */
    public record Options(Path dataDir, int port, Map<String, Integer> topics, Path libDir, Duration startTimeout) {
        public Options {
            topics = Map.copyOf(topics);
        }

        public static Options of(Path dataDir, Map<String, Integer> topics) {
            return new Options(dataDir, 0, topics, null, DEFAULT_START_TIMEOUT);
        }
    }

    private final Process process;
    private final String bootstrapServers;
    private final Path logFile;

    private LocalKafka(Process process, String bootstrapServers, Path logFile) {
        this.process = process;
        this.bootstrapServers = bootstrapServers;
        this.logFile = logFile;
    }

    /** {@code 127.0.0.1:PORT}. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** The broker's own log (stdout and stderr of the child process). */
    public Path logFile() {
        return logFile;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    /** The jars directory: {@value #LIB_PROPERTY}, else {@code deploy/local-kafka/target/kafka-lib} under the working directory or its parents. */
    public static Path defaultLibDir() {
        String prop = System.getProperty(LIB_PROPERTY);
        if (prop != null) {
            return Path.of(prop);
        }
        Path dir = Path.of("").toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            Path candidate = d.resolve("deploy/local-kafka/target/kafka-lib");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("the Kafka broker jars were not found: build deploy/local-kafka first "
                + "(./mvnw -pl deploy/local-kafka package) or set -D" + LIB_PROPERTY);
    }

    /** The last {@code lines} lines of {@code file}, or a note that it cannot be read. */
    static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | java.io.UncheckedIOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    public static LocalKafka start(Options options) throws IOException, InterruptedException {
        Path lib = options.libDir() != null ? options.libDir() : defaultLibDir();
        if (!Files.isDirectory(lib)) {
            throw new IllegalStateException("Kafka broker jars directory " + lib + " does not exist");
        }
        Path data = options.dataDir().toAbsolutePath();
        Files.createDirectories(data);
        int port = options.port() > 0 ? options.port() : freePort();
        int controllerPort = freePort();
        Path logs = data.resolve("kraft-logs");
        Path config = data.resolve("server.properties");
        Files.writeString(config, serverProperties(port, controllerPort, logs));
        Path log = data.resolve("broker.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classPath = lib.resolve("*").toString();

        if (!Files.exists(logs.resolve("meta.properties"))) {
            // KRaft storage must be formatted with a cluster id once. A second try covers a tool that
            // failed for a passing reason (it has, once, on a loaded CI machine).
            for (int attempt = 1; ; attempt++) {
                Process format = new ProcessBuilder(java, "-cp", classPath, "kafka.tools.StorageTool", "format",
                        "-t", clusterId(), "-c", config.toString(), "--standalone", "--ignore-formatted")
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
                boolean exited = format.waitFor(60, TimeUnit.SECONDS);
                if (exited && format.exitValue() == 0) {
                    break;
                }
                format.destroyForcibly();
                if (attempt == 2) {
                    throw new IOException("formatting Kafka storage failed (" + (exited ? "exit " + format.exitValue() : "timed out")
                            + "); " + log + " ends with:\n" + tail(log, 20));
                }
            }
        }
        List<String> cmd = new ArrayList<>(List.of(java, "-Xms128m", "-Xmx512m", "-XX:+UseSerialGC",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", classPath, "kafka.Kafka", config.toString()));
        Process process = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        LocalKafka kafka = new LocalKafka(process, "127.0.0.1:" + port, log);
        try {
            kafka.awaitReady(options.startTimeout());
            kafka.createTopics(options.topics());
        } catch (IOException | InterruptedException | RuntimeException e) {
            kafka.close();
            throw e;
        }
        return kafka;
    }

    /** Creates the topics that do not exist yet. */
    public void createTopics(Map<String, Integer> topics) throws IOException {
        if (topics.isEmpty()) {
            return;
        }
        try (Admin admin = admin()) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> create = new ArrayList<>();
            topics.forEach((name, partitions) -> {
                if (!existing.contains(name)) {
                    create.add(new NewTopic(name, partitions, (short) 1));
                }
            });
            if (!create.isEmpty()) {
                admin.createTopics(create).all().get(60, TimeUnit.SECONDS);
            }
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IOException("creating topics failed: " + e.getCause(), e.getCause());
            }
        } catch (Exception e) {
            throw new IOException("creating topics failed: " + e, e);
        }
    }

    public Admin admin() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        return Admin.create(p);
    }

    private void awaitReady(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String[] hostPort = bootstrapServers.split(":");
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("the Kafka broker exited with code " + process.exitValue() + " while starting; see " + logFile);
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])), 500);
                try (Admin admin = admin()) {
                    admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
                    return;
                } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                    // controller not ready yet
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new IOException("the Kafka broker did not become ready within " + timeout.toSeconds() + " s; see " + logFile);
    }

    /** Stops the broker: SIGTERM for a controlled shutdown, then a kill after 30 s. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    static String serverProperties(int port, int controllerPort, Path logs) {
        return String.join("\n",
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.bootstrap.servers=127.0.0.1:" + controllerPort,
                "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "log.dirs=" + logs.toString().replace(File.separatorChar, '/'),
                "num.partitions=4",
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=4",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "auto.create.topics.enable=false",
                // handoffs carry KV caches in chunks below 1 MiB; leave headroom
                "message.max.bytes=2097152",
                "log.retention.hours=24",
                "") ;
    }

    /** A Kafka cluster id: 16 random bytes, URL-safe base64 without padding (what StorageTool random-uuid prints). */
    static String clusterId() {
        UUID u = UUID.randomUUID();
        ByteBuffer b = ByteBuffer.allocate(16).putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits());
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
