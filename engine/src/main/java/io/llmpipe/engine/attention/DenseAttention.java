package io.llmpipe.engine.attention;

import io.llmpipe.engine.tensor.Parallel;
import io.llmpipe.engine.tensor.VectorMath;

/**
 * Exact causal attention: for every query row and head, softmax over all earlier keys, then the
 * weighted sum of values. The reference every other mode is measured against. Prompts run
 * {@link TiledAttention} (online softmax over 128-position blocks); decode steps run row at a time.
 */
public final class DenseAttention implements Attention {
    public static final DenseAttention INSTANCE = new DenseAttention();
    /** Query and key block of the tiled path. */
    public static final int BLOCK = 128;
    private static final ThreadLocal<float[]> SCORES = ThreadLocal.withInitial(() -> new float[0]);

    @Override
    public void attend(AttentionShape shape, float[] q, int qOffset, int n, int startPos,
                       float[] keys, float[] values, float[] out, int outOffset, Parallel parallel) {
        if (TiledAttention.takes(n, shape.headSize())) {
            TiledAttention.attend(shape, q, qOffset, n, startPos, keys, values, out, outOffset, parallel,
                    null, BLOCK, BLOCK);
            return;
        }
        int heads = shape.heads();
        int hs = shape.headSize();
        int qDim = shape.queryDim();
        int kvDim = shape.kvDim();
        int kvMul = shape.kvMul();
        float scale = (float) (1.0 / Math.sqrt(hs));
        parallel.forChunks(n * heads, 1, (start, end) -> {
            float[] scores = SCORES.get();
            if (scores.length < startPos + n) {
                scores = new float[startPos + n];
                SCORES.set(scores);
            }
            for (int job = start; job < end; job++) {
                int i = job / heads;
                int h = job % heads;
                int positions = startPos + i + 1;
                int qo = qOffset + i * qDim + h * hs;
                int kvo = (h / kvMul) * hs;
                float max = Float.NEGATIVE_INFINITY;
                for (int p = 0; p < positions; p++) {
                    float s = VectorMath.dot(q, qo, keys, p * kvDim + kvo, hs) * scale;
                    scores[p] = s;
                    max = Math.max(max, s);
                }
                BlockSparseAttention.softmaxTimesValues(scores, null, positions, max, values, kvDim, kvo, out,
                        outOffset + i * qDim + h * hs, hs);
            }
        });
    }
}
