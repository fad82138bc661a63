package io.llmpipe.engine.attention;

import io.llmpipe.engine.tensor.Parallel;
import io.llmpipe.engine.tensor.VectorMath;
import java.util.Arrays;
import java.util.BitSet;

/**
 * DHSA, dynamic hierarchical sparse attention (Xiong et al., 2025; see ALGORITHMS.md): the keys are cut
 * into variable-length chunks ({@link ChunkBoundaries}), each chunk and each query block is summarised
 * by its mean times √length, and each query block keeps the chunks it scores highest against, within a
 * token budget, plus the most recent tokens. One mask serves every head of the layer. The kept tokens
 * are run as key blocks of {@code keyBlock} positions by {@link BlockSparseKernel}.
 *
 * <p>Where this differs from the paper: chunk boundaries come from a training-free rule (the trained
 * predictor is not available; the rule is pluggable); the first key block (attention sink) is kept as
 * FlexPrefill keeps it; kept tokens are rounded out to whole key blocks. Calls whose positions fit in
 * the budget run dense. One instance per request ({@link #density()}); thread-safe.
 */
public final class DhsaAttention implements Attention {

    /**
     * @param queryBlock    query block length
     * @param keyBlock      key block length the kernel runs
     * @param averageChunk  aimed-for average chunk length (chunks ≈ positions / averageChunk)
     * @param budget        keys (tokens) each query block attends to at most, besides the recent window
     * @param recent        most recent tokens always kept
     */
    public record Parameters(int queryBlock, int keyBlock, int averageChunk, int budget, int recent) {
        public static final Parameters DEFAULT = new Parameters(128, 32, 32, 2048, 64);

        public Parameters {
            if (queryBlock < 1 || keyBlock < 1 || averageChunk < 1 || budget < 1 || recent < 0) {
                throw new IllegalArgumentException("bad DHSA parameters: query block " + queryBlock + ", key block " + keyBlock
                        + ", average chunk " + averageChunk + ", budget " + budget + ", recent " + recent);
            }
        }
    }

    private final Parameters params;
    private final ChunkBoundaries boundaries;
    private final BlockSparseKernel kernel;
    private final DensityMeter meter = new DensityMeter();

    public DhsaAttention(Parameters params) {
        this(params, ChunkBoundaries.similarityDrops(4, 8), BlockSparseKernel.CPU);
    }

    public DhsaAttention(Parameters params, ChunkBoundaries boundaries, BlockSparseKernel kernel) {
        this.params = params;
        this.boundaries = boundaries;
        this.kernel = kernel;
    }

    /** Selected over causal (query block, key block) pairs of every call so far; 1 when all ran dense. */
    public double density() {
        return meter.density();
    }

    @Override
    public void attend(AttentionShape shape, float[] q, int qOffset, int n, int startPos,
                       float[] keys, float[] values, float[] out, int outOffset, Parallel parallel) {
        int positions = startPos + n;
        if (runsDense(n, positions)) {
            kernel.attendDense(shape, q, qOffset, n, startPos, keys, values, out, outOffset, parallel);
            meter.dense(params.queryBlock(), params.keyBlock(), shape.heads(), startPos, positions);
            return;
        }
        BlockSelection selection = select(shape, q, qOffset, n, startPos, keys);
        meter.sparse(selection);
        kernel.attend(shape, q, qOffset, n, startPos, keys, values, out, outOffset, parallel, selection);
    }

    /**
     * Whether a call of {@code n} query rows over {@code positions} keys runs dense: when the budget
     * (plus the recent window and the query block itself) would keep over 3/4 of the causal keys, the
     * selection and the smaller key blocks cost more than they skip (measured: 4K tokens at the default
     * budget kept 0.83 of the blocks and ran 0.92x dense's speed on OpenCL).
     */
    public boolean runsDense(int n, int positions) {
        if (n < params.queryBlock()) {
            return true;
        }
        int block = params.queryBlock();
        long cap = (long) params.budget() + params.recent() + block;
        long causal = 0;
        long kept = 0;
        for (int qb = (positions - n) / block; qb <= (positions - 1) / block; qb++) {
            long keys = Math.min((long) qb * block + block, positions);
            causal += keys;
            kept += Math.min(keys, cap);
        }
        return kept * 4 > causal * 3;
    }

    /** The layer's mask for the call's queries, the same for every head. */
    public BlockSelection select(AttentionShape shape, float[] q, int qOffset, int n, int startPos, float[] keys) {
        int hs = shape.headSize();
        int positions = startPos + n;
        int qb0 = startPos / params.queryBlock();
        int qbN = (positions - 1) / params.queryBlock();
        BlockSelection selection = new BlockSelection(params.queryBlock(), params.keyBlock(), shape.heads(), qb0, qbN - qb0 + 1);

        // 1. keys averaged over heads; chunks
        float[] meanKeys = new float[positions * hs];
        for (int p = 0; p < positions; p++) {
            for (int kh = 0; kh < shape.kvHeads(); kh++) {
                VectorMath.axpy(1f / shape.kvHeads(), keys, p * shape.kvDim() + kh * hs, meanKeys, p * hs, hs);
            }
        }
        int[] starts = boundaries.starts(meanKeys, positions, hs, Math.max(1, positions / params.averageChunk()));
        int chunks = starts.length;
        // 2. chunk representations: mean x sqrt(length)
        float[][] chunkRepr = new float[chunks][hs];
        for (int c = 0; c < chunks; c++) {
            int from = starts[c];
            int to = c + 1 < chunks ? starts[c + 1] : positions;
            float w = (float) (1.0 / Math.sqrt(to - from)); // sum / len * sqrt(len) = sum / sqrt(len)
            for (int p = from; p < to; p++) {
                VectorMath.axpy(w, meanKeys, p * hs, chunkRepr[c], 0, hs);
            }
        }
        int queryDim = shape.queryDim();
        for (int qb = qb0; qb <= qbN; qb++) {
            int qs = Math.max(qb * params.queryBlock(), startPos);
            int qe = Math.min(qb * params.queryBlock() + params.queryBlock() - 1, positions - 1);
            // query block representation: queries averaged over heads, mean x sqrt(length)
            float[] qRepr = new float[hs];
            float w = (float) (1.0 / Math.sqrt(qe - qs + 1) / shape.heads());
            for (int pos = qs; pos <= qe; pos++) {
                for (int h = 0; h < shape.heads(); h++) {
                    VectorMath.axpy(w, q, qOffset + (pos - startPos) * queryDim + h * hs, qRepr, 0, hs);
                }
            }
            // 3-4. chunk scores (causal), highest first, within the budget
            int visible = 0;
            while (visible < chunks && starts[visible] <= qe) {
                visible++;
            }
            double[] score = new double[visible];
            Integer[] order = new Integer[visible];
            for (int c = 0; c < visible; c++) {
                score[c] = VectorMath.dot(qRepr, 0, chunkRepr[c], 0, hs);
                order[c] = c;
            }
            Arrays.sort(order, (a, b) -> Double.compare(score[b], score[a]));
            BitSet kept = new BitSet(qe + 1);
            int recentFrom = Math.max(0, Math.min(qs, qe - params.recent() + 1));
            kept.set(recentFrom, qe + 1); // the recent window and the query block itself
            kept.set(0, Math.min(params.keyBlock(), qe + 1)); // the sink
            int used = 0;
            for (int c : order) {
                int from = starts[c];
                int to = Math.min(c + 1 < chunks ? starts[c + 1] : positions, qe + 1);
                if (used + (to - from) > params.budget()) {
                    continue;
                }
                kept.set(from, to);
                used += to - from;
            }
            BitSet blocks = new BitSet();
            for (int p = kept.nextSetBit(0); p >= 0; p = kept.nextSetBit(p + 1)) {
                blocks.set(p / params.keyBlock());
            }
            int[] kb = blocks.stream().toArray();
            for (int h = 0; h < shape.heads(); h++) {
                selection.set(h, qb, kb);
            }
        }
        return selection;
    }
}
