package io.llmpipe.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmpipe.cli.ingest.BadLine;
import io.llmpipe.cli.ingest.DocumentSink;
import io.llmpipe.cli.ingest.IngestSummary;
import io.llmpipe.cli.ingest.Ingester;
import io.llmpipe.cli.ingest.JsonlDocumentReader;
import io.llmpipe.cli.ingest.RetrievalClient;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code pipeline ingest COLLECTION FILE.jsonl}: bulk upsert into a running retrieval-service. */
@Command(name = "ingest", mixinStandardHelpOptions = true,
        description = {"Upsert a JSONL corpus into a collection of a running retrieval-service (creating it when missing).",
                "Lines: {\"id\",\"text\",\"metadata\"} or BEIR's {\"_id\",\"title\",\"text\"}; metadata values are strings, numbers or booleans.",
                "Prints 'ingested N documents (M chunks) in S s ...' on stdout; bad lines (line number and reason) on stderr."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:every line ingested", "1:some lines not ingested (listed), the rest were; or the file or collection name is wrong",
                "2:no retrieval-service at --url, or bad arguments", "3:stopped partway (the service failed); resume with --skip"})
final class IngestCommand implements Callable<Integer> {

    static final int EXIT_BAD_LINES = 1;
    static final int EXIT_NO_SERVICE = 2;
    static final int EXIT_STOPPED = 3;
    /** The contract's most documents per upsert request. */
    static final int MAX_BATCH = 256;

    enum Similarity { cosine, dot, euclidean }

    @Parameters(index = "0", description = "Collection name; created when missing.")
    String collection;

    @Parameters(index = "1", description = "JSONL file (.jsonl or .jsonl.gz), or - for stdin.")
    String file;

    @Option(names = "--url", defaultValue = "http://127.0.0.1:8083", description = "The retrieval-service (default: ${DEFAULT-VALUE}, where ./pipeline up runs it).")
    String url;

    @Option(names = "--batch", defaultValue = "64", description = "Documents per upsert request, 1..256 (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--similarity", description = "When the collection is created: ${COMPLETION-CANDIDATES} (default: the service's, cosine).")
    Similarity similarity;

    @Option(names = "--skip", defaultValue = "0", paramLabel = "N", description = "Skip the first N lines (to resume a stopped ingest).")
    long skip;

    @Option(names = "--json", description = "Print the summary as one JSON object.")
    boolean json;

    @Option(names = "--no-progress", description = "No progress bar (there is none when stderr is not a terminal).")
    boolean noProgress;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (batch < 1 || batch > MAX_BATCH) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--batch must be 1.." + MAX_BATCH + ", not " + batch);
        }
        if (skip < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--skip must be 0 or more, not " + skip);
        }
        if (!url.startsWith("http://") && !url.startsWith("https://")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--url must look like http://HOST:PORT, not " + url);
        }
        Long size = file.equals("-") ? null : Files.size(inputPath()); // also says clearly when the file is missing
        RetrievalClient client = new RetrievalClient(url, collection);
        try (CountingInputStream raw = new CountingInputStream(file.equals("-") ? System.in : Files.newInputStream(inputPath()));
             JsonlDocumentReader reader = JsonlDocumentReader.open(raw, skip)) {
            try {
                prepareCollection(client, err);
            } catch (RetrievalClient.NoService e) {
                err.println("error: " + e.getMessage());
                err.flush();
                return EXIT_NO_SERVICE;
            } catch (DocumentSink.Unavailable e) {
                err.println("error: " + e.getMessage() + "; nothing ingested");
                err.flush();
                return EXIT_STOPPED;
            }
            IngestSummary summary;
            long start = System.nanoTime();
            try (ProgressBar bar = progressBar(size)) {
                summary = new Ingester(client, Ingester.RetryPolicy.DEFAULT).run(reader, batch, (upserted, chunks, bad) -> {
                    if (bar != null) {
                        bar.stepTo(raw.count());
                        double seconds = Math.max((System.nanoTime() - start) / 1e9, 1e-9);
                        bar.setExtraMessage(String.format(Locale.ROOT, " %d docs, %.0f docs/s", upserted, upserted / seconds));
                    }
                });
            }
            report(summary, out, err);
            if (!summary.complete()) {
                return EXIT_STOPPED;
            }
            return summary.badLineCount() > 0 ? EXIT_BAD_LINES : 0;
        }
    }

    private Path inputPath() throws NoSuchFileException {
        Path path = Path.of(file);
        if (!Files.isRegularFile(path)) {
            throw new NoSuchFileException(file, null, Files.exists(path) ? "not a file" : "no such file");
        }
        return path;
    }

    /** Creates the collection when missing; warns when an existing one has another similarity than asked for. */
    private void prepareCollection(RetrievalClient client, PrintWriter err)
            throws RetrievalClient.NoService, DocumentSink.Refused, DocumentSink.Unavailable {
        try {
            Optional<JsonNode> existing = client.collection();
            if (existing.isEmpty()) {
                JsonNode created = client.createCollection(collection, similarity != null ? similarity.name() : null);
                err.println("created collection " + collection + " (" + created.path("similarity").asText("cosine") + ")");
            } else if (similarity != null && !similarity.name().equals(existing.get().path("similarity").asText(similarity.name()))) {
                err.println("warning: collection " + collection + " exists with similarity " + existing.get().path("similarity").asText()
                        + "; --similarity " + similarity + " applies only when creating it");
            }
        } catch (DocumentSink.Refused e) {
            // A bad collection name and the like: the user's to fix, reported as one line by Main.
            throw new IllegalArgumentException("collection " + collection + ": " + e.getMessage(), e);
        }
    }

    /** A bar over the bytes of the file (compressed bytes for .gz), or null when stderr is not a terminal. */
    private ProgressBar progressBar(Long size) {
        if (noProgress || !stderrIsTerminal()) {
            return null;
        }
        return new ProgressBarBuilder()
                .setTaskName("ingest " + collection)
                .setInitialMax(size != null ? size : -1)
                .setUnit(" MiB", 1 << 20)
                .showSpeed(new java.text.DecimalFormat("0.0", java.text.DecimalFormatSymbols.getInstance(Locale.ROOT)))
                .setStyle(ProgressBarStyle.ASCII)
                .setConsumer(new ConsoleProgressBarConsumer(System.err))
                .build();
    }

    /**
     * Java only tells whether stdin and stdout are both a terminal; the bar needs stderr to be one (stdout may go to
     * a file with --json, stdin may be the corpus). Linux names stderr's terminal in /proc; elsewhere ask Java.
     */
    private static boolean stderrIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException e) {
            java.io.Console console = System.console();
            return console != null && console.isTerminal();
        }
    }

    private void report(IngestSummary summary, PrintWriter out, PrintWriter err) {
        if (summary.badLineCount() > 0) {
            err.println(summary.badLineCount() + " line" + (summary.badLineCount() == 1 ? "" : "s") + " not ingested:");
            for (BadLine bad : summary.firstBadLines()) {
                err.println("  line " + bad.line() + ": " + bad.reason());
            }
            long more = summary.badLineCount() - summary.firstBadLines().size();
            if (more > 0) {
                err.println("  ... and " + more + " more");
            }
        }
        if (summary.stop() != null) {
            long done = summary.stop().resumeLine() - 1;
            err.println("error: stopped at line " + summary.stop().resumeLine() + ": " + summary.stop().message());
            err.println("  lines 1.." + done + " are done (" + summary.upserted() + " documents ingested by this run); resume with: "
                    + "./pipeline ingest " + collection + " " + file + " --skip " + done);
        }
        err.flush();
        if (json) {
            out.println(toJson(summary));
        } else {
            out.println(String.format(Locale.ROOT, "ingested %d documents (%d chunks) in %.1f s (%.1f documents/s), %d bad lines",
                    summary.upserted(), summary.chunks(), summary.seconds(), summary.documentsPerSecond(), summary.badLineCount()));
        }
        out.flush();
    }

    private String toJson(IngestSummary summary) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode o = mapper.createObjectNode()
                .put("collection", collection)
                .put("upserted", summary.upserted())
                .put("chunks", summary.chunks())
                .put("bad_lines", summary.badLineCount())
                .put("seconds", summary.seconds())
                .put("documents_per_second", summary.documentsPerSecond());
        var errors = o.putArray("errors");
        summary.firstBadLines().forEach(b -> errors.addObject().put("line", b.line()).put("reason", b.reason()));
        if (summary.stop() != null) {
            o.putObject("stopped").put("line", summary.stop().resumeLine()).put("skip", summary.stop().resumeLine() - 1)
                    .put("message", summary.stop().message());
        }
        return o.toString();
    }

    /** Counts the bytes read from the file, for progress through it. */
    private static final class CountingInputStream extends FilterInputStream {
        private volatile long count;

        CountingInputStream(InputStream in) {
            super(in);
        }

        long count() {
            return count;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }

        @Override
        public void close() throws IOException {
            if (in != System.in) { // reading stdin does not end the process's use of it
                super.close();
            }
        }
    }
}
