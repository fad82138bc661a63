package io.llmpipe.engine.attention;

import io.llmpipe.engine.tensor.Parallel;
import io.llmpipe.engine.tensor.VectorMath;
import java.util.Arrays;

/**
 * DHSA, dynamic hierarchical sparse attention (Xiong et al., 2025; see ALGORITHMS.md): each KV head's
 * keys are cut into variable-length chunks ({@link ChunkBoundaries}) and each chunk and each query block
 * is summarised by its mean times √length; per query head, a query block's chunk scores are upsampled to
 * key blocks of {@code keyBlock} positions and the best of them within a token budget are kept, plus the
 * sink and the most recent tokens. {@link BlockSparseKernel} runs the selection.
 *
 * <p>Where this differs from the paper: chunk boundaries come from a training-free rule (the trained
 * predictor is not available; the rule is pluggable); the selection is per head, as the reference code's
 * masks are (the paper's text shares one mask across a layer's heads: on heads whose patterns differ that
 * needs several times the budget for the same recall); the first key block (attention sink) is kept as
 * FlexPrefill keeps it. Calls whose budget would keep most keys run dense. One instance per request
 * ({@link #density()}); thread-safe.
 */
public final class DhsaAttention implements Attention {

    /**
     * @param queryBlock    query block length
     * @param keyBlock      key block length the kernel runs
     * @param averageChunk  aimed-for average chunk length (chunks ≈ positions / averageChunk)
     * @param budget        keys (tokens) each query block of each head attends to at most, besides the sink, the
     *                      recent window and its own block; rounded down to whole key blocks
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

    /**
     * One query block's part of a call: rows {@code qs..qe}; key blocks {@code 1 .. forcedFrom - 1} compete for
     * the budget, {@code forcedFrom .. lastBlock} (the recent window and the block itself) and block 0 (the sink)
     * are always kept. The device selection sizes its lists from this too.
     */
    public record QueryBlockPlan(int qs, int qe, int lastBlock, int forcedFrom) {
        public static QueryBlockPlan of(Parameters params, int queryBlock, int startPos, int positions) {
            int qs = Math.max(queryBlock * params.queryBlock(), startPos);
            int qe = Math.min(queryBlock * params.queryBlock() + params.queryBlock() - 1, positions - 1);
            int recentFrom = Math.max(0, Math.min(qs, qe - params.recent() + 1));
            return new QueryBlockPlan(qs, qe, qe / params.keyBlock(), recentFrom / params.keyBlock());
        }

        /** Key blocks competing for the budget. */
        public int candidates() {
            return Math.max(0, forcedFrom - 1);
        }

        /** Key blocks kept with a budget of {@code topK} blocks: the sink, the best candidates, the forced ones. */
        public int kept(int topK) {
            return 1 + Math.min(candidates(), topK) + lastBlock - Math.max(1, forcedFrom) + 1;
        }
    }

    /** Key blocks of the budget: {@code budget / keyBlock}, at least one. */
    public static int topK(Parameters params) {
        return Math.max(1, params.budget() / params.keyBlock());
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
        if (boundaries instanceof ChunkBoundaries.SimilarityDrops rule) {
            long selected = kernel.attendDhsa(shape, q, qOffset, n, startPos, keys, values, out, outOffset, params, rule);
            if (selected >= 0) {
                meter.sparse(selected, BlockSelection.causalPairs(params.queryBlock(), params.keyBlock(), shape.heads(), startPos, positions));
                return;
            }
        }
        BlockSelection selection = select(shape, q, qOffset, n, startPos, keys, parallel);
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

    /**
     * Each query head's key blocks for the call's queries. Chunks are cut and summarised per KV head (its
     * own keys); each query head scores its query block's summary against its KV head's chunks, the
     * scores are upsampled to key blocks (a block takes the best chunk overlapping it) and the top
     * {@code budget / keyBlock} blocks are kept besides the sink, the recent window and the query block
     * itself. Runs on {@code parallel}'s threads; the caller owns the returned selection.
     */
    public BlockSelection select(AttentionShape shape, float[] q, int qOffset, int n, int startPos, float[] keys, Parallel parallel) {
        int hs = shape.headSize();
        int positions = startPos + n;
        int queryBlock = params.queryBlock();
        int keyBlock = params.keyBlock();
        int qb0 = startPos / queryBlock;
        int qbN = (positions - 1) / queryBlock;
        int queryBlocks = qbN - qb0 + 1;
        BlockSelection selection = new BlockSelection(queryBlock, keyBlock, shape.heads(), qb0, queryBlocks);

        // 1-2. per KV head: chunk boundaries over its keys, chunk representations = mean x sqrt(length)
        int kvHeads = shape.kvHeads();
        int[][] starts = new int[kvHeads][];
        float[][] chunkRepr = new float[kvHeads][];
        int chunksAimed = Math.max(1, positions / params.averageChunk());
        parallel.forChunks(kvHeads, 1, (from, to) -> {
            for (int g = from; g < to; g++) {
                float[] headKeys = new float[positions * hs];
                for (int p = 0; p < positions; p++) {
                    System.arraycopy(keys, p * shape.kvDim() + g * hs, headKeys, p * hs, hs);
                }
                int[] s = boundaries.starts(headKeys, positions, hs, chunksAimed);
                float[] repr = new float[s.length * hs];
                for (int c = 0; c < s.length; c++) {
                    int end = c + 1 < s.length ? s[c + 1] : positions;
                    float w = (float) (1.0 / Math.sqrt(end - s[c])); // sum / len * sqrt(len) = sum / sqrt(len)
                    for (int p = s[c]; p < end; p++) {
                        VectorMath.axpy(w, headKeys, p * hs, repr, c * hs, hs);
                    }
                }
                starts[g] = s;
                chunkRepr[g] = repr;
            }
        });
        // 3-4. per (query head, query block): chunk scores upsampled to key blocks, top-k within the budget
        int topK = topK(params);
        parallel.forChunks(shape.heads() * queryBlocks, 4, (from, to) -> {
            float[] qRepr = new float[hs];
            float[] blockScore = new float[qbN * queryBlock / keyBlock + queryBlock / keyBlock + 2];
            float[] candidates = new float[blockScore.length];
            for (int job = from; job < to; job++) {
                int h = job % shape.heads();
                int qb = qb0 + job / shape.heads();
                int g = h / shape.kvMul();
                selection.set(h, qb, keyBlocks(shape, q, qOffset, startPos, h, QueryBlockPlan.of(params, qb, startPos, positions),
                        starts[g], chunkRepr[g], positions, topK, qRepr, blockScore, candidates));
            }
        });
        return selection;
    }

    /** One (query head, query block)'s key blocks: rows {@code qs..qe} of head {@code h} against its KV head's chunks. */
    private int[] keyBlocks(AttentionShape shape, float[] q, int qOffset, int startPos, int h, QueryBlockPlan plan,
                            int[] starts, float[] chunkRepr, int positions, int topK,
                            float[] qRepr, float[] blockScore, float[] candidates) {
        int hs = shape.headSize();
        int keyBlock = params.keyBlock();
        int qs = plan.qs();
        int qe = plan.qe();
        // query block representation: this head's queries, mean x sqrt(length)
        Arrays.fill(qRepr, 0f);
        float w = (float) (1.0 / Math.sqrt(qe - qs + 1));
        for (int pos = qs; pos <= qe; pos++) {
            VectorMath.axpy(w, q, qOffset + (pos - startPos) * shape.queryDim() + h * hs, qRepr, 0, hs);
        }
        // chunk scores (causal: chunks starting at or before the block's last query), upsampled to key blocks
        int lastBlock = plan.lastBlock();
        Arrays.fill(blockScore, 0, lastBlock + 1, Float.NEGATIVE_INFINITY);
        for (int c = 0; c < starts.length && starts[c] <= qe; c++) {
            float score = VectorMath.dot(qRepr, 0, chunkRepr, c * hs, hs);
            int end = Math.min(c + 1 < starts.length ? starts[c + 1] : positions, qe + 1);
            for (int kb = starts[c] / keyBlock; kb <= (end - 1) / keyBlock; kb++) {
                blockScore[kb] = Math.max(blockScore[kb], score);
            }
        }
        // always kept: the sink block, the recent window and the query block itself
        int forcedFrom = plan.forcedFrom();
        int count = 0;
        for (int kb = 1; kb < forcedFrom; kb++) {
            candidates[count++] = blockScore[kb];
        }
        float cut = Float.NEGATIVE_INFINITY;
        if (count > topK) {
            // the topK-th highest score; ties at it are taken in position order until topK
            Arrays.sort(candidates, 0, count);
            cut = candidates[count - topK];
        }
        int above = 0;
        for (int kb = 1; kb < forcedFrom; kb++) {
            if (blockScore[kb] > cut) {
                above++;
            }
        }
        int ties = topK - above;
        int[] kept = new int[plan.kept(topK)];
        int k = 0;
        kept[k++] = 0;
        for (int kb = 1; kb < forcedFrom; kb++) {
            if (blockScore[kb] > cut || (blockScore[kb] == cut && ties-- > 0)) {
                kept[k++] = kb;
            }
        }
        for (int kb = Math.max(1, forcedFrom); kb <= lastBlock; kb++) {
            kept[k++] = kb;
        }
        return k == kept.length ? kept : Arrays.copyOf(kept, k); // fewer only when scores are NaN
    }
}
