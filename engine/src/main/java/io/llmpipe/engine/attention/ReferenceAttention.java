package io.llmpipe.engine.attention;

/**
 * Attention in float64, straight from the definition: the yardstick the tests and the attention bench
 * hold the kernels and the sparse selections against. Slow by design.
 */
public final class ReferenceAttention {
    private ReferenceAttention() {
    }

    /**
     * The attention probabilities of query row {@code i} (at position {@code startPos + i}), head {@code h},
     * over keys {@code 0 .. startPos + i}.
     */
    public static double[] probabilities(AttentionShape shape, float[] q, int i, int startPos, int h, float[] keys) {
        int hs = shape.headSize();
        int kvo = (h / shape.kvMul()) * hs;
        int pos = startPos + i;
        double[] a = new double[pos + 1];
        double max = Double.NEGATIVE_INFINITY;
        for (int p = 0; p <= pos; p++) {
            double dot = 0;
            for (int d = 0; d < hs; d++) {
                dot += (double) q[i * shape.queryDim() + h * hs + d] * keys[p * shape.kvDim() + kvo + d];
            }
            a[p] = dot / Math.sqrt(hs);
            max = Math.max(max, a[p]);
        }
        double sum = 0;
        for (int p = 0; p <= pos; p++) {
            a[p] = Math.exp(a[p] - max);
            sum += a[p];
        }
        for (int p = 0; p <= pos; p++) {
            a[p] /= sum;
        }
        return a;
    }

    /** The output rows of dense causal attention for every query row and head. */
    public static double[] attend(AttentionShape shape, float[] q, int n, int startPos, float[] keys, float[] values) {
        int hs = shape.headSize();
        double[] out = new double[n * shape.queryDim()];
        for (int i = 0; i < n; i++) {
            for (int h = 0; h < shape.heads(); h++) {
                int kvo = (h / shape.kvMul()) * hs;
                double[] a = probabilities(shape, q, i, startPos, h, keys);
                for (int p = 0; p < a.length; p++) {
                    for (int d = 0; d < hs; d++) {
                        out[i * shape.queryDim() + h * hs + d] += a[p] * values[p * shape.kvDim() + kvo + d];
                    }
                }
            }
        }
        return out;
    }

    /** The share of row {@code i}'s (head {@code h}) attention mass inside the key blocks {@code selection} computes for it. */
    public static double recall(AttentionShape shape, float[] q, int i, int startPos, int h, float[] keys, BlockSelection selection) {
        double[] a = probabilities(shape, q, i, startPos, h, keys);
        int pos = startPos + i;
        int kb = selection.keyBlockSize();
        double kept = 0;
        for (int b : selection.keyBlocks(h, pos / selection.blockSize())) {
            for (int p = b * kb; p <= Math.min(pos, b * kb + kb - 1); p++) {
                kept += a[p];
            }
        }
        return kept;
    }
}
