package io.llmpipe.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Both matmul paths (fused single row, dequantized tiles for many rows) against float64. */
class MatMulTest {

    @Test
    void singleAndBatchedPathsMatchFloat64() {
        Random rnd = new Random(7);
        int rows = 37, cols = 96, n = 5; // rows not a multiple of the tile: exercises the tail
        float[] w = gaussian(rnd, rows * cols, 1f);
        float[] x = gaussian(rnd, n * cols, 1f);
        try (Parallel p = new Parallel(2)) {
            assertBothPathsMatchFloat64(p, new ArrayFloatTensor(w), w, rows, cols, x, n, "F32");
        }
    }

    /**
     * Each quantized type, batched (its own kernel where it has one: Q8_0's 4x8 and 4x4 on AVX-512, with
     * rows, activation counts and a width that leave tails of each, the width spanning several of the
     * 4x8 kernel's column chunks) and single-row, against float64 over the dequantized weights.
     */
    @ParameterizedTest
    @EnumSource(GGMLType.class)
    void quantizedBatchedPathsMatchFloat64OverDequantizedWeights(GGMLType type) {
        for (int cols : new int[] {512, 2560}) { // multiples of every block size (K-quants: 256)
            assertQuantizedBatchedPathsMatch(type, 23, cols);
        }
    }

    private static void assertQuantizedBatchedPathsMatch(GGMLType type, int rows, int cols) {
        Random rnd = new Random(11);
        float[] source = gaussian(rnd, rows * cols, 0.1f);
        try (Arena arena = Arena.ofShared(); Parallel p = new Parallel(2)) {
            FloatTensor wt = OffHeapQuantized.of(arena, type, source);
            float[] w = new float[source.length];
            wt.dequantize(0, w, 0, w.length);
            for (int n : new int[] {2, 4, 5, 8, 11, 13}) {
                float[] x = gaussian(rnd, n * cols, 1f);
                assertBothPathsMatchFloat64(p, wt, w, rows, cols, x, n, type + " cols=" + cols + " n=" + n);
            }
        }
    }

    /**
     * Q8_0's batched kernel touches the rows a stage (~64 KB) ahead of itself: over a row range that
     * spans several stages and ends short of the matrix, it writes exactly the range's dots.
     */
    @Test
    void q8_0BatchedKernelAcrossPrefetchStagesWritesOnlyItsRows() {
        int rows = 150, cols = 2560; // 2,720 bytes a row: stages of 24 rows
        Random rnd = new Random(5);
        float[] source = gaussian(rnd, rows * cols, 0.1f);
        try (Arena arena = Arena.ofShared()) {
            FloatTensor wt = OffHeapQuantized.of(arena, GGMLType.Q8_0, source);
            for (int n : new int[] {8, 5}) {
                float[] x = gaussian(rnd, n * cols, 1f);
                for (int[] range : new int[][] {{0, rows}, {4, 146}}) {
                    assertBatchedRangeWritesOnlyItsRows(wt, wt, rows, cols, x, n, range[0], range[1]);
                }
            }
        }
    }

    /**
     * A tiled Q4_0 matrix with its Q8_0 copy for batches: the copy holds exactly the Q4_0 values, and
     * both paths match float64 for a single row, a short batch (the tiled mat-vec per row), batches of 4
     * to 13 and a prefill-sized 64 (the Q8_0 kernel, also over a range that ends short of the matrix).
     */
    @Test
    void tiledQ4_0BatchCopyHoldsTheSameValues() {
        Random rnd = new Random(19);
        int rows = 2 * TiledQ4_0Tensor.TILE;
        int cols = 2048 + 512;
        float[] source = gaussian(rnd, rows * cols, 0.1f);
        try (Arena arena = Arena.ofShared(); Parallel p = new Parallel(2)) {
            Q4_0Tensor original = (Q4_0Tensor) OffHeapQuantized.of(arena, GGMLType.Q4_0, source);
            TiledQ4_0Tensor tiled = TiledQ4_0Tensor.tile(original.segment(), rows, cols, arena, true, 15);
            float[] w = new float[source.length];
            original.dequantize(0, w, 0, w.length);
            assertTrue(tiled.fusedBatch(64) && tiled.fusedBatch(4) && tiled.fusedBatch(2), "every batch size has a fused path");
            for (int n : new int[] {1, 3, 4, 5, 8, 13, 64}) {
                float[] xs = gaussian(rnd, n * cols, 1f);
                assertBothPathsMatchFloat64(p, tiled, w, rows, cols, xs, n, "tiled with a Q8_0 copy, n=" + n);
            }
            float[] xs = gaussian(rnd, 8 * cols, 1f);
            assertBatchedRangeWritesOnlyItsRows(tiled, original, rows, cols, xs, 8, 2, 69);
            // unit vectors pick single weights out of the copy: exactly the Q4_0 values
            int[] columns = {0, 31, 32, 1000, cols - 1};
            float[] units = new float[columns.length * cols];
            for (int t = 0; t < columns.length; t++) {
                units[t * cols + columns[t]] = 1f;
            }
            float[] out = new float[columns.length * rows];
            tiled.dotRowsBatch(0, rows, cols, units, 0, columns.length, out, 0, rows);
            for (int t = 0; t < columns.length; t++) {
                for (int r = 0; r < rows; r++) {
                    assertEquals(w[r * cols + columns[t]], out[t * rows + r], 0f, "row " + r + " column " + columns[t]);
                }
            }
        }
    }

    /**
     * A Q8_0 matrix with a copy for its batched kernel gives the original's results on both paths, over
     * a range that spans prefetch stages and ends short of the matrix; other types and a tensor that
     * has its copy already pass through.
     */
    @Test
    void q8_0BatchCopyGivesTheOriginalsResults() {
        int rows = 150, cols = 2560;
        Random rnd = new Random(17);
        float[] source = gaussian(rnd, rows * cols, 0.1f);
        try (Arena arena = Arena.ofShared()) {
            FloatTensor original = OffHeapQuantized.of(arena, GGMLType.Q8_0, source);
            FloatTensor copied = Q8_0Tensor.withBatchCopy(original, arena);
            if (!Q8_0Tensor.BATCH_COPY) {
                assertSame(original, copied, "no copy without 512-bit lanes or when switched off");
                return;
            }
            assertTrue(copied != original && copied instanceof Q8_0Tensor);
            assertSame(copied, Q8_0Tensor.withBatchCopy(copied, arena), "copied once");
            FloatTensor f32 = new ArrayFloatTensor(source);
            assertSame(f32, Q8_0Tensor.withBatchCopy(f32, arena));
            for (int n : new int[] {1, 5, 8}) {
                float[] x = gaussian(rnd, n * cols, 1f);
                float[] expected = new float[n * rows], actual = new float[n * rows];
                original.dotRowsBatch(4, 146, cols, x, 0, n, expected, 0, rows);
                copied.dotRowsBatch(4, 146, cols, x, 0, n, actual, 0, rows);
                // not bit for bit: a lane reduction sums in another order interpreted than compiled
                assertArrayEquals(expected, actual, 1e-5f, "batched n=" + n);
                original.dotRows(0, rows, cols, x, 0, expected, 0);
                copied.dotRows(0, rows, cols, x, 0, actual, 0);
                assertArrayEquals(expected, actual, 1e-5f, "single row");
            }
        }
    }

    /** A wide Q8_0 matrix copied into column slabs reads as the row-major original in every way. */
    @Test
    void slabbedWideMatrixMatchesItsRowMajorOriginal() {
        Random rnd = new Random(13);
        int rows = 23;
        int cols = 2 * SlabbedQ8_0Tensor.SLAB + 512; // two full slabs and a narrower last one
        float[] source = gaussian(rnd, rows * cols, 0.1f);
        try (Arena arena = Arena.ofShared(); Parallel p = new Parallel(2)) {
            FloatTensor original = OffHeapQuantized.of(arena, GGMLType.Q8_0, source);
            FloatTensor slabbed = SlabbedQ8_0Tensor.ofWide(original, rows, cols, arena);
            assertTrue(slabbed instanceof SlabbedQ8_0Tensor);
            assertSame(original, SlabbedQ8_0Tensor.ofWide(original, rows * 2, cols / 2, arena), "narrow matrices stay as they are");
            float[] w = new float[source.length];
            original.dequantize(0, w, 0, w.length);
            float[] fromSlabs = new float[source.length];
            slabbed.dequantize(0, fromSlabs, 0, fromSlabs.length); // spans every row and slab boundary
            assertArrayEquals(w, fromSlabs);
            for (int i = 0; i < 200; i++) {
                long e = rnd.nextLong(source.length);
                assertEquals(w[(int) e], slabbed.getFloat(e));
            }
            float[] x = gaussian(rnd, cols, 1f);
            assertEquals(original.dot(5L * cols + 1024, x, 64, 3200), slabbed.dot(5L * cols + 1024, x, 64, 3200), 1e-3);
            for (int n : new int[] {1, 4, 6}) {
                float[] xs = gaussian(rnd, n * cols, 1f);
                assertBothPathsMatchFloat64(p, slabbed, w, rows, cols, xs, n, "slabbed n=" + n);
            }
        }
    }

    /**
     * A tiled Q4_0 matrix reads as its file layout in every way: whole and partial ranges, single
     * elements, dots over partial rows, both matmul paths (without the Q8_0 copy), and single-row ranges
     * that start and end inside tiles write exactly their rows. Three tiles; 33 blocks a row.
     */
    @Test
    void tiledQ4_0MatrixMatchesItsFileLayout() {
        Random rnd = new Random(17);
        int rows = 3 * TiledQ4_0Tensor.TILE;
        int cols = 33 * 32;
        float[] source = gaussian(rnd, rows * cols, 0.1f);
        try (Arena arena = Arena.ofShared(); Parallel p = new Parallel(2)) {
            Q4_0Tensor original = (Q4_0Tensor) OffHeapQuantized.of(arena, GGMLType.Q4_0, source);
            TiledQ4_0Tensor tiled = TiledQ4_0Tensor.tile(original.segment(), rows, cols, arena, false, 15);
            assertSame(original, TiledQ4_0Tensor.of(original, rows - 1, cols * rows / (rows - 1), arena), "rows off the tile stay as they are");
            float[] w = new float[source.length];
            original.dequantize(0, w, 0, w.length);
            float[] fromTiles = new float[source.length];
            tiled.dequantize(0, fromTiles, 0, fromTiles.length);
            assertArrayEquals(w, fromTiles, 0f);
            float[] part = new float[1600]; // starts inside a row, crosses rows and a tile
            tiled.dequantize(63L * cols + 160, part, 0, part.length);
            for (int i = 0; i < part.length; i++) {
                assertEquals(w[63 * cols + 160 + i], part[i], 0f);
            }
            for (int i = 0; i < 300; i++) {
                long e = rnd.nextLong(source.length);
                assertEquals(w[(int) e], tiled.getFloat(e), 0f);
            }
            float[] x = gaussian(rnd, cols, 1f);
            assertEquals(original.dot(9L * cols + 64, x, 64, 960), tiled.dot(9L * cols + 64, x, 64, 960), 1e-3);
            for (int n : new int[] {1, 3, 6, 8, 9}) {
                float[] xs = gaussian(rnd, n * cols, 1f);
                assertBothPathsMatchFloat64(p, tiled, w, rows, cols, xs, n, "tiled n=" + n);
            }
            for (int[] range : new int[][] {{0, rows}, {2, 69}, {60, 68}, {70, 90}, {64, 128}, {130, rows}}) {
                float[] out = new float[rows];
                Arrays.fill(out, Float.NaN);
                tiled.dotRows(range[0], range[1], cols, x, 0, out, 0);
                for (int r = 0; r < rows; r++) {
                    if (r < range[0] || r >= range[1]) {
                        assertTrue(Float.isNaN(out[r]), "row " + r + " outside " + range[0] + ".." + range[1] + " was written");
                    } else {
                        double want = 0, scale = 0;
                        for (int c = 0; c < cols; c++) {
                            want += (double) w[r * cols + c] * x[c];
                            scale += Math.abs((double) w[r * cols + c] * x[c]);
                        }
                        assertEquals(want, out[r], 1e-5 * scale, "row " + r);
                    }
                }
            }
        }
    }

    /**
     * The tiled mat-vec's integer form of x is exact to ~3e-5 of each block's largest value at the
     * extremes: a block of one value, mixed signs at the largest magnitude, zeros, tiny and huge values.
     */
    @Test
    void tiledQ4_0IntegerActivationsKeepExtremesExact() {
        int rows = TiledQ4_0Tensor.TILE, cols = 4 * 32;
        Random rnd = new Random(23);
        float[] source = gaussian(rnd, rows * cols, 0.1f);
        try (Arena arena = Arena.ofShared()) {
            Q4_0Tensor original = (Q4_0Tensor) OffHeapQuantized.of(arena, GGMLType.Q4_0, source);
            TiledQ4_0Tensor tiled = TiledQ4_0Tensor.tile(original.segment(), rows, cols, arena, false, 15);
            float[] x = new float[cols];
            for (int i = 0; i < 32; i++) {
                x[i] = 3.5f; // one value
                x[32 + i] = (i % 2 == 0 ? 1 : -1) * 1e30f; // the largest magnitude, both signs
                x[64 + i] = i < 16 ? 0f : 1e-30f; // zeros, tiny
                x[96 + i] = (float) rnd.nextGaussian() * 1e4f;
            }
            float[] out = new float[rows];
            tiled.dotRows(0, rows, cols, x, 0, out, 0);
            for (int r = 0; r < rows; r++) {
                double want = 0, scale = 0;
                for (int c = 0; c < cols; c++) {
                    double term = (double) original.getFloat((long) r * cols + c) * x[c];
                    want += term;
                    scale += Math.abs(term);
                }
                assertEquals(want, out[r], 1e-5 * scale, "row " + r);
            }
        }
    }

    /**
     * With 8-bit x (llama.cpp's arithmetic, opt-in) each dot misses the exact one by no more than x's
     * rounding allows: half a step ({@code max|x_block| / 254}) times the block's |weights|; the 15-bit
     * default lands far inside that. A bad setting is refused by name.
     */
    @Test
    void tiledQ4_0EightBitActivationsStayWithinTheirRounding() {
        int rows = 2 * TiledQ4_0Tensor.TILE, cols = 64 * 32;
        Random rnd = new Random(29);
        float[] source = gaussian(rnd, rows * cols, 0.1f);
        try (Arena arena = Arena.ofShared(); Parallel p = new Parallel(2)) {
            Q4_0Tensor original = (Q4_0Tensor) OffHeapQuantized.of(arena, GGMLType.Q4_0, source);
            TiledQ4_0Tensor eight = TiledQ4_0Tensor.tile(original.segment(), rows, cols, arena, false, 8);
            TiledQ4_0Tensor fifteen = TiledQ4_0Tensor.tile(original.segment(), rows, cols, arena, false, 15);
            float[] w = new float[source.length];
            original.dequantize(0, w, 0, w.length);
            float[] x = gaussian(rnd, cols, 1f);
            float[] out8 = new float[rows], out15 = new float[rows];
            MatMul.matmul(p, eight, rows, cols, x, 0, 1, out8, 0, rows);
            MatMul.matmul(p, fifteen, rows, cols, x, 0, 1, out15, 0, rows);
            double worst8 = 0, worst15 = 0;
            for (int r = 0; r < rows; r++) {
                double exact = 0, rounding = 0, scale = 0;
                for (int b = 0; b < cols / 32; b++) {
                    double max = 0, weights = 0;
                    for (int c = 32 * b; c < 32 * b + 32; c++) {
                        exact += (double) w[r * cols + c] * x[c];
                        scale += Math.abs((double) w[r * cols + c] * x[c]);
                        max = Math.max(max, Math.abs(x[c]));
                        weights += Math.abs(w[r * cols + c]);
                    }
                    rounding += weights * max / 254;
                }
                assertEquals(exact, out8[r], rounding + 1e-5 * scale, "8-bit row " + r);
                worst8 = Math.max(worst8, Math.abs(out8[r] - exact) / rounding);
                worst15 = Math.max(worst15, Math.abs(out15[r] - exact) / rounding);
            }
            assertTrue(worst15 < worst8 / 10, "15 bits: " + worst15 + " of the 8-bit bound, 8 bits: " + worst8);
        }
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> TiledQ4_0Tensor.activationBits("12"));
        assertTrue(e.getMessage().contains("llmpipe.engine.q4_0-activation-bits"), e.getMessage());
    }

    /**
     * {@code wt.dotRowsBatch} over rows {@code [from, to)}: each of those rows' dots equals the single-row
     * dot of {@code reference}, and no other row of the output is written.
     */
    private static void assertBatchedRangeWritesOnlyItsRows(FloatTensor wt, FloatTensor reference, int rows, int cols,
                                                            float[] x, int n, int from, int to) {
        float[] out = new float[n * rows];
        Arrays.fill(out, Float.NaN);
        wt.dotRowsBatch(from, to, cols, x, 0, n, out, 0, rows);
        for (int t = 0; t < n; t++) {
            for (int r = 0; r < rows; r++) {
                float got = out[t * rows + r];
                if (r < from || r >= to) {
                    assertTrue(Float.isNaN(got), "row " + r + " outside the range was written");
                } else {
                    float want = reference.dot((long) r * cols, x, t * cols, cols);
                    assertEquals(want, got, 1e-4f * Math.max(1f, Math.abs(want)), "n=" + n + " t=" + t + " r=" + r + " range " + from + ".." + to);
                }
            }
        }
    }

    /** Batched and single-row matmul of {@code n} activation rows against float64 over {@code w}, within 1e-5 of the sum of |terms|. */
    private static void assertBothPathsMatchFloat64(Parallel p, FloatTensor wt, float[] w, int rows, int cols, float[] x, int n, String label) {
        float[] batched = new float[n * rows];
        MatMul.matmul(p, wt, rows, cols, x, 0, n, batched, 0, rows);
        for (int t = 0; t < n; t++) {
            float[] single = new float[rows];
            MatMul.matmul(p, wt, rows, cols, x, t * cols, 1, single, 0, rows);
            for (int r = 0; r < rows; r++) {
                double ref = 0;
                double scale = 0;
                for (int c = 0; c < cols; c++) {
                    ref += (double) w[r * cols + c] * x[t * cols + c];
                    scale += Math.abs((double) w[r * cols + c] * x[t * cols + c]);
                }
                String where = label + " t=" + t + " r=" + r;
                assertEquals(ref, batched[t * rows + r], 1e-5 * scale, where);
                assertEquals(ref, single[r], 1e-5 * scale, where);
            }
        }
    }

    /** {@code n} values drawn from {@code rnd}'s Gaussian, times {@code scale}. */
    private static float[] gaussian(Random rnd, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextGaussian() * scale;
        }
        return a;
    }
}
