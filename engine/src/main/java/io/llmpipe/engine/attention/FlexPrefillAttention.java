package io.llmpipe.engine.attention;

import io.llmpipe.engine.tensor.Parallel;
import io.llmpipe.engine.tensor.VectorMath;
import java.util.Arrays;
import java.util.BitSet;
import java.util.concurrent.atomic.LongAdder;

/**
 * FlexPrefill (Lai et al., ICLR 2025; see ALGORITHMS.md): per head, decides from the prompt's last query
 * block whether the head follows a vertical-slash pattern or needs query-aware block selection, selects
 * the smallest set of key blocks holding a fraction γ of the estimated attention mass, and runs
 * {@link BlockSparseAttention} over it. The first key block (attention sink) and the diagonal block are
 * always kept. Calls whose positions fit in {@code max(16 blocks, minBudget)} run dense ({@link #runsDense}).
 *
 * <p>Where the product differs from the paper: a head judged vertical-slash is checked against the
 * pooled block estimate of every query block (the one query-aware selection uses). When its vertical and
 * slash blocks hold less than γ of that estimate's mass, on average over query blocks, the head also
 * gets its query-aware blocks (when those stay sparse: {@link #MAX_FALLBACK_DENSITY}). The paper decides
 * from the last query block alone, and a content head whose last block happens to ask about its own
 * recent text looks local there: on the bench's planted prompts 1 to 2 draws in 4 lost 5-10% of the
 * attention mass that way (docs/PERFORMANCE.md).
 * {@code checkCoverage = false} gives the paper's rule alone.
 *
 * <p>One instance per request (it counts the density it used: {@link #density()}); thread-safe.
 */
public final class FlexPrefillAttention implements Attention {

    /**
     * @param blockSize query/key block length
     * @param gamma     attention mass the selection must cover, in (0, 1]
     * @param tau       JSD threshold: √JSD below it means the block-level estimate is trusted (query-aware head)
     * @param minBudget fewest tokens a vertical or slash selection keeps; also the dense cut-off
     * @param maxBudget most tokens a vertical or slash selection keeps (0: no limit)
     */
    public record Parameters(int blockSize, double gamma, double tau, int minBudget, int maxBudget) {
        public static final Parameters DEFAULT = new Parameters(128, 0.9, 0.1, 512, 0);

        public Parameters {
            if (blockSize < 1 || !(gamma > 0 && gamma <= 1) || !(tau >= 0) || minBudget < 0 || maxBudget < 0) {
                throw new IllegalArgumentException("bad FlexPrefill parameters: block " + blockSize + ", gamma " + gamma
                        + ", tau " + tau + ", budgets " + minBudget + ".." + maxBudget);
            }
        }
    }

    /**
     * The coverage check adds query-aware blocks only when they reach γ within this share of the block
     * pairs. Block means blur single-token structure (a sink, stripes, a needle), so on a head that lives
     * on such keys the pooled estimate is nearly flat, the vertical-slash blocks cover little of it, and
     * its γ would take most pairs: then the estimate can't tell, and the paper's choice stands.
     */
    static final double MAX_FALLBACK_DENSITY = 0.5;

    /** Prompts of at most this many blocks run dense. */
    static final int DENSE_BLOCKS = 16;

    private final Parameters params;
    private final BlockSparseKernel kernel;
    private final DensityMeter meter = new DensityMeter();
    private final LongAdder queryAwareHeads = new LongAdder();
    private final LongAdder heads = new LongAdder();

    private final boolean checkCoverage;
    private final LongAdder coverageFallbacks = new LongAdder();

    public FlexPrefillAttention(Parameters params) {
        this(params, BlockSparseKernel.CPU);
    }

    /** With the block-sparse attention, and the last-block estimate where the backend computes it, on {@code kernel}. */
    public FlexPrefillAttention(Parameters params, BlockSparseKernel kernel) {
        this(params, kernel, true);
    }

    /** As above; {@code checkCoverage}: whether vertical-slash heads are checked against every query block's estimate. */
    public FlexPrefillAttention(Parameters params, BlockSparseKernel kernel, boolean checkCoverage) {
        this.params = params;
        this.kernel = kernel;
        this.checkCoverage = checkCoverage;
    }

    public Parameters parameters() {
        return params;
    }

    /** Selected over causal (query block, key block) pairs of every call so far; 1 when all ran dense. */
    public double density() {
        return meter.density();
    }

    /** Head selections judged vertical-slash that also took query-aware blocks (the coverage check, class comment). */
    public long coverageFallbacks() {
        return coverageFallbacks.sum();
    }

    /** Fraction of head selections that were query-aware (the rest vertical-slash). */
    public double queryAwareFraction() {
        long h = heads.sum();
        return h == 0 ? 0 : (double) queryAwareHeads.sum() / h;
    }

    @Override
    public void attend(AttentionShape shape, float[] q, int qOffset, int n, int startPos,
                       float[] keys, float[] values, float[] out, int outOffset, Parallel parallel) {
        int positions = startPos + n;
        int block = params.blockSize();
        if (runsDense(n, positions)) {
            kernel.attendDense(shape, q, qOffset, n, startPos, keys, values, out, outOffset, parallel);
            meter.dense(block, block, shape.heads(), startPos, positions);
            return;
        }
        BlockSelection selection = select(shape, q, qOffset, n, startPos, keys, parallel);
        meter.sparse(selection);
        kernel.attend(shape, q, qOffset, n, startPos, keys, values, out, outOffset, parallel, selection);
    }

    /**
     * Whether a call of {@code n} query rows over {@code positions} keys runs dense: too short for sparse
     * to pay. The paper's rule is max(2 blocks, min budget); with 16 blocks or fewer the sink, diagonal
     * and min-budget window are most of the blocks anyway, and the selection costs more than it skips
     * (measured: 2K tokens at block 128 ran 1.6x slower sparse, 4K 1.7x faster).
     */
    public boolean runsDense(int n, int positions) {
        int block = params.blockSize();
        return n < block || positions <= Math.max(DENSE_BLOCKS * block, params.minBudget());
    }

    /** The block selection for the call's queries, one head per task. */
    public BlockSelection select(AttentionShape shape, float[] q, int qOffset, int n, int startPos, float[] keys,
                                 Parallel parallel) {
        int block = params.blockSize();
        int positions = startPos + n;
        int firstQb = startPos / block;
        int lastQb = (positions - 1) / block;
        BlockSelection selection = new BlockSelection(block, shape.heads(), firstQb, lastQb - firstQb + 1);
        // 1-2. the last query block's true attention, every head: vertical (per key) and slash (per
        // diagonal offset) mass, on the attention's backend when it computes it (one pass for all heads)
        int heads = shape.heads();
        int rows = Math.min(n, block);
        double[][] vertical = new double[heads][];
        double[][] slash = new double[heads][];
        if (!kernel.lastBlockMass(shape, q, qOffset, n, startPos, keys, rows, vertical, slash)) {
            // keys transposed once for every head's estimate, as the tiled kernel reads them
            int stride = TiledAttention.paddedPositions(positions, TiledAttention.keyTile(1));
            float[] keysT = TiledAttention.supports(shape.headSize())
                    ? TiledAttention.transposeKeys(shape, keys, positions, stride, parallel) : null;
            parallel.forChunks(heads, 1, (start, end) -> {
                for (int h = start; h < end; h++) {
                    vertical[h] = new double[positions];
                    slash[h] = new double[positions];
                    lastBlockMass(shape, q, qOffset, n, startPos, keys, keysT, stride, h, vertical[h], slash[h]);
                }
            });
        }
        // average-pooled key blocks, once per KV head (its query heads share them)
        float[][][] keyPools = new float[shape.kvHeads()][][];
        parallel.forChunks(shape.kvHeads(), 1, (start, end) -> {
            for (int g = start; g < end; g++) {
                keyPools[g] = poolKeys(keys, shape.kvDim(), g * shape.headSize(), shape.headSize(), positions, block);
            }
        });
        parallel.forChunks(heads, 1, (start, end) -> {
            for (int h = start; h < end; h++) {
                selectHead(shape, q, qOffset, n, startPos, vertical[h], slash[h], keyPools[h / shape.kvMul()], h, selection);
            }
        });
        return selection;
    }

    private void selectHead(AttentionShape shape, float[] q, int qOffset, int n, int startPos,
                            double[] vertical, double[] slash, float[][] keyPool, int h, BlockSelection selection) {
        int block = params.blockSize();
        int hs = shape.headSize();
        int positions = startPos + n;
        int keyBlocks = (positions - 1) / block + 1;
        float scale = (float) (1.0 / Math.sqrt(hs));
        float[] qMean = new float[hs];
        for (int r = Math.max(0, n - block); r < n; r++) {
            VectorMath.axpy(1f / Math.min(n, block), q, qOffset + r * shape.queryDim() + h * hs, qMean, 0, hs);
        }
        double[] verticalPooled = new double[keyBlocks];
        for (int k = 0; k < positions; k++) {
            verticalPooled[k / block] += vertical[k];
        }

        // 3. the cheap block-level estimate: mean last query against average-pooled key blocks
        double[] cheap = new double[keyBlocks];
        for (int j = 0; j < keyBlocks; j++) {
            cheap[j] = VectorMath.dot(qMean, 0, keyPool[j], 0, hs) * scale;
        }
        softmaxInPlace(cheap, keyBlocks);

        // 4. pattern decision
        heads.increment();
        if (Math.sqrt(jsd(cheap, verticalPooled)) < params.tau()) {
            queryAwareHeads.increment();
            queryAware(pooledAttention(shape, q, qOffset, n, startPos, h, keyPool, selection), h, selection, false);
        } else {
            verticalSlash(vertical, slash, verticalPooled, startPos, positions, h, selection);
            if (checkCoverage) {
                // the product's check (class comment): does the pattern hold for the other query blocks too?
                double[][] probs = pooledAttention(shape, q, qOffset, n, startPos, h, keyPool, selection);
                double covered = 0;
                for (int b = 0; b < probs.length; b++) {
                    for (int j : selection.keyBlocks(h, selection.firstQueryBlock() + b)) {
                        covered += probs[b][j];
                    }
                }
                if (covered < params.gamma() * probs.length && queryAware(probs, h, selection, true)) {
                    coverageFallbacks.increment();
                }
            }
        }
    }

    /**
     * The last query block's attention, averaged over its rows, summed per key ({@code vertical}) and per
     * diagonal offset ({@code slash}), for head {@code h} on the CPU. Four rows at a time against the
     * transposed keys when the head size tiles, else one dot product per key.
     */
    private void lastBlockMass(AttentionShape shape, float[] q, int qOffset, int n, int startPos, float[] keys,
                               float[] keysT, int stride, int h, double[] vertical, double[] slash) {
        int hs = shape.headSize();
        int qDim = shape.queryDim();
        int kvDim = shape.kvDim();
        int kvo = (h / shape.kvMul()) * hs;
        int positions = startPos + n;
        float scale = (float) (1.0 / Math.sqrt(hs));
        int firstRow = Math.max(0, n - params.blockSize());
        int rows = n - firstRow;
        int tile = TiledAttention.ROWS;
        int width = TiledAttention.roundUp(positions, TiledAttention.keyTile(1));
        float[] scores = new float[tile * width];
        float[] qt = new float[tile * hs];
        for (int r0 = firstRow; r0 < n; r0 += tile) {
            for (int t = 0; t < tile; t++) {
                int r = Math.min(r0 + t, n - 1);
                int qo = qOffset + r * qDim + h * hs;
                if (keysT != null) {
                    for (int d = 0; d < hs; d++) {
                        qt[t * hs + d] = q[qo + d] * scale;
                    }
                } else {
                    for (int k = 0; k <= startPos + r; k++) {
                        scores[t * width + k] = VectorMath.dot(q, qo, keys, k * kvDim + kvo, hs) * scale;
                    }
                }
            }
            if (keysT != null) {
                TiledAttention.scores(qt, 0, hs, keysT, (kvo / hs) * hs * stride, stride, width, scores);
            }
            for (int t = 0; t < tile && r0 + t < n; t++) {
                int pos = startPos + r0 + t;
                int so = t * width;
                float max = Float.NEGATIVE_INFINITY;
                for (int k = 0; k <= pos; k++) {
                    max = Math.max(max, scores[so + k]);
                }
                float sum = VectorMath.expSubtract(scores, so, pos + 1, max);
                double w = 1.0 / sum / rows;
                for (int k = 0; k <= pos; k++) {
                    double a = scores[so + k] * w;
                    vertical[k] += a;
                    slash[pos - k] += a;
                }
            }
        }
    }

    /**
     * 5. The fewest vertical and slash indices holding γ of their mass, as blocks per query block; the
     * block count is then clamped to the budgets, ranking blocks by their pooled vertical plus slash mass.
     */
    private void verticalSlash(double[] vertical, double[] slash, double[] verticalPooled, int startPos, int positions, int h,
                               BlockSelection selection) {
        int block = params.blockSize();
        // as key blocks: a column k is block k / B; a diagonal d lands, for every whole query block, on
        // the blocks floor(d / B) and ceil(d / B) before it (a partial first or last block may need
        // only one of them: a block more than needed, never less)
        BitSet columnBlocks = new BitSet();
        for (int k : topMass(vertical, positions)) {
            columnBlocks.set(k / block);
        }
        BitSet diagonalOffsets = new BitSet();
        for (int d : topMass(slash, positions)) {
            diagonalOffsets.set(d / block);
            diagonalOffsets.set((d + block - 1) / block);
        }
        int[] columnList = columnBlocks.stream().toArray();
        int[] offsetList = diagonalOffsets.stream().toArray();
        double[] slashByBlockOffset = new double[verticalPooled.length + 1];
        for (int d = 0; d < positions; d++) {
            slashByBlockOffset[d / block] += slash[d];
        }
        int minBlocks = (params.minBudget() + block - 1) / block;
        int maxBlocks = params.maxBudget() > 0 ? Math.max(2, params.maxBudget() / block) : Integer.MAX_VALUE;
        for (int qb = selection.firstQueryBlock(); qb < selection.firstQueryBlock() + selection.queryBlocks(); qb++) {
            BitSet chosen = new BitSet(qb + 1);
            for (int c : columnList) {
                if (c > qb) {
                    break;
                }
                chosen.set(c);
            }
            for (int o : offsetList) {
                if (o > qb) {
                    break;
                }
                chosen.set(qb - o);
            }
            int row = qb;
            double[] score = new double[qb + 1];
            for (int j = 0; j <= qb; j++) {
                score[j] = verticalPooled[j] + slashByBlockOffset[row - j];
            }
            clamp(chosen, score, qb, Math.min(minBlocks, qb + 1), maxBlocks);
            selection.set(h, qb, chosen.stream().toArray());
        }
    }

    /** Keeps the sink and the diagonal, then adds or drops blocks by score until the count is within [min, max]. */
    private static void clamp(BitSet chosen, double[] score, int diagonal, int min, int max) {
        chosen.set(0);
        chosen.set(diagonal);
        int count = chosen.cardinality();
        if (count >= min && count <= max) {
            return;
        }
        Integer[] order = new Integer[diagonal + 1];
        for (int j = 0; j <= diagonal; j++) {
            order[j] = j;
        }
        Arrays.sort(order, (a, b) -> Double.compare(score[b], score[a]));
        for (int i = 0; i < order.length && chosen.cardinality() < min; i++) {
            chosen.set(order[i]);
        }
        for (int i = order.length - 1; i >= 0 && chosen.cardinality() > max; i--) {
            int j = order[i];
            if (j != 0 && j != diagonal) {
                chosen.clear(j);
            }
        }
    }

    /** Indices of the largest entries whose sum reaches γ of the total. */
    private int[] topMass(double[] mass, int length) {
        double total = 0;
        for (int i = 0; i < length; i++) {
            total += mass[i];
        }
        return largestReaching(mass, length, params.gamma() * total);
    }

    /**
     * Indices (ascending) of the fewest largest entries whose sum reaches {@code target}. A primitive
     * sort finds the cut value; ties at the cut are taken in index order.
     */
    static int[] largestReaching(double[] values, int length, double target) {
        double[] sorted = Arrays.copyOf(values, length);
        Arrays.sort(sorted);
        double cum = 0;
        int i = length - 1;
        while (i >= 0 && cum < target) {
            cum += sorted[i--];
        }
        int count = length - 1 - i;
        if (count == 0) {
            return new int[0];
        }
        double cut = sorted[i + 1];
        int ties = count;
        for (int j = i + 1; j < length; j++) {
            if (sorted[j] > cut) {
                ties--;
            }
        }
        int[] out = new int[count];
        int o = 0;
        for (int j = 0; j < length && o < count; j++) {
            if (values[j] > cut || (values[j] == cut && ties-- > 0)) {
                out[o++] = j;
            }
        }
        return out;
    }

    /** Average-pooled query blocks against average-pooled key blocks, softmax per query block (row b = query block first + b). */
    private double[][] pooledAttention(AttentionShape shape, float[] q, int qOffset, int n, int startPos, int h, float[][] keyPool,
                                       BlockSelection selection) {
        int block = params.blockSize();
        int hs = shape.headSize();
        int qDim = shape.queryDim();
        float scale = (float) (1.0 / Math.sqrt(hs));
        int first = selection.firstQueryBlock();
        int count = selection.queryBlocks();
        int positions = startPos + n;
        double[][] probs = new double[count][];
        for (int b = 0; b < count; b++) {
            int qb = first + b;
            int from = Math.max(qb * block, startPos) - startPos;
            int to = Math.min(qb * block + block, positions) - startPos;
            float[] pooled = new float[hs];
            for (int r = from; r < to; r++) {
                VectorMath.axpy(1f / (to - from), q, qOffset + r * qDim + h * hs, pooled, 0, hs);
            }
            probs[b] = new double[qb + 1];
            for (int j = 0; j <= qb; j++) {
                probs[b][j] = VectorMath.dot(pooled, 0, keyPool[j], 0, hs) * scale;
            }
            softmaxInPlace(probs[b], qb + 1);
        }
        return probs;
    }

    /**
     * 6. The highest pooled block pairs up to γ per query block, with the minimal vertical-slash set;
     * {@code union}: added to the head's blocks already selected, unless γ needs more than
     * {@link #MAX_FALLBACK_DENSITY} of the block pairs (then nothing changes, and it returns false).
     */
    private boolean queryAware(double[][] probs, int h, BlockSelection selection, boolean union) {
        int block = params.blockSize();
        int first = selection.firstQueryBlock();
        int count = selection.queryBlocks();
        int pairs = 0;
        for (double[] row : probs) {
            pairs += row.length;
        }
        double[] flat = new double[pairs];
        int[] rowOf = new int[pairs];
        int p = 0;
        for (int b = 0; b < count; b++) {
            System.arraycopy(probs[b], 0, flat, p, probs[b].length);
            Arrays.fill(rowOf, p, p + probs[b].length, b);
            p += probs[b].length;
        }
        // the minimal vertical-slash set: the sink and the min-budget window before the diagonal
        int window = Math.max(1, (params.minBudget() + block - 1) / block);
        BitSet[] chosen = new BitSet[count];
        int[] rowStart = new int[count];
        for (int b = 0, start = 0; b < count; start += probs[b].length, b++) {
            rowStart[b] = start;
            chosen[b] = new BitSet();
            if (union) {
                for (int j : selection.keyBlocks(h, first + b)) {
                    chosen[b].set(j);
                }
            }
            chosen[b].set(0);
            chosen[b].set(Math.max(0, first + b - window + 1), first + b + 1);
        }
        int[] reaching = largestReaching(flat, pairs, params.gamma() * count);
        if (union && reaching.length > pairs * MAX_FALLBACK_DENSITY) {
            return false;
        }
        for (int i : reaching) {
            chosen[rowOf[i]].set(i - rowStart[rowOf[i]]);
        }
        for (int b = 0; b < count; b++) {
            selection.set(h, first + b, chosen[b].stream().toArray());
        }
        return true;
    }

    private static float[][] poolKeys(float[] keys, int kvDim, int kvo, int hs, int positions, int block) {
        int blocks = (positions - 1) / block + 1;
        float[][] pool = new float[blocks][hs];
        for (int j = 0; j < blocks; j++) {
            int from = j * block;
            int to = Math.min(from + block, positions);
            for (int k = from; k < to; k++) {
                VectorMath.axpy(1f / (to - from), keys, k * kvDim + kvo, pool[j], 0, hs);
            }
        }
        return pool;
    }

    private static void softmaxInPlace(double[] x, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            x[i] = Math.exp(x[i] - max);
            sum += x[i];
        }
        for (int i = 0; i < n; i++) {
            x[i] /= sum;
        }
    }

    /** Jensen-Shannon divergence (natural log) of two distributions over the same blocks. */
    static double jsd(double[] p, double[] q) {
        double ps = Arrays.stream(p).sum();
        double qs = Arrays.stream(q).sum();
        double d = 0;
        for (int i = 0; i < p.length; i++) {
            double a = p[i] / ps;
            double b = q[i] / qs;
            double m = (a + b) / 2;
            if (a > 0) {
                d += 0.5 * a * Math.log(a / m);
            }
            if (b > 0) {
                d += 0.5 * b * Math.log(b / m);
            }
        }
        return Math.max(0, d);
    }
}
