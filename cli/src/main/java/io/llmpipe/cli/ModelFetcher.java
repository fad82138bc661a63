package io.llmpipe.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;

/**
 * Resolves a model argument: a local file, or {@code hf:OWNER/REPO/PATH/IN/REPO} — a Hugging Face
 * file, downloaded once into the cache ({@code ~/.cache/llmpipe/models/OWNER/REPO/PATH}) with a
 * progress bar and its SHA-256 checked against the one the hub announces for LFS files
 * ({@code X-Linked-ETag}). A partial or corrupt download never takes the final name.
 */
final class ModelFetcher {
    /** A small chat model in GGUF for {@code pipeline up} without --model. */
    static final String DEFAULT_MODEL = "hf:bartowski/SmolLM2-135M-Instruct-GGUF/SmolLM2-135M-Instruct-Q8_0.gguf";
    static final String ENDPOINT_PROPERTY = "llmpipe.hf.endpoint";
    static final String DEFAULT_ENDPOINT = "https://huggingface.co";

    private final Path cacheDir;
    private final String endpoint;
    private final PrintWriter progress;

    ModelFetcher(Path cacheDir, String endpoint, PrintWriter progress) {
        this.cacheDir = cacheDir;
        this.endpoint = endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
        this.progress = progress;
    }

    static ModelFetcher standard(PrintWriter progress) {
        String endpoint = System.getProperty(ENDPOINT_PROPERTY, Optional.ofNullable(System.getenv("HF_ENDPOINT")).orElse(DEFAULT_ENDPOINT));
        return new ModelFetcher(UpCommand.cacheDir().resolve("models"), endpoint, progress);
    }

    /** The local path of {@code spec}, downloading it first if it is an {@code hf:} reference not yet cached. */
    Path resolve(String spec) throws IOException, InterruptedException {
        if (!spec.startsWith("hf:")) {
            Path p = Path.of(spec);
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException("model file " + spec + " does not exist (use a path or hf:OWNER/REPO/FILE)");
            }
            return p;
        }
        String ref = spec.substring(3);
        String[] parts = ref.split("/", 3);
        if (parts.length < 3 || parts[0].isBlank() || parts[1].isBlank() || parts[2].isBlank() || ref.contains("..")) {
            throw new IllegalArgumentException("'" + spec + "' is not a Hugging Face file reference: use hf:OWNER/REPO/FILE");
        }
        Path target = cacheDir.resolve(parts[0]).resolve(parts[1]).resolve(parts[2]);
        if (Files.isRegularFile(target)) {
            return target;
        }
        Files.createDirectories(target.getParent());
        URI uri = URI.create(endpoint + "/" + parts[0] + "/" + parts[1] + "/resolve/main/" + parts[2]);
        HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).connectTimeout(Duration.ofSeconds(20)).build();
        HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() != 200) {
            response.body().close();
            throw new IOException("downloading " + uri + " failed: HTTP " + response.statusCode());
        }
        long total = response.headers().firstValueAsLong("content-length").orElse(-1);
        Optional<String> expectedSha = response.headers().firstValue("x-linked-etag").map(ModelFetcher::unquote)
                .filter(v -> v.matches("[0-9a-fA-F]{64}"));
        Path partial = target.resolveSibling(target.getFileName() + ".partial");
        MessageDigest sha = sha256();
        try (InputStream in = response.body(); OutputStream out = Files.newOutputStream(partial)) {
            byte[] buf = new byte[1 << 16];
            long done = 0, lastShown = -1;
            long t0 = System.nanoTime();
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                sha.update(buf, 0, n);
                done += n;
                long percent = total > 0 ? done * 100 / total : -1;
                if (percent != lastShown || total <= 0 && done % (8 << 20) < n) {
                    showProgress(parts[2], done, total, t0);
                    lastShown = percent;
                }
            }
            showProgress(parts[2], done, total, t0);
            progress.println();
            if (total > 0 && done != total) {
                throw new IOException("download of " + uri + " ended after " + done + " of " + total + " bytes");
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(partial);
            throw e;
        }
        String actual = HexFormat.of().formatHex(sha.digest());
        if (expectedSha.isPresent() && !expectedSha.get().equalsIgnoreCase(actual)) {
            Files.deleteIfExists(partial);
            throw new IOException("checksum mismatch for " + uri + ": expected sha256 " + expectedSha.get() + ", got " + actual);
        }
        Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        progress.printf("[model] %s (sha256 %s%s)%n", target, actual.substring(0, 16), expectedSha.isPresent() ? ", verified" : ", no checksum announced");
        progress.flush();
        return target;
    }

    private void showProgress(String name, long done, long total, long t0) {
        double mb = done / 1e6;
        double secs = Math.max(1e-3, (System.nanoTime() - t0) / 1e9);
        String bar;
        if (total > 0) {
            int width = 30, filled = (int) (width * done / total);
            bar = String.format(Locale.ROOT, "[%s%s] %3d%% %.1f/%.1f MB", "#".repeat(filled), " ".repeat(width - filled),
                    done * 100 / total, mb, total / 1e6);
        } else {
            bar = String.format(Locale.ROOT, "%.1f MB", mb);
        }
        progress.printf(Locale.ROOT, "\r[model] %s %s %.1f MB/s", name, bar, mb / secs);
        progress.flush();
    }

    private static String unquote(String v) {
        String s = v.trim();
        if (s.startsWith("W/")) {
            s = s.substring(2);
        }
        return s.replace("\"", "");
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
