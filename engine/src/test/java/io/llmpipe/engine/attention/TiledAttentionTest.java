package io.llmpipe.engine.attention;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmpipe.engine.tensor.Parallel;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The tiled kernel against float64 attention: dense over whole prompts and later chunks (ragged
 * blocks, padded rows), and over random block selections with key blocks smaller than query blocks.
 */
class TiledAttentionTest {
    private static final AttentionShape[] SHAPES = {new AttentionShape(4, 2, 64), new AttentionShape(2, 1, 128)};

    @Test
    void denseMatchesFloat64() {
        for (AttentionShape shape : SHAPES) {
            Random r = new Random(7);
            for (int[] call : new int[][]{{300, 0}, {100, 250}, {9, 0}, {129, 127}}) {
                int n = call[0];
                int start = call[1];
                float[] q = BlockSparseAttentionTest.random(r, n * shape.queryDim());
                float[] k = BlockSparseAttentionTest.random(r, (start + n) * shape.kvDim());
                float[] v = BlockSparseAttentionTest.random(r, (start + n) * shape.kvDim());
                float[] out = new float[n * shape.queryDim()];
                try (Parallel p = new Parallel(2)) {
                    DenseAttention.INSTANCE.attend(shape, q, 0, n, start, k, v, out, 0, p);
                }
                double err = FlexPrefillAttentionTest.relativeError(out, ReferenceAttention.attend(shape, q, n, start, k, v));
                assertTrue(err < 1e-5, shape + " n " + n + " start " + start + ": relative error " + err);
            }
        }
    }

    @Test
    void sparseMatchesFloat64OverTheSelectedBlocks() {
        for (AttentionShape shape : SHAPES) {
            for (int[] blocks : new int[][]{{64, 32}, {128, 128}, {32, 48}}) {
                Random r = new Random(11);
                int n = 400;
                int start = 100;
                int positions = start + n;
                float[] q = BlockSparseAttentionTest.random(r, n * shape.queryDim());
                float[] k = BlockSparseAttentionTest.random(r, positions * shape.kvDim());
                float[] v = BlockSparseAttentionTest.random(r, positions * shape.kvDim());
                int qb0 = start / blocks[0];
                int qbN = (positions - 1) / blocks[0];
                BlockSelection s = new BlockSelection(blocks[0], blocks[1], shape.heads(), qb0, qbN - qb0 + 1);
                for (int h = 0; h < shape.heads(); h++) {
                    for (int qb = qb0; qb <= qbN; qb++) {
                        int last = s.lastKeyBlock(qb);
                        s.set(h, qb, new int[]{0, r.nextInt(last + 1), r.nextInt(last + 1), last});
                    }
                }
                float[] out = new float[n * shape.queryDim()];
                try (Parallel p = new Parallel(2)) {
                    BlockSparseAttention.attend(shape, q, 0, n, start, k, v, out, 0, p, s);
                }
                double err = FlexPrefillAttentionTest.relativeError(out, blockSparseReference(shape, q, n, start, k, v, s));
                assertTrue(err < 1e-5, shape + " blocks " + blocks[0] + "/" + blocks[1] + ": relative error " + err);
            }
        }
    }

    /** Softmax over the selected, causal keys of each row, in float64. */
    static double[] blockSparseReference(AttentionShape shape, float[] q, int n, int start, float[] k, float[] v,
                                         BlockSelection s) {
        int hs = shape.headSize();
        double[] out = new double[n * shape.queryDim()];
        for (int i = 0; i < n; i++) {
            int pos = start + i;
            for (int h = 0; h < shape.heads(); h++) {
                int kvo = (h / shape.kvMul()) * hs;
                java.util.List<Integer> keys = new java.util.ArrayList<>();
                for (int b : s.keyBlocks(h, pos / s.blockSize())) {
                    for (int p = b * s.keyBlockSize(); p < (b + 1) * s.keyBlockSize() && p <= pos; p++) {
                        keys.add(p);
                    }
                }
                double[] w = new double[keys.size()];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < w.length; j++) {
                    double dot = 0;
                    for (int d = 0; d < hs; d++) {
                        dot += (double) q[i * shape.queryDim() + h * hs + d] * k[keys.get(j) * shape.kvDim() + kvo + d];
                    }
                    w[j] = dot / Math.sqrt(hs);
                    max = Math.max(max, w[j]);
                }
                double sum = 0;
                for (int j = 0; j < w.length; j++) {
                    w[j] = Math.exp(w[j] - max);
                    sum += w[j];
                }
                for (int j = 0; j < w.length; j++) {
                    for (int d = 0; d < hs; d++) {
                        out[i * shape.queryDim() + h * hs + d] += w[j] / sum * v[keys.get(j) * shape.kvDim() + kvo + d];
                    }
                }
            }
        }
        return out;
    }
}
