package io.llmpipe.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** hf: references against a local HTTP server standing in for the hub (never the internet). */
class ModelFetcherTest {
    @TempDir
    Path cache;

    private HttpServer server;
    private final AtomicInteger hits = new AtomicInteger();
    private final byte[] model = new byte[3_000_000];
    private String announcedSha;

    @BeforeEach
    void start() throws Exception {
        new Random(5).nextBytes(model);
        announcedSha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(model));
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/owner/repo/resolve/main/", exchange -> {
            hits.incrementAndGet();
            String path = exchange.getRequestURI().getPath();
            if (!path.endsWith("/sub/model.gguf")) {
                exchange.sendResponseHeaders(404, -1);
                exchange.close();
                return;
            }
            exchange.getResponseHeaders().add("X-Linked-ETag", "\"" + announcedSha + "\"");
            exchange.sendResponseHeaders(200, model.length);
            exchange.getResponseBody().write(model);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private ModelFetcher fetcher(StringWriter progress) {
        return new ModelFetcher(cache, "http://127.0.0.1:" + server.getAddress().getPort(), new PrintWriter(progress));
    }

    @Test
    void downloadsOnceVerifiesAndReusesTheCache() throws Exception {
        StringWriter progress = new StringWriter();
        Path p = fetcher(progress).resolve("hf:owner/repo/sub/model.gguf");
        assertArrayEquals(model, Files.readAllBytes(p));
        assertEquals(cache.resolve("owner/repo/sub/model.gguf"), p);
        assertTrue(progress.toString().contains("100%") && progress.toString().contains("verified"), progress.toString());
        assertEquals(p, fetcher(new StringWriter()).resolve("hf:owner/repo/sub/model.gguf"));
        assertEquals(1, hits.get(), "the second resolve is served from the cache");
    }

    @Test
    void checksumMismatchLeavesNothingBehind() {
        announcedSha = "0".repeat(64);
        IOException e = assertThrows(IOException.class, () -> fetcher(new StringWriter()).resolve("hf:owner/repo/sub/model.gguf"));
        assertTrue(e.getMessage().contains("checksum mismatch"), e.getMessage());
        assertFalse(Files.exists(cache.resolve("owner/repo/sub/model.gguf")));
        assertFalse(Files.exists(cache.resolve("owner/repo/sub/model.gguf.partial")));
    }

    @Test
    void missingFilesAndBadReferences() {
        IOException e = assertThrows(IOException.class, () -> fetcher(new StringWriter()).resolve("hf:owner/repo/nope.gguf"));
        assertTrue(e.getMessage().contains("HTTP 404"), e.getMessage());
        for (String bad : new String[]{"hf:owner", "hf:owner/repo", "hf:owner/repo/../x", "hf://x"}) {
            assertThrows(IllegalArgumentException.class, () -> fetcher(new StringWriter()).resolve(bad), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> fetcher(new StringWriter()).resolve("/no/such/file.gguf"));
    }
}
