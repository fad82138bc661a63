package io.llmpipe.cli.bench;

import io.llmpipe.engine.attention.DenseAttention;
import io.llmpipe.engine.generation.Generator;
import io.llmpipe.engine.generation.Sequence;
import io.llmpipe.engine.model.Model;
import io.llmpipe.engine.model.ModelConfig;
import io.llmpipe.engine.model.ModelLoader;
import io.llmpipe.engine.model.Weights;
import io.llmpipe.engine.tensor.FloatTensor;
import io.llmpipe.engine.tensor.GGMLType;
import io.llmpipe.engine.tensor.MatMul;
import io.llmpipe.engine.tensor.TiledQ4_0Tensor;
import io.llmpipe.engine.tensor.Parallel;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * {@code pipeline bench engine}: the machine's memory-read ceiling, mat-vec bandwidth per tensor
 * type, and prefill/decode speed on stories260K and on random-weight models of Llama-3.2-1B shape
 * (Q8_0, Q4_0), with the fraction of the ceiling that decode reaches and the aggregate speed of 8
 * sequences decoding together (batched).
 */
public final class EngineBench {
    /** Larger than the last-level cache many times over, so DRAM is what is measured. */
    static final long STREAM_BYTES = 1L << 30;
    static final long MATVEC_BYTES = 256L << 20;
    static final int MATVEC_COLS = 4096;
    /** Sequences in the batched decode measurement: the decode-service's default max batch. */
    static final int BATCH = 8;
    static final int BATCH_STEPS = 8;

    public record Options(Path sharedModels, Path workDir, int[] threads, boolean large, int prefillTokens, int decodeTokens) {
    }

    private final Options options;
    private final PrintWriter log;

    public EngineBench(Options options, PrintWriter log) {
        this.options = options;
        this.log = log;
    }

    /**
     * Runs every measurement group in a fresh JVM (see {@link #runGroup}): the JIT specialises the
     * Vector API and memory-segment code on the types it has seen, so one tensor type measured after
     * others in the same process reads slower than it does in a server that loads one model.
     */
    public BenchReport run() throws Exception {
        BenchReport report = new BenchReport("engine");
        List<String> groups = new java.util.ArrayList<>();
        groups.add("ceiling");
        if (options.large()) {
            groups.add("model:Q8_0");
            groups.add("model:Q4_0");
        }
        groups.add("stories");
        for (GGMLType type : GGMLType.values()) {
            groups.add("matvec:" + type);
        }
        for (String group : groups) {
            ChildJvm.run(group, options, log).forEach(report::add);
        }
        return report;
    }

    /** The rows of a group run, as the line a child JVM prints for its parent. */
    public static String encodeRows(BenchReport report) throws java.io.IOException {
        return ChildJvm.encode(report);
    }

    /** One measurement group, in this JVM. */
    public BenchReport runGroup(String group) throws Exception {
        BenchReport report = new BenchReport("engine");
        if (group.equals("ceiling")) {
            for (int t : options.threads()) {
                double bw;
                try (Parallel p = new Parallel(t)) {
                    bw = MemoryBandwidth.measure(p, STREAM_BYTES, 5);
                }
                report.add(row("-", "-", t, "memory_read_bandwidth", bw / 1e9, "GB/s"));
                log.printf("memory read ceiling, %d threads: %.2f GB/s%n", t, bw / 1e9);
                log.flush();
            }
        } else if (group.startsWith("model:")) {
            GGMLType type = GGMLType.valueOf(group.substring(6));
            Path file = SyntheticModels.llama32_1bShape(options.workDir().resolve("models"), type, log);
            try (Model m = ModelLoader.load(new ModelLoader.Options(file, null, 4096))) {
                for (int i = 0; i < options.threads().length; i++) {
                    speed(report, m, "llama-3.2-1b-shape", type.name(), options.threads()[i],
                            options.prefillTokens(), options.decodeTokens(), true);
                }
            }
        } else if (group.equals("stories")) {
            Path stories = options.sharedModels().resolve("stories260K.bin");
            try (Model m = ModelLoader.load(new ModelLoader.Options(stories, options.sharedModels().resolve("tok512.bin"), 512))) {
                for (int t : options.threads()) {
                    speed(report, m, "stories260K", "F32", t, Math.min(options.prefillTokens(), 256), Math.min(200, 511 - 256), false);
                }
            }
        } else if (group.startsWith("matvec:")) {
            GGMLType type = GGMLType.valueOf(group.substring(7));
            for (int t : options.threads()) {
                double bw = matvecBandwidth(type, t);
                report.add(row("matvec " + MATVEC_COLS + " cols", type.name(), t, "matvec_bandwidth", bw / 1e9, "GB/s"));
                log.printf("matvec %s, %d threads: %.2f GB/s%n", type, t, bw / 1e9);
                log.flush();
            }
        } else {
            throw new IllegalArgumentException("unknown bench group " + group);
        }
        return report;
    }

    /**
     * Prefill tokens/s and decode tokens/s (one sequence); with {@code againstCeiling}, the fraction of the
     * memory-read ceiling decode reaches.
     */
    private void speed(BenchReport report, Model m, String name, String type, int threads, int prefill, int decode, boolean againstCeiling) {
        try (Parallel p = new Parallel(threads)) {
            Generator g = new Generator(m, p);
            int vocab = m.config().vocabularySize();
            int[] prompt = new int[prefill];
            Random rnd = new Random(1);
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = 3 + rnd.nextInt(vocab - 3);
            }
            // warm-up: JIT the kernels on a short run
            g.prefill(g.newSequence(), java.util.Arrays.copyOf(prompt, Math.min(prompt.length, 16)), DenseAttention.INSTANCE, 512);

            Sequence seq = g.newSequence();
            long t0 = System.nanoTime();
            float[] logits = g.prefill(seq, prompt, DenseAttention.INSTANCE, 512);
            long t1 = System.nanoTime();
            double prefillTps = prefill * 1e9 / (t1 - t0);

            int[] one = {io.llmpipe.engine.sampling.Sampler.argmax(logits, 0, vocab)};
            float[] step = new float[vocab];
            // two untimed steps, then the timed ones
            for (int i = 0; i < 2; i++) {
                g.decode(List.of(seq), one, step);
                one[0] = io.llmpipe.engine.sampling.Sampler.argmax(step, 0, vocab);
            }
            // Each timed step is followed by one read of a 1 GiB buffer on the same threads: the host's
            // memory speed swings by 2x within a second (other tenants), so the fraction of the ceiling
            // is taken step by step against the read right after it, and the median reported.
            double bytes = weightBytesPerToken(m);
            double[] fractions = new double[decode];
            double[] ceilings = new double[decode];
            long decodeNanos = 0;
            try (Arena arena = Arena.ofShared()) {
                MemorySegment buffer = againstCeiling ? MemoryBandwidth.buffer(arena, STREAM_BYTES) : null;
                for (int i = 0; i < decode; i++) {
                    long s0 = System.nanoTime();
                    g.decode(List.of(seq), one, step);
                    one[0] = io.llmpipe.engine.sampling.Sampler.argmax(step, 0, vocab);
                    long stepNanos = System.nanoTime() - s0;
                    decodeNanos += stepNanos;
                    if (buffer != null) {
                        ceilings[i] = MemoryBandwidth.pass(p, buffer);
                        fractions[i] = bytes / (stepNanos / 1e9) / ceilings[i];
                    }
                }
            }
            double decodeTps = decode * 1e9 / decodeNanos;
            report.add(row(name, type, threads, "prefill_tokens_per_second", prefillTps, "tok/s").put("tokens", prefill));
            report.add(row(name, type, threads, "decode_tokens_per_second", decodeTps, "tok/s").put("tokens", decode));
            log.printf("%s %s, %d threads: prefill %.1f tok/s (%d tokens), decode %.2f tok/s%n", name, type, threads, prefillTps, prefill, decodeTps);
            if (againstCeiling) {
                double bw = bytes * decodeTps;
                double sameRun = Percentiles.median(ceilings);
                report.add(row(name, type, threads, "decode_weight_bandwidth", bw / 1e9, "GB/s"));
                report.add(row(name, type, threads, "decode_fraction_of_ceiling", Percentiles.median(fractions), "ratio"));
                report.add(row(name, type, threads, "memory_read_bandwidth_same_run", sameRun / 1e9, "GB/s"));
                log.printf("  decode reads %.0f MB/token: %.2f GB/s; step by step against a read right after: median %.0f%% "
                                + "(%.0f%%-%.0f%%) of a median %.2f GB/s%n",
                        bytes / 1e6, bw / 1e9, 100 * Percentiles.median(fractions), 100 * Percentiles.of(fractions, 0), 100 * Percentiles.of(fractions, 100), sameRun / 1e9);
                double batchTps = batchedDecode(g, vocab);
                report.add(row(name, type, threads, "decode_batch" + BATCH + "_tokens_per_second", batchTps, "tok/s").put("tokens", BATCH * BATCH_STEPS));
                report.add(row(name, type, threads, "batch" + BATCH + "_speedup", batchTps / decodeTps, "x"));
                log.printf("  %d sequences decoding together: %.2f tok/s in all, %.2fx one sequence%n", BATCH, batchTps, batchTps / decodeTps);
            }
            log.flush();
        }
    }

    /**
     * Aggregate tokens/s of {@link #BATCH} sequences (8-token prompts) advancing together, one batched
     * forward pass a step (what the decode-service's continuous batching does); two untimed steps, then
     * {@link #BATCH_STEPS} timed ones.
     */
    private static double batchedDecode(Generator g, int vocab) {
        Random rnd = new Random(2);
        List<Sequence> seqs = new java.util.ArrayList<>();
        int[] tokens = new int[BATCH];
        for (int s = 0; s < BATCH; s++) {
            int[] prompt = new int[8];
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = 3 + rnd.nextInt(vocab - 3);
            }
            Sequence seq = g.newSequence();
            float[] logits = g.prefill(seq, prompt, DenseAttention.INSTANCE, 512);
            tokens[s] = io.llmpipe.engine.sampling.Sampler.argmax(logits, 0, vocab);
            seqs.add(seq);
        }
        float[] logits = new float[BATCH * vocab];
        long nanos = 0;
        for (int i = 0; i < 2 + BATCH_STEPS; i++) {
            long t0 = System.nanoTime();
            g.decode(seqs, tokens, logits);
            if (i >= 2) {
                nanos += System.nanoTime() - t0;
            }
            for (int s = 0; s < BATCH; s++) {
                tokens[s] = io.llmpipe.engine.sampling.Sampler.argmax(logits, s * vocab, vocab);
            }
        }
        return (double) BATCH * BATCH_STEPS * 1e9 / nanos;
    }

    /** Bytes of weights one decode step reads: every matrix once, plus one embedding row. */
    static double weightBytesPerToken(Model m) {
        Weights w = m.weights();
        ModelConfig c = m.config();
        double bytes = 0;
        for (int l = 0; l < c.layers(); l++) {
            for (FloatTensor t : new FloatTensor[]{w.wq()[l], w.wk()[l], w.wv()[l], w.wo()[l], w.w1()[l], w.w2()[l], w.w3()[l]}) {
                bytes += t.type().byteSize(t.size());
            }
        }
        bytes += w.output().type().byteSize(w.output().size());
        bytes += w.tokenEmbedding().type().byteSize(c.dim());
        return bytes;
    }

    /**
     * Mat-vec over a matrix of MATVEC_BYTES in {@code type}: weight bytes streamed per second (best of
     * the last 10 of 20 passes: one pass is a single long call, and a kernel whose loop C2 compiles late
     * measured at half its speed over the first few). The matrix lives in a memory-mapped file, as model weights do: the JIT specialises the
     * kernels on the segment's kind, so a heap or arena segment would measure another code path.
     */
    double matvecBandwidth(GGMLType type, int threads) throws java.io.IOException {
        int cols = MATVEC_COLS;
        long rowBytes = type.byteSize(cols);
        // whole tiles of 64 rows, or the loader's Q4_0 rule would keep the file's layout
        int rows = (int) (MATVEC_BYTES / rowBytes) / TiledQ4_0Tensor.TILE * TiledQ4_0Tensor.TILE;
        java.nio.file.Files.createDirectories(options.workDir());
        Path file = options.workDir().resolve("matvec-" + type + ".bin");
        try (Arena arena = Arena.ofShared(); Parallel p = new Parallel(threads);
             java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.CREATE,
                     java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE,
                     java.nio.file.StandardOpenOption.DELETE_ON_CLOSE)) {
            MemorySegment data = ch.map(java.nio.channels.FileChannel.MapMode.READ_WRITE, 0, rowBytes * rows, arena);
            SyntheticModels.fillRandom(data, type, rows, cols, 42);
            // as the model loader does: Q4_0 is copied into row tiles (the mat-vec reads the copy)
            FloatTensor w = TiledQ4_0Tensor.of(FloatTensor.of(type, data, (long) rows * cols), rows, cols, arena);
            float[] x = new float[cols];
            Random rnd = new Random(3);
            for (int i = 0; i < cols; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            float[] out = new float[rows];
            double best = 0;
            for (int rep = 0; rep < 20; rep++) {
                long t0 = System.nanoTime();
                MatMul.matmul(p, w, rows, cols, x, 0, 1, out, 0, rows);
                long t1 = System.nanoTime();
                if (rep >= 10) {
                    best = Math.max(best, (double) rows * rowBytes / ((t1 - t0) / 1e9));
                }
            }
            return best;
        }
    }

    private static BenchRow row(String model, String type, int threads, String metric, double value, String unit) {
        return new BenchRow().put("model", model).put("type", type).put("threads", threads)
                .put("metric", metric).put("value", value).put("unit", unit);
    }
}
