package io.llmpipe.cli.bench;

import io.llmpipe.engine.attention.AttentionShape;
import io.llmpipe.engine.attention.BlockSelection;
import io.llmpipe.engine.attention.BlockSparseKernel;
import io.llmpipe.engine.attention.ChunkBoundaries;
import io.llmpipe.engine.attention.DhsaAttention;
import io.llmpipe.engine.attention.FlexPrefillAttention;
import io.llmpipe.engine.attention.ReferenceAttention;
import io.llmpipe.engine.attention.opencl.OpenClBlockSparseAttention;
import io.llmpipe.engine.attention.opencl.OpenClDevice;
import io.llmpipe.engine.tensor.Parallel;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import io.llmpipe.cli.bench.StructuredAttentionInputs.Inputs;
import java.util.Random;

/**
 * {@code pipeline bench attention}: dense versus FlexPrefill versus DHSA prefill attention over one
 * whole prompt, per backend, on inputs with attention structure planted the way LLM heads show it
 * (an attention sink, local windows from a RoPE-like position code, vertical stripes, a needle the
 * last queries seek, content segments; {@link StructuredAttentionInputs}). Each sparse row reports
 * its density and its recall: the share of the true attention mass (float64, on 32 sampled query
 * rows x one head per KV group) inside the blocks it computed. Dense runs the kernel's dense path.
 */
public final class AttentionBench {

    /**
     * @param gamma      FlexPrefill's γ, or null for the product default
     * @param tau        FlexPrefill's τ, or null for the product default
     * @param dhsaBudget DHSA's token budget (a fraction of the prompt when below 1), or null for the product default
     * @param openclMaxLength longest prompt for OpenCL rows, or null: all on a GPU, 16384 on a CPU driver
     * @param modelTokens prompt length of the whole-model prefill rows (0: none)
     * @param modelLayers layers of the 1B-shaped model those rows run (every layer is alike: the
     *                    dense/sparse ratio is the 16-layer model's)
     * @param prompts    prompt draws per length for the recall (timing runs on the first): one planted
     *                   prompt is one sample, and a mode's recall varies from draw to draw
     */
    public record Options(int[] lengths, int heads, int kvHeads, int[] headDims, List<String> backends,
                          Double gamma, Double tau, Double dhsaBudget, Integer openclMaxLength, int modelTokens, int modelLayers,
                          java.nio.file.Path workDir, int prompts) {
        public Options {
            if (prompts < 1) {
                throw new IllegalArgumentException("--prompts must be at least 1, got " + prompts);
            }
        }
    }

    private final Options options;
    private final PrintWriter log;

    public AttentionBench(Options options, PrintWriter log) {
        this.options = options;
        this.log = log;
    }

    public BenchReport run() throws Exception {
        BenchReport report = new BenchReport("attention");
        Map<String, BlockSparseKernel> backends = new LinkedHashMap<>();
        if (options.backends().contains("cpu")) {
            backends.put("cpu (" + Parallel.defaultThreads() + " threads)", BlockSparseKernel.CPU);
        }
        Optional<OpenClDevice> device = options.backends().contains("opencl")
                ? OpenClDevice.open(OpenClDevice.Preference.GPU_FIRST) : Optional.empty();
        if (options.backends().contains("opencl") && device.isEmpty()) {
            log.println("[bench] no OpenCL device: OpenCL rows skipped");
        }
        device.ifPresent(d -> backends.put("opencl (" + d.name() + ")", new OpenClBlockSparseAttention(d)));
        try (Parallel parallel = new Parallel(Parallel.defaultThreads())) {
            for (int headDim : options.headDims()) {
                AttentionShape shape = new AttentionShape(options.heads(), options.kvHeads(), headDim);
                // JIT and OpenCL program builds: long enough that both sparse modes select (not fall back to dense)
                int warmLength = 4096;
                Inputs warm = StructuredAttentionInputs.generate(shape, warmLength, 1);
                for (BlockSparseKernel kernel : backends.values()) {
                    for (String mode : List.of("dense", "flexprefill", "dhsa")) {
                        measure(shape, warm, warmLength, mode, kernel, parallel);
                    }
                }
                for (int n : options.lengths()) {
                    Inputs in = StructuredAttentionInputs.generate(shape, n, n);
                    Map<String, BlockSparseKernel> running = new LinkedHashMap<>();
                    for (var backend : backends.entrySet()) {
                        if (backend.getValue() != BlockSparseKernel.CPU && n > openclMaxLength(device.orElseThrow())) {
                            log.printf("[bench] OpenCL rows stop at %d tokens on %s (--opencl-max-length)%n",
                                    openclMaxLength(device.orElseThrow()), device.orElseThrow().name());
                            continue;
                        }
                        running.put(backend.getKey(), backend.getValue());
                    }
                    Map<String, Result> results = new LinkedHashMap<>();
                    Map<String, double[]> recalls = new LinkedHashMap<>(); // per backend and mode, one per prompt draw
                    for (var backend : running.entrySet()) {
                        for (String mode : List.of("dense", "flexprefill", "dhsa")) {
                            log.printf("[bench] %s %s %d tokens, head dim %d...%n", mode, backend.getKey(), n, headDim);
                            log.flush();
                            Result r = measure(shape, in, n, mode, backend.getValue(), parallel);
                            results.put(backend.getKey() + "|" + mode, r);
                            double[] perDraw = new double[options.prompts()];
                            perDraw[0] = r.recall();
                            recalls.put(backend.getKey() + "|" + mode, perDraw);
                        }
                    }
                    in = null;
                    // the recall again on other prompts of the same kind: selection only, on the same backends
                    for (int draw = 1; draw < options.prompts(); draw++) {
                        log.printf("[bench] recall on prompt draw %d of %d, %d tokens...%n", draw + 1, options.prompts(), n);
                        log.flush();
                        Inputs other = StructuredAttentionInputs.generate(shape, n, n + draw);
                        for (var backend : running.entrySet()) {
                            for (String mode : List.of("flexprefill", "dhsa")) {
                                BlockSelection selection = select(shape, other, n, mode, backend.getValue(), parallel);
                                recalls.get(backend.getKey() + "|" + mode)[draw] =
                                        selection == null ? 1 : recall(shape, other, n, selection);
                            }
                        }
                    }
                    for (var backend : running.entrySet()) {
                        for (String mode : List.of("dense", "flexprefill", "dhsa")) {
                            Result r = results.get(backend.getKey() + "|" + mode);
                            double[] perDraw = mode.equals("dense") ? new double[]{1} : recalls.get(backend.getKey() + "|" + mode);
                            report.add(new BenchRow().put("mode", mode).put("backend", backend.getKey()).put("seq_len", n)
                                    .put("heads", shape.heads() + "/" + shape.kvHeads()).put("head_dim", headDim)
                                    .put("millis", Math.round(r.millis())).put("select_ms", Math.round(r.selectMillis()))
                                    .put("density", round(r.density()))
                                    .put("recall", round(java.util.Arrays.stream(perDraw).average().orElseThrow()))
                                    .put("recall_min", round(java.util.Arrays.stream(perDraw).min().orElseThrow()))
                                    .put("prompts", perDraw.length)
                                    .put("alloc_mib", Math.round(r.allocatedBytes() / 1048576.0))
                                    .put("scope", "attention, one layer"));
                        }
                    }
                }
            }
            if (options.modelTokens() > 0) {
                modelPrefill(report, parallel);
            }
        } finally {
            device.ifPresent(OpenClDevice::close);
        }
        return report;
    }

    /**
     * The whole 1B-shaped model (random Q8_0 weights) prefilling one prompt, dense versus sparse, in the
     * product's prefill chunks. Random weights attend almost uniformly (every head would pass as
     * query-aware and keep nearly everything), so FlexPrefill runs vertical-slash only (τ 0) with a max
     * budget of 1/8 of the prompt, and DHSA with its default budget: the rows show what such densities
     * buy end to end, not what the modes would select on a trained model.
     */
    private void modelPrefill(BenchReport report, Parallel parallel) throws Exception {
        int n = options.modelTokens();
        java.nio.file.Path file = SyntheticModels.llama32_1bShape(options.workDir().resolve("models"),
                io.llmpipe.engine.tensor.GGMLType.Q8_0, options.modelLayers(), log);
        try (io.llmpipe.engine.model.Model model = io.llmpipe.engine.model.ModelLoader.load(
                new io.llmpipe.engine.model.ModelLoader.Options(file, null, n + 16))) {
            io.llmpipe.engine.generation.Generator g = new io.llmpipe.engine.generation.Generator(model, parallel);
            int vocab = model.config().vocabularySize();
            Random rnd = new Random(1);
            int[] prompt = new int[n];
            for (int i = 0; i < n; i++) {
                prompt[i] = 3 + rnd.nextInt(vocab - 3);
            }
            int chunk = io.llmpipe.engine.generation.GenerationOptions.DEFAULT_PREFILL_CHUNK;
            g.prefill(g.newSequence(), java.util.Arrays.copyOf(prompt, 1024), io.llmpipe.engine.attention.DenseAttention.INSTANCE, chunk);
            FlexPrefillAttention.Parameters d = FlexPrefillAttention.Parameters.DEFAULT;
            for (String mode : List.of("dense", "flexprefill", "dhsa")) {
                log.printf("[bench] whole model, %s, %d tokens...%n", mode, n);
                log.flush();
                FlexPrefillAttention flex = new FlexPrefillAttention(new FlexPrefillAttention.Parameters(d.blockSize(),
                        options.gamma() != null ? options.gamma() : d.gamma(), 0, d.minBudget(), n / 8));
                DhsaAttention dhsa = new DhsaAttention(DhsaAttention.Parameters.DEFAULT);
                io.llmpipe.engine.attention.Attention attention = switch (mode) {
                    case "dense" -> io.llmpipe.engine.attention.DenseAttention.INSTANCE;
                    case "flexprefill" -> flex;
                    default -> dhsa;
                };
                System.gc();
                Map<Long, Long> allocated0 = allocatedBytes();
                long t0 = System.nanoTime();
                g.prefill(g.newSequence(), prompt, attention, chunk);
                double millis = (System.nanoTime() - t0) / 1e6;
                double density = switch (mode) {
                    case "dense" -> 1.0;
                    case "flexprefill" -> flex.density();
                    default -> dhsa.density();
                };
                report.add(new BenchRow().put("mode", mode).put("backend", "cpu (" + parallel.threads() + " threads)")
                        .put("seq_len", n).put("heads", "32/8").put("head_dim", 64).put("millis", Math.round(millis))
                        .put("select_ms", "-").put("density", round(density)).put("recall", "-")
                        .put("alloc_mib", Math.round(allocatedSince(allocated0) / 1048576.0))
                        .put("scope", "whole model: 1B shape, Q8_0, " + options.modelLayers() + " of 16 layers, chunks of " + chunk));
            }
        }
    }

    private int openclMaxLength(OpenClDevice device) {
        return options.openclMaxLength() != null ? options.openclMaxLength() : device.isGpu() ? Integer.MAX_VALUE : 16384;
    }

    /**
     * The mode's block selection as the product makes it on {@code kernel}'s backend (DHSA on an OpenCL
     * device selects there), or null where the mode falls back to dense for this length.
     */
    private BlockSelection select(AttentionShape shape, Inputs in, int n, String mode, BlockSparseKernel kernel, Parallel parallel) {
        return switch (mode) {
            case "flexprefill" -> {
                FlexPrefillAttention flexPrefill = new FlexPrefillAttention(flexParameters(), kernel);
                yield flexPrefill.runsDense(n, n) ? null : flexPrefill.select(shape, in.q(), 0, n, 0, in.k(), parallel);
            }
            case "dhsa" -> {
                DhsaAttention.Parameters dhsa = dhsaParameters(n);
                DhsaAttention dhsaAttention = new DhsaAttention(dhsa, ChunkBoundaries.similarityDrops(4, 8), kernel);
                if (dhsaAttention.runsDense(n, n)) {
                    yield null;
                }
                if (kernel instanceof OpenClBlockSparseAttention device) {
                    Optional<BlockSelection> onDevice = device.selectDhsa(shape, in.q(), 0, n, 0, in.k(), dhsa,
                            new ChunkBoundaries.SimilarityDrops(4, 8));
                    if (onDevice.isPresent()) {
                        yield onDevice.get();
                    }
                }
                yield dhsaAttention.select(shape, in.q(), 0, n, 0, in.k(), parallel);
            }
            default -> throw new IllegalArgumentException(mode);
        };
    }

    private FlexPrefillAttention.Parameters flexParameters() {
        FlexPrefillAttention.Parameters flex = FlexPrefillAttention.Parameters.DEFAULT;
        if (options.gamma() != null || options.tau() != null) {
            flex = new FlexPrefillAttention.Parameters(flex.blockSize(), options.gamma() != null ? options.gamma() : flex.gamma(),
                    options.tau() != null ? options.tau() : flex.tau(), flex.minBudget(), flex.maxBudget());
        }
        return flex;
    }

    private DhsaAttention.Parameters dhsaParameters(int n) {
        DhsaAttention.Parameters dhsa = DhsaAttention.Parameters.DEFAULT;
        if (options.dhsaBudget() != null) {
            int budget = (int) (options.dhsaBudget() < 1 ? options.dhsaBudget() * n : options.dhsaBudget());
            dhsa = new DhsaAttention.Parameters(dhsa.queryBlock(), dhsa.keyBlock(), dhsa.averageChunk(), budget, dhsa.recent());
        }
        return dhsa;
    }

    /** One whole-prompt attention call: total and selection time, density, recall, bytes allocated on the JVM heap. */
    record Result(double millis, double selectMillis, double density, double recall, long allocatedBytes) {
    }

    private Result measure(AttentionShape shape, Inputs in, int n, String mode, BlockSparseKernel kernel, Parallel parallel) {
        float[] out = new float[n * shape.queryDim()];
        System.gc();
        Map<Long, Long> allocated0 = allocatedBytes();
        long t0 = System.nanoTime();
        DhsaAttention dhsaAttention = new DhsaAttention(dhsaParameters(n), ChunkBoundaries.similarityDrops(4, 8), kernel);
        if (mode.equals("dhsa") && kernel instanceof OpenClBlockSparseAttention device && !dhsaAttention.runsDense(n, n)) {
            // the product path: selection and attention on the device in one call; the selection alone is
            // timed apart (its block lists read back, for select_ms and the recall)
            long s0 = System.nanoTime();
            BlockSelection selection = select(shape, in, n, mode, device, parallel);
            double selectMillis = (System.nanoTime() - s0) / 1e6;
            System.gc();
            allocated0 = allocatedBytes();
            t0 = System.nanoTime();
            dhsaAttention.attend(shape, in.q(), 0, n, 0, in.k(), in.v(), out, 0, parallel);
            double millis = (System.nanoTime() - t0) / 1e6;
            return new Result(millis, selectMillis, dhsaAttention.density(), recall(shape, in, n, selection),
                    allocatedSince(allocated0));
        }
        BlockSelection selection = mode.equals("dense") ? null : select(shape, in, n, mode, kernel, parallel);
        long t1 = System.nanoTime();
        if (selection == null) {
            kernel.attendDense(shape, in.q(), 0, n, 0, in.k(), in.v(), out, 0, parallel);
        } else {
            kernel.attend(shape, in.q(), 0, n, 0, in.k(), in.v(), out, 0, parallel, selection);
        }
        long t2 = System.nanoTime();
        long allocated = allocatedSince(allocated0);
        return new Result((t2 - t0) / 1e6, (t1 - t0) / 1e6, selection == null ? 1 : selection.density(),
                selection == null ? 1 : recall(shape, in, n, selection), allocated);
    }

    /** Bytes allocated so far by each live thread (the pool's workers included), by thread id. */
    private static Map<Long, Long> allocatedBytes() {
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        Map<Long, Long> bytes = new java.util.HashMap<>();
        for (long id : threads.getAllThreadIds()) {
            bytes.put(id, Math.max(0, threads.getThreadAllocatedBytes(id)));
        }
        return bytes;
    }

    /** Bytes allocated since {@code before} by threads alive now (a worker that exited meanwhile is not counted). */
    private static long allocatedSince(Map<Long, Long> before) {
        long total = 0;
        for (var e : allocatedBytes().entrySet()) {
            total += Math.max(0, e.getValue() - before.getOrDefault(e.getKey(), 0L));
        }
        return total;
    }

    private static double recall(AttentionShape shape, Inputs in, int n, BlockSelection s) {
        double total = 0;
        int rows = 0;
        for (int sample = 0; sample < 32; sample++) {
            int i = n / 4 + (int) ((long) sample * (n - n / 4 - 1) / 31);
            for (int h = 0; h < shape.heads(); h += shape.kvMul()) { // one head per KV group: each group has its own pattern
                total += ReferenceAttention.recall(shape, in.q(), i, 0, h, in.k(), s);
                rows++;
            }
        }
        return total / rows;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

}
