package io.llmpipe.engine.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmpipe.engine.tensor.Parallel;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BlockSparseAttentionTest {

    static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    @Test
    void everyCausalBlockComputesExactlyWhatDenseDoes() {
        AttentionShape shape = new AttentionShape(4, 2, 16);
        Random r = new Random(3);
        for (int[] call : new int[][]{{300, 0}, {100, 250}}) { // a whole prompt; a later chunk of one
            int n = call[0];
            int start = call[1];
            int positions = start + n;
            float[] q = random(r, n * shape.queryDim());
            float[] k = random(r, positions * shape.kvDim());
            float[] v = random(r, positions * shape.kvDim());
            float[] dense = new float[n * shape.queryDim()];
            float[] sparse = new float[n * shape.queryDim()];
            try (Parallel p = new Parallel(2)) {
                DenseAttention.INSTANCE.attend(shape, q, 0, n, start, k, v, dense, 0, p);
                int block = 32;
                BlockSelection all = BlockSelection.full(block, shape.heads(), start / block, (positions - 1) / block - start / block + 1);
                assertEquals(1.0, all.density());
                BlockSparseAttention.attend(shape, q, 0, n, start, k, v, sparse, 0, p, all);
            }
            assertArrayEquals(dense, sparse, 1e-5f); // not bit-exact: interpreter vs JIT lane order
        }
    }

    @Test
    void onlySelectedBlocksContribute() {
        AttentionShape shape = new AttentionShape(1, 1, 8);
        int n = 64;
        int block = 16;
        Random r = new Random(5);
        float[] q = random(r, n * 8);
        float[] k = random(r, n * 8);
        float[] v = new float[n * 8];
        // values: 1 in block 1 (positions 16..31), 0 elsewhere: a query restricted to blocks {1, own}
        // sees only block 1's ones plus its own block's zeros
        for (int p = 16; p < 32; p++) {
            java.util.Arrays.fill(v, p * 8, p * 8 + 8, 1f);
        }
        BlockSelection s = new BlockSelection(block, 1, 0, 4);
        for (int qb = 0; qb < 4; qb++) {
            s.set(0, qb, new int[]{1, qb, 7}); // block 7 is past the query block: dropped
        }
        assertArrayEquals(new int[]{0}, s.keyBlocks(0, 0));
        float[] out = new float[n * 8];
        try (Parallel p = new Parallel(1)) {
            BlockSparseAttention.attend(shape, q, 0, n, 0, k, v, out, 0, p, s);
        }
        assertEquals(0f, out[5 * 8], 0f); // block 0 query: only block 0 (zeros)
        assertEquals(1f, out[20 * 8], 1e-6f); // block 1 query: only ones
        float mixed = out[40 * 8]; // block 2 query: blocks 1 and 2
        assertTrue(mixed > 0 && mixed < 1);
    }
}
