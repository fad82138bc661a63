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
import java.util.Random;

/**
 * {@code pipeline bench attention}: dense versus FlexPrefill versus DHSA prefill attention over one
 * whole prompt, per backend, on inputs with attention structure planted the way LLM heads show it
 * (an attention sink, local windows from a RoPE-like position code, vertical stripes, a needle the
 * last queries seek). Each sparse row reports its density and its recall: the share of the true
 * attention mass (float64, on 32 sampled query rows x 4 heads) inside the blocks it computed.
 */
public final class AttentionBench {

    public record Options(int[] lengths, int heads, int kvHeads, int headDim, boolean opencl) {
    }

    private final Options options;
    private final PrintWriter log;

    public AttentionBench(Options options, PrintWriter log) {
        this.options = options;
        this.log = log;
    }

    record Inputs(float[] q, float[] k, float[] v) {
    }

    public BenchReport run() throws Exception {
        BenchReport report = new BenchReport("attention");
        AttentionShape shape = new AttentionShape(options.heads(), options.kvHeads(), options.headDim());
        Map<String, BlockSparseKernel> backends = new LinkedHashMap<>();
        backends.put("cpu", BlockSparseKernel.CPU);
        Optional<OpenClDevice> device = options.opencl() ? OpenClDevice.open(OpenClDevice.Preference.GPU_FIRST) : Optional.empty();
        device.ifPresent(d -> backends.put("opencl (" + d.name() + ")", new OpenClBlockSparseAttention(d)));
        try (Parallel parallel = new Parallel(Parallel.defaultThreads())) {
            // warm-up: JIT and the OpenCL program build
            Inputs warm = planted(shape, 1024, 1);
            for (BlockSparseKernel kernel : backends.values()) {
                measure(shape, warm, 1024, "flexprefill", kernel, parallel);
            }
            for (int n : options.lengths()) {
                Inputs in = planted(shape, n, n);
                for (var backend : backends.entrySet()) {
                    for (String mode : List.of("dense", "flexprefill", "dhsa")) {
                        log.printf("[bench] %s %s %d tokens...%n", mode, backend.getKey(), n);
                        log.flush();
                        double[] r = measure(shape, in, n, mode, backend.getValue(), parallel);
                        report.add(new BenchRow().put("mode", mode).put("backend", backend.getKey()).put("seq_len", n)
                                .put("heads", shape.heads() + "/" + shape.kvHeads()).put("head_dim", shape.headSize())
                                .put("millis", Math.round(r[0])).put("density", round(r[1])).put("recall", round(r[2])));
                    }
                }
            }
        } finally {
            device.ifPresent(OpenClDevice::close);
        }
        return report;
    }

    /** {millis, density, recall} of one whole-prompt attention call (selection included). */
    private double[] measure(AttentionShape shape, Inputs in, int n, String mode, BlockSparseKernel kernel, Parallel parallel) {
        float[] out = new float[n * shape.queryDim()];
        long t0 = System.nanoTime();
        BlockSelection selection = switch (mode) {
            case "dense" -> BlockSelection.full(128, shape.heads(), 0, (n - 1) / 128 + 1);
            case "flexprefill" -> new FlexPrefillAttention(FlexPrefillAttention.Parameters.DEFAULT)
                    .select(shape, in.q(), 0, n, 0, in.k(), parallel);
            case "dhsa" -> new DhsaAttention(DhsaAttention.Parameters.DEFAULT, ChunkBoundaries.similarityDrops(4, 8), kernel)
                    .select(shape, in.q(), 0, n, 0, in.k());
            default -> throw new IllegalArgumentException(mode);
        };
        kernel.attend(shape, in.q(), 0, n, 0, in.k(), in.v(), out, 0, parallel, selection);
        double millis = (System.nanoTime() - t0) / 1e6;
        return new double[]{millis, selection.density(), recall(shape, in, n, selection)};
    }

    private static double recall(AttentionShape shape, Inputs in, int n, BlockSelection s) {
        double total = 0;
        int rows = 0;
        for (int sample = 0; sample < 32; sample++) {
            int i = n / 4 + (int) ((long) sample * (n - n / 4 - 1) / 31);
            for (int h = 0; h < Math.min(4, shape.heads()); h++) {
                total += ReferenceAttention.recall(shape, in.q(), i, 0, h, in.k(), s);
                rows++;
            }
        }
        return total / rows;
    }

    /** Q/K/V with a sink, RoPE-like local windows, stripes every 512 keys, and a needle sought by the last 128 queries. */
    static Inputs planted(AttentionShape shape, int n, long seed) {
        Random r = new Random(seed);
        int hs = shape.headSize();
        float[] q = new float[n * shape.queryDim()];
        float[] k = new float[n * shape.kvDim()];
        float[] v = new float[n * shape.kvDim()];
        int needle = n / 3;
        for (int p = 0; p < n; p++) {
            for (int kh = 0; kh < shape.kvHeads(); kh++) {
                int o = p * shape.kvDim() + kh * hs;
                for (int d = 0; d < hs; d++) {
                    k[o + d] = (float) (0.5 * r.nextGaussian());
                    v[o + d] = (float) r.nextGaussian();
                }
                code(k, o, p, 2f);
                k[o + 16] += p == 0 ? 8f : 0f;
                k[o + 17] += p == needle ? 8f : 0f;
                k[o + 18] += p % 512 == 100 ? 4f : 0f;
            }
            for (int h = 0; h < shape.heads(); h++) {
                int o = p * shape.queryDim() + h * hs;
                for (int d = 0; d < hs; d++) {
                    q[o + d] = (float) (0.3 * r.nextGaussian());
                }
                code(q, o, p, 2f);
                q[o + 16] += 8f;
                q[o + 17] += p >= n - 128 ? 8f : 0f;
                q[o + 18] += 4f;
            }
        }
        return new Inputs(q, k, v);
    }

    private static void code(float[] x, int o, int p, float amplitude) {
        for (int j = 0; j < 8; j++) {
            double w = 2 * Math.PI / (6.0 * Math.pow(1.7, j));
            x[o + 2 * j] += (float) (amplitude * Math.cos(p * w));
            x[o + 2 * j + 1] += (float) (amplitude * Math.sin(p * w));
        }
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

}
