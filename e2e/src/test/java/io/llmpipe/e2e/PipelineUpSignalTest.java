package io.llmpipe.e2e;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code pipeline up} stopped by SIGTERM while the broker and services are still starting (a process
 * supervisor, a CI timeout, {@code kill}) stops every process it started: none is left running.
 */
class PipelineUpSignalTest {
    private static final Path MODELS = Path.of(System.getProperty("llmpipe.shared.dir"), "models");

    @Test
    void sigtermDuringStartupLeavesNoProcessBehind() throws Exception {
        Path dir = Files.createTempDirectory("llmpipe-up-signal");
        Path output = dir.resolve("up.out");
        Process up = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "io.llmpipe.cli.Main", "up",
                "--model", MODELS.resolve("stories260K.bin").toString(), "--tokenizer", MODELS.resolve("tok512.bin").toString(),
                "--port", "0", "--retrieval-port", "0", "--data-dir", dir.toString(),
                "--project-dir", System.getProperty("llmpipe.project.dir"))
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        List<ProcessHandle> children = List.of();
        try {
            // the broker and at least one service started, the gateway not yet healthy
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < deadline && up.isAlive()) {
                children = up.descendants().toList();
                if (children.size() >= 2) {
                    break;
                }
                Thread.sleep(100);
            }
            assertTrue(children.size() >= 2, "up started the broker and a service: " + children + "\n" + Files.readString(output));
            assertFalse(Files.readString(output).contains("llmpipe is up"), "stopped while starting, not after");

            up.destroy(); // SIGTERM
            assertTrue(up.waitFor(120, TimeUnit.SECONDS), "up exits after SIGTERM");
            for (ProcessHandle child : children) {
                child.onExit().get(30, TimeUnit.SECONDS);
                assertFalse(child.isAlive(), "pid " + child.pid() + " " + child.info().commandLine().orElse("") + " still runs");
            }
            assertTrue(Files.readString(output).contains("[up] stopped."), Files.readString(output));
        } finally {
            children.forEach(ProcessHandle::destroyForcibly);
            up.destroyForcibly();
        }
    }
}
