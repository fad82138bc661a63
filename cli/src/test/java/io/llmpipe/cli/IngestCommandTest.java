package io.llmpipe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code pipeline ingest} as a user runs it, where no retrieval-service is needed: arguments, a missing file, no
 * service at the URL. Ingesting into the real service is tested end to end in the e2e module.
 */
class IngestCommandTest {

    private record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    /** A port nothing listens on: bound once to learn a free one, then closed. */
    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Test
    void noServiceAtTheUrlSaysHowToStartOne(@TempDir Path dir) throws IOException {
        Path corpus = Files.writeString(dir.resolve("corpus.jsonl"), "{\"id\":\"a\",\"text\":\"t\"}\n");
        String url = "http://127.0.0.1:" + closedPort();
        Run r = run("ingest", "docs", corpus.toString(), "--url", url);
        assertEquals(IngestCommand.EXIT_NO_SERVICE, r.exit());
        assertTrue(r.err().startsWith("error: no retrieval-service at " + url + " (start it with ./pipeline up)"), r.err());
        assertEquals("", r.out());
    }

    @Test
    void aMissingFileIsOneClearError() {
        Run r = run("ingest", "docs", "/nonexistent/corpus.jsonl");
        assertEquals(1, r.exit());
        assertTrue(r.err().startsWith("error: /nonexistent/corpus.jsonl") && r.err().contains("no such file"), r.err());
    }

    @Test
    void batchSizeIsLimitedToWhatTheServiceTakes(@TempDir Path dir) throws IOException {
        Path corpus = Files.writeString(dir.resolve("corpus.jsonl"), "");
        Run r = run("ingest", "docs", corpus.toString(), "--batch", "257");
        assertEquals(CommandLine.ExitCode.USAGE, r.exit());
        assertTrue(r.err().contains("--batch must be 1..256"), r.err());
        Run similarity = run("ingest", "docs", corpus.toString(), "--similarity", "manhattan");
        assertEquals(CommandLine.ExitCode.USAGE, similarity.exit());
        assertTrue(similarity.err().contains("cosine, dot, euclidean"), similarity.err());
    }

    @Test
    void helpListsTheOptionsAndExitCodes() {
        Run r = run("ingest", "--help");
        assertEquals(0, r.exit());
        for (String option : new String[]{"--url", "--batch", "--similarity", "--skip", "--json", "--no-progress", "Exit codes"}) {
            assertTrue(r.out().contains(option), option + " in\n" + r.out());
        }
    }
}
