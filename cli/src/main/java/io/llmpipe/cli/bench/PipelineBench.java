package io.llmpipe.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmpipe.cli.LocalPipeline;
import io.llmpipe.engine.attention.DenseAttention;
import io.llmpipe.engine.generation.ContinuousBatcher;
import io.llmpipe.engine.generation.DecodeSlot;
import io.llmpipe.engine.generation.GenerationOptions;
import io.llmpipe.engine.generation.Generator;
import io.llmpipe.engine.generation.Sequence;
import io.llmpipe.engine.model.Model;
import io.llmpipe.engine.model.ModelLoader;
import io.llmpipe.engine.sampling.Sampler;
import io.llmpipe.engine.sampling.SamplingParams;
import io.llmpipe.engine.tensor.GGMLType;
import io.llmpipe.engine.tensor.Parallel;
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
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code pipeline bench pipeline}: the whole pipeline (real broker, services as separate JVMs) against
 * the same work done in-process, in one run on one machine, so the ratios mean something:
 * <ul>
 *   <li>stories260K: time to first token and time per output token through the gateway (client
 *       clock: request sent to first SSE chunk) versus prefill+sample and decode steps in-process, at
 *       1 and 8 concurrent streams; the difference of the p50s is the pipeline's overhead.</li>
 *   <li>the engine bench's Llama-3.2-1B-shaped Q8_0 model: aggregate decode tokens/s of 8 concurrent
 *       streams (continuous batching) versus one stream at a time, through the pipeline and in-process.</li>
 * </ul>
 */
public final class PipelineBench {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Settings. {@code quick} skips the 1B-shaped model. */
    public record Options(Path projectDir, Path models, Path out, boolean quick, int requests, int streams) {
    }

    /** One streamed completion as the client timed it (nanoTime); {@code arrivals}: each generated chunk's arrival. */
    record Timed(long sent, long first, long last, int tokens, long[] arrivals) {
        double ttftMillis() {
            return (first - sent) / 1e6;
        }

        double tpotMillis() {
            return tokens > 1 ? (last - first) / 1e6 / (tokens - 1) : Double.NaN;
        }
    }

    private static final int WARMUP_ROUNDS = 200;
    private static final int WARMUP_SEQUENTIAL = 800;

    private final Options options;
    private final PrintWriter log;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public PipelineBench(Options options, PrintWriter log) {
        this.options = options;
        this.log = log;
    }

    public BenchReport run() throws Exception {
        BenchReport report = new BenchReport("pipeline");
        stories(report);
        if (!options.quick()) {
            batching(report);
        }
        return report;
    }

    private LocalPipeline start(Path model, Path tokenizer, String id, Map<String, String> properties) throws Exception {
        Path dir = Files.createTempDirectory("llmpipe-bench");
        return LocalPipeline.start(new LocalPipeline.Options(options.projectDir(), model, tokenizer, id, 512, 0, 1, dir, properties), log);
    }

    // ---- stories260K: time to first token and per output token --------------------------------------------

    private void stories(BenchReport report) throws Exception {
        Path model = options.models().resolve("stories260K.bin");
        Path tokenizer = options.models().resolve("tok512.bin");
        String prompt = "Once upon a time";
        int maxTokens = 32;
        List<Double> ttftIn = new ArrayList<>();
        List<Double> tpotIn1 = new ArrayList<>();
        List<Double> tpotIn8 = new ArrayList<>();
        log.println("[bench] stories260K in-process");
        log.flush();
        try (Model m = ModelLoader.load(new ModelLoader.Options(model, tokenizer, 512)); Parallel parallel = new Parallel(Parallel.defaultThreads())) {
            Generator g = new Generator(m, parallel);
            int[] ids = m.chatTemplate().encode(List.of(io.llmpipe.engine.tokenizer.ChatMessage.user(prompt)), true);
            int vocab = m.config().vocabularySize();
            for (int i = 0; i < 50 + options.requests(); i++) {
                long t0 = System.nanoTime();
                int[] fresh = m.chatTemplate().encode(List.of(io.llmpipe.engine.tokenizer.ChatMessage.user(prompt)), true);
                Sequence s = g.newSequence();
                float[] logits = g.prefill(s, fresh, DenseAttention.INSTANCE, GenerationOptions.DEFAULT_PREFILL_CHUNK);
                Sampler.argmax(logits, 0, vocab);
                if (i >= 50) {
                    ttftIn.add((System.nanoTime() - t0) / 1e6);
                }
            }
            tpotIn1.addAll(stepTimes(g, ids, 1, maxTokens, 20));
            tpotIn8.addAll(stepTimes(g, ids, 8, maxTokens, 5));
        }
        log.println("[bench] stories260K through the pipeline");
        log.flush();
        try (LocalPipeline pipeline = start(model, tokenizer, "stories260K", Map.of())) {
            String url = pipeline.url("gateway") + "/v1/chat/completions";
            ObjectNode body = JSON.createObjectNode().put("model", "stories260K").put("max_tokens", maxTokens).put("temperature", 0)
                    .put("stream", true).put("ignore_eos", true);
            body.putArray("messages").addObject().put("role", "user").put("content", prompt);
            // warm-up: the JIT (five JVMs' request paths through Vert.x, SmallRye and the Kafka clients settle
            // after a few thousand requests: TTFT fell from 38 ms after 80 to 10 ms after 2,400 on one run),
            // connections, and every partition's first record
            ObjectNode shortBody = body.deepCopy().put("max_tokens", 2);
            concurrent(url, shortBody, 8, WARMUP_ROUNDS);
            for (int i = 0; i < WARMUP_SEQUENTIAL; i++) {
                stream(url, shortBody);
            }
            List<Timed> one = new ArrayList<>();
            for (int i = 0; i < options.requests(); i++) {
                one.add(stream(url, body));
            }
            List<Timed> eight = concurrent(url, body, options.streams(), Math.max(2, options.requests() / options.streams()));
            addLatency(report, "stories260K", 1, one, ttftIn, tpotIn1);
            addLatency(report, "stories260K", options.streams(), eight, ttftIn, tpotIn8);
        }
    }

    /** Per-token step times of a batch of {@code batch} sequences in-process (ms), after warm-up rounds. */
    private static List<Double> stepTimes(Generator g, int[] prompt, int batch, int tokens, int rounds) {
        List<Double> out = new ArrayList<>();
        for (int round = 0; round < rounds + 3; round++) {
            ContinuousBatcher b = new ContinuousBatcher(g, batch);
            for (int i = 0; i < batch; i++) {
                Sequence s = g.newSequence();
                g.prefill(s, prompt, DenseAttention.INSTANCE, GenerationOptions.DEFAULT_PREFILL_CHUNK);
                b.admit(new DecodeSlot("s" + i, s, prompt[prompt.length - 1], 1, new Sampler(SamplingParams.GREEDY), tokens, Set.of()));
            }
            while (b.activeCount() > 0) {
                long t0 = System.nanoTime();
                b.step();
                if (round >= 3) {
                    out.add((System.nanoTime() - t0) / 1e6);
                }
            }
        }
        return out;
    }

    private void addLatency(BenchReport report, String scenario, int concurrency, List<Timed> timed, List<Double> ttftIn, List<Double> tpotIn) {
        List<Double> ttft = timed.stream().map(Timed::ttftMillis).toList();
        List<Double> tpot = timed.stream().map(Timed::tpotMillis).filter(d -> !d.isNaN()).toList();
        row(report, scenario, concurrency, "ttft_pipeline", ttft, "ms");
        row(report, scenario, concurrency, "ttft_in_process", ttftIn, "ms");
        report.add(new BenchRow().put("scenario", scenario).put("concurrency", concurrency).put("metric", "ttft_overhead")
                .put("p50", round(Percentiles.of(ttft, 50) - Percentiles.of(ttftIn, 50))).put("p99", round(Percentiles.of(ttft, 99) - Percentiles.of(ttftIn, 99))).put("unit", "ms"));
        row(report, scenario, concurrency, "tpot_pipeline", tpot, "ms");
        row(report, scenario, concurrency, "tpot_in_process", tpotIn, "ms");
    }

    // ---- 1B-shaped model: batched versus one-at-a-time decode throughput ----------------------------------

    /**
     * Rounds of one stream alone then {@code streams} together, alternated: on this shared machine a burst
     * of load from elsewhere moves a single measurement by 30%; a ratio of neighbours in time, then the
     * median over rounds, is what the batching does.
     */
    private static final int BATCHING_ROUNDS = 3;

    private void batching(BenchReport report) throws Exception {
        Path model = SyntheticModels.llama32_1bShape(options.out().resolve("models"), GGMLType.Q8_0, log);
        String scenario = "llama-3.2-1b-shape-Q8_0";
        int tokens = 48;
        int streams = options.streams();
        log.println("[bench] " + scenario + " in-process");
        log.flush();
        double[] inOne = new double[BATCHING_ROUNDS];
        double[] inBatch = new double[BATCHING_ROUNDS];
        try (Model m = ModelLoader.load(new ModelLoader.Options(model, null, 512)); Parallel parallel = new Parallel(Parallel.defaultThreads())) {
            Generator g = new Generator(m, parallel);
            int[] prompt = {1, 100, 200, 300, 400, 500, 600, 700};
            stepTimes(g, prompt, 1, 4, 0); // warm-up
            for (int r = 0; r < BATCHING_ROUNDS; r++) {
                inOne[r] = 1000.0 / Percentiles.median(stepTimes(g, prompt, 1, tokens, 1));
                inBatch[r] = streams * 1000.0 / Percentiles.median(stepTimes(g, prompt, streams, tokens, 1));
                log.printf("[bench]   round %d: %.2f tok/s alone, %.2f tok/s with %d streams%n", r + 1, inOne[r], inBatch[r], streams);
                log.flush();
            }
        }
        addThroughput(report, scenario, streams, "_in_process", inOne, inBatch);
        log.println("[bench] " + scenario + " through the pipeline");
        log.flush();
        try (LocalPipeline pipeline = start(model, null, "llama-1b-shape", Map.of("llmpipe.decode.max-batch", Integer.toString(streams)))) {
            String url = pipeline.url("gateway") + "/v1/completions";
            ObjectNode body = JSON.createObjectNode().put("model", "llama-1b-shape").put("max_tokens", tokens).put("temperature", 0)
                    .put("stream", true).put("ignore_eos", true);
            body.putArray("prompt").add(1).add(100).add(200).add(300).add(400).add(500).add(600).add(700);
            concurrent(url, body, streams, 1); // warm-up
            stream(url, body);
            String metrics = pipeline.url("decode-service") + "/q/metrics";
            double[] pipeOne = new double[BATCHING_ROUNDS];
            double[] pipeBatch = new double[BATCHING_ROUNDS];
            double[] serviceStep = new double[BATCHING_ROUNDS];
            for (int r = 0; r < BATCHING_ROUNDS; r++) {
                double[] before = decodeStepTotals(metrics);
                pipeOne[r] = steadyThroughput(List.of(stream(url, body)));
                double[] after = decodeStepTotals(metrics);
                serviceStep[r] = 1000 * (after[1] - before[1]) / (after[0] - before[0]);
                pipeBatch[r] = steadyThroughput(concurrent(url, body, streams, 1));
                log.printf("[bench]   round %d: %.2f tok/s alone (the decode-service's own step: %.1f ms), %.2f tok/s with %d streams%n",
                        r + 1, pipeOne[r], serviceStep[r], pipeBatch[r], streams);
                log.flush();
            }
            addThroughput(report, scenario, streams, "", pipeOne, pipeBatch);
            // the service's own timing of its forward passes (one stream): tells the pipeline's transport
            // from the decode-service's compute when the client's rate falls behind in-process
            report.add(new BenchRow().put("scenario", scenario).put("concurrency", 1).put("metric", "decode_step_service")
                    .put("p50", round(Percentiles.median(serviceStep))).put("p99", round(Percentiles.of(serviceStep, 100)))
                    .put("unit", "ms").put("rounds", BATCHING_ROUNDS));
        }
    }

    /** The decode-service's step timer as {count, total seconds}, from its Prometheus metrics. */
    private double[] decodeStepTotals(String metricsUrl) throws IOException, InterruptedException {
        String text = http.send(HttpRequest.newBuilder(URI.create(metricsUrl)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        double[] totals = {Double.NaN, Double.NaN};
        for (String line : text.split("\n")) {
            if (line.startsWith("llmpipe_decode_step_seconds_count")) {
                totals[0] = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            } else if (line.startsWith("llmpipe_decode_step_seconds_sum")) {
                totals[1] = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        if (Double.isNaN(totals[0]) || Double.isNaN(totals[1])) {
            throw new IllegalStateException("no llmpipe_decode_step_seconds timer at " + metricsUrl);
        }
        return totals;
    }

    /**
     * Decode tokens/s alone and with {@code streams}, and their ratio, over the rounds: median in the
     * {@code p50} column, the worst round in {@code p99}; the ratio is taken round by round.
     */
    private static void addThroughput(BenchReport report, String scenario, int streams, String suffix, double[] one, double[] batch) {
        double[] ratio = new double[one.length];
        for (int r = 0; r < one.length; r++) {
            ratio[r] = batch[r] / one[r];
        }
        report.add(throughput(scenario, 1, "decode_tokens_per_second" + suffix, one));
        report.add(throughput(scenario, streams, "decode_tokens_per_second" + suffix, batch));
        report.add(throughput(scenario, streams, "batching_speedup" + suffix, ratio).put("unit", "x"));
    }

    /**
     * Aggregate decode tokens/s while every stream is decoding: chunks arriving between the last stream's
     * first token (all prefills done) and the first stream's last token, over that window. Prefills of
     * the other requests, which share the machine, stay out of it.
     */
    static double steadyThroughput(List<Timed> timed) {
        long from = timed.stream().mapToLong(Timed::first).max().orElseThrow();
        long to = timed.stream().mapToLong(Timed::last).min().orElseThrow();
        if (to <= from) {
            throw new IllegalStateException("the streams never decoded all at once; raise the token count");
        }
        long chunks = timed.stream().flatMapToLong(t -> java.util.Arrays.stream(t.arrivals())).filter(x -> x > from && x <= to).count();
        return chunks / ((to - from) / 1e9);
    }

    private static BenchRow throughput(String scenario, int concurrency, String metric, double[] rounds) {
        return new BenchRow().put("scenario", scenario).put("concurrency", concurrency).put("metric", metric)
                .put("p50", round(Percentiles.median(rounds))).put("p99", round(Percentiles.of(rounds, 0))).put("unit", "tokens/s")
                .put("rounds", rounds.length);
    }

    // ---- HTTP ----------------------------------------------------------------------------------------------

    private List<Timed> concurrent(String url, ObjectNode body, int streams, int rounds) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(streams);
        try {
            List<Timed> out = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                List<Future<Timed>> fs = new ArrayList<>();
                for (int i = 0; i < streams; i++) {
                    fs.add(pool.submit(() -> stream(url, body)));
                }
                for (Future<Timed> f : fs) {
                    out.add(f.get());
                }
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    /** Streams one completion, timing the first and last chunks that carry generated text or the first token. */
    private Timed stream(String url, ObjectNode body) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(5)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
        long sent = System.nanoTime();
        HttpResponse<java.util.stream.Stream<String>> resp = http.send(req, HttpResponse.BodyHandlers.ofLines());
        if (resp.statusCode() != 200) {
            throw new IllegalStateException("HTTP " + resp.statusCode() + " from " + url);
        }
        long first = 0;
        long last = 0;
        int chunks = 0;
        int tokens = 0;
        List<Long> arrivals = new ArrayList<>();
        for (Iterator<String> it = resp.body().iterator(); it.hasNext(); ) {
            String line = it.next();
            if (!line.startsWith("data: ")) {
                continue;
            }
            long now = System.nanoTime();
            String data = line.substring(6);
            if (data.equals("[DONE]")) {
                break;
            }
            JsonNode c = JSON.readTree(data);
            if (c.has("error")) {
                throw new IllegalStateException("stream failed: " + data);
            }
            if (first == 0) {
                first = now;
            }
            chunks++;
            JsonNode choices = c.get("choices");
            if (!choices.isEmpty() && choices.get(0).get("finish_reason").isNull()) {
                last = now;
                arrivals.add(now);
            }
            if (c.hasNonNull("usage")) {
                tokens = c.get("usage").get("completion_tokens").asInt();
            }
        }
        // without include_usage: count the chunks (one per token here: ignore_eos, byte-complete vocabularies)
        return new Timed(sent, first, last == 0 ? first : last, tokens > 0 ? tokens : chunks,
                arrivals.stream().mapToLong(Long::longValue).toArray());
    }

    // ---- statistics ----------------------------------------------------------------------------------------

    private static void row(BenchReport report, String scenario, int concurrency, String metric, List<Double> values, String unit) {
        report.add(new BenchRow().put("scenario", scenario).put("concurrency", concurrency).put("metric", metric)
                .put("p50", round(Percentiles.of(values, 50))).put("p99", round(Percentiles.of(values, 99))).put("unit", unit));
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
