package io.llmpipe.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Both matmul paths (fused single row, dequantized tiles for many rows) against float64. */
class MatMulTest {

    @Test
    void singleAndBatchedPathsMatchFloat64() {
        Random rnd = new Random(7);
        int rows = 37, cols = 96, n = 5; // rows not a multiple of the tile: exercises the tail
        float[] w = new float[rows * cols];
        float[] x = new float[n * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian();
        }
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        FloatTensor wt = new ArrayFloatTensor(w);
        try (Parallel p = new Parallel(2)) {
            float[] batched = new float[n * rows];
            MatMul.matmul(p, wt, rows, cols, x, 0, n, batched, 0, rows);
            for (int t = 0; t < n; t++) {
                float[] single = new float[rows];
                MatMul.matmul(p, wt, rows, cols, x, t * cols, 1, single, 0, rows);
                for (int r = 0; r < rows; r++) {
                    double ref = 0;
                    for (int c = 0; c < cols; c++) {
                        ref += (double) w[r * cols + c] * x[t * cols + c];
                    }
                    assertEquals(ref, batched[t * rows + r], 1e-4 * Math.max(1, Math.abs(ref)));
                    assertEquals(ref, single[r], 1e-4 * Math.max(1, Math.abs(ref)));
                }
            }
        }
    }
}
