package io.llmpipe.engine.attention;

import io.llmpipe.engine.tensor.Parallel;
import io.llmpipe.engine.tensor.VectorMath;

/**
 * Causal attention restricted to a {@link BlockSelection}: each query row attends to the keys of its
 * query block's selected key blocks only (and, in its own block, to keys at or before it). The one
 * kernel every sparse mode runs; with {@link BlockSelection#full} of 128-position blocks it computes
 * exactly what {@link DenseAttention} does, in the same order. Prompts run {@link TiledAttention};
 * a few rows, or head sizes it does not tile, run row at a time here.
 */
public final class BlockSparseAttention {
    private static final ThreadLocal<float[]> SCORES = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<int[]> POSITIONS = ThreadLocal.withInitial(() -> new int[0]);

    private BlockSparseAttention() {
    }

    /** As {@link Attention#attend}, over the selected blocks only. */
    public static void attend(AttentionShape shape, float[] q, int qOffset, int n, int startPos,
                              float[] keys, float[] values, float[] out, int outOffset, Parallel parallel,
                              BlockSelection selection) {
        if (TiledAttention.takes(n, shape.headSize())) {
            TiledAttention.attend(shape, q, qOffset, n, startPos, keys, values, out, outOffset, parallel,
                    selection, selection.blockSize(), selection.keyBlockSize());
            return;
        }
        int heads = shape.heads();
        int hs = shape.headSize();
        int qDim = shape.queryDim();
        int kvDim = shape.kvDim();
        int kvMul = shape.kvMul();
        int block = selection.blockSize();
        int keyBlock = selection.keyBlockSize();
        float scale = (float) (1.0 / Math.sqrt(hs));
        parallel.forChunks(n * heads, 1, (start, end) -> {
            float[] scores = SCORES.get();
            int[] keyPositions = POSITIONS.get();
            if (scores.length < startPos + n) {
                scores = new float[startPos + n];
                keyPositions = new int[startPos + n];
                SCORES.set(scores);
                POSITIONS.set(keyPositions);
            }
            for (int job = start; job < end; job++) {
                int i = job / heads;
                int h = job % heads;
                int pos = startPos + i;
                int qo = qOffset + i * qDim + h * hs;
                int kvo = (h / kvMul) * hs;
                int count = 0;
                float max = Float.NEGATIVE_INFINITY;
                for (int kb : selection.keyBlocks(h, pos / block)) {
                    int last = Math.min(kb * keyBlock + keyBlock - 1, pos);
                    for (int p = kb * keyBlock; p <= last; p++) {
                        float s = VectorMath.dot(q, qo, keys, p * kvDim + kvo, hs) * scale;
                        scores[count] = s;
                        keyPositions[count++] = p;
                        max = Math.max(max, s);
                    }
                }
                softmaxTimesValues(scores, keyPositions, count, max, values, kvDim, kvo, out, outOffset + i * qDim + h * hs, hs);
            }
        });
    }

    /**
     * One query row's output from its scores: softmax (with the scores' {@code max}), then the weighted
     * sum of the value rows at {@code positions[c]} (or at c itself when {@code positions} is null) into
     * {@code out[oo ..]}. The row-at-a-time kernels' shared tail.
     */
    static void softmaxTimesValues(float[] scores, int[] positions, int count, float max, float[] values, int kvDim,
                                   int kvo, float[] out, int oo, int hs) {
        float sum = 0f;
        for (int c = 0; c < count; c++) {
            float e = (float) Math.exp(scores[c] - max);
            scores[c] = e;
            sum += e;
        }
        java.util.Arrays.fill(out, oo, oo + hs, 0f);
        float inv = 1f / sum;
        for (int c = 0; c < count; c++) {
            int p = positions == null ? c : positions[c];
            VectorMath.axpy(scores[c] * inv, values, p * kvDim + kvo, out, oo, hs);
        }
    }
}
