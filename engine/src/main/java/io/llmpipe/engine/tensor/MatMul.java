package io.llmpipe.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Weight matrix times activations: {@code out[t][r] = W[r] . x[t]} for a {@code [rows][cols]}
 * weight matrix and {@code n} activation rows. Stateless; any thread.
 *
 * <p>One activation row (decode of one sequence) uses the tensor's fused quantized dot, reading each
 * weight byte once (tiled Q4_0: x put in its integer form once, then shared by the threads). Several
 * rows (prefill, a decode batch) use the type's own batched kernel where it is the faster path (Q8_0 on
 * AVX-512: weights widened in registers, 4 weight rows x 8 or 4 activation rows; tiled Q4_0 through its
 * Q8_0 copy), else
 * dequantize a tile of weight rows once and reuse it against every activation row; either way the
 * weights are read from memory once per call, not once per activation row.
 */
public final class MatMul {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Weight rows dequantized together; 4 rows of a 2048-wide matrix fit in L1 with the activations. */
    private static final int ROW_TILE = 4;
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[0]);

    private MatMul() {
    }

    /**
     * {@code out[outOffset + t*outStride + r] = W[r] . x[xOffset + t*cols ..]} for t in [0, n), r in [0, rows).
     */
    public static void matmul(Parallel parallel, FloatTensor w, int rows, int cols,
                              float[] x, int xOffset, int n, float[] out, int outOffset, int outStride) {
        if (w.size() < (long) rows * cols) {
            throw new IllegalArgumentException("weight of " + w.size() + " elements is smaller than " + rows + "x" + cols);
        }
        if (n == 1 && w instanceof TiledQ4_0Tensor tiled) { // x in its integer form once, for every thread
            TiledQ4_0Tensor.Activations a = tiled.activations(x, xOffset, cols);
            parallel.forChunks(rows, 16, (start, end) -> tiled.dotRows(start, end, a, out, outOffset));
            return;
        }
        if (n == 1) {
            parallel.forChunks(rows, 16, (start, end) -> w.dotRows(start, end, cols, x, xOffset, out, outOffset));
            return;
        }
        int tiles = (rows + ROW_TILE - 1) / ROW_TILE;
        if (w.fusedBatch(n)) {
            parallel.forChunks(tiles, 4, (start, end) -> w.dotRowsBatch(start * ROW_TILE, Math.min(rows, end * ROW_TILE), cols,
                    x, xOffset, n, out, outOffset, outStride));
            return;
        }
        parallel.forChunks(tiles, 4, (start, end) -> {
            float[] tile = TILE.get();
            if (tile.length < ROW_TILE * cols) {
                tile = new float[ROW_TILE * cols];
                TILE.set(tile);
            }
            for (int ti = start; ti < end; ti++) {
                int r0 = ti * ROW_TILE;
                int nr = Math.min(ROW_TILE, rows - r0);
                w.dequantize((long) r0 * cols, tile, 0, nr * cols);
                if (nr == ROW_TILE) {
                    int t = 0;
                    for (; t + 1 < n; t += 2) {
                        dot4x2(tile, cols, x, xOffset + t * cols, out, outOffset + t * outStride + r0, outStride);
                    }
                    if (t < n) {
                        dot4(tile, cols, x, xOffset + t * cols, out, outOffset + t * outStride + r0);
                    }
                } else {
                    for (int t = 0; t < n; t++) {
                        for (int i = 0; i < nr; i++) {
                            out[outOffset + t * outStride + r0 + i] = VectorMath.dot(tile, i * cols, x, xOffset + t * cols, cols);
                        }
                    }
                }
            }
        });
    }

    /**
     * Eight dots, 4 weight rows x 2 activation rows, sharing every load: 6 loads per 8 FMAs instead of
     * 5 per 4, which is what bounds {@link #dot4} (the tile is in L1/L2 and loads, not FMAs, limit it).
     */
    private static void dot4x2(float[] tile, int cols, float[] x, int xo, float[] out, int o, int outStride) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F), b1 = FloatVector.zero(F), b2 = FloatVector.zero(F), b3 = FloatVector.zero(F);
        int step = F.length();
        int upper = cols - cols % step;
        int yo = xo + cols;
        int c = 0;
        for (; c < upper; c += step) {
            FloatVector xv = FloatVector.fromArray(F, x, xo + c);
            FloatVector yv = FloatVector.fromArray(F, x, yo + c);
            FloatVector w = FloatVector.fromArray(F, tile, c);
            a0 = w.fma(xv, a0);
            b0 = w.fma(yv, b0);
            w = FloatVector.fromArray(F, tile, cols + c);
            a1 = w.fma(xv, a1);
            b1 = w.fma(yv, b1);
            w = FloatVector.fromArray(F, tile, 2 * cols + c);
            a2 = w.fma(xv, a2);
            b2 = w.fma(yv, b2);
            w = FloatVector.fromArray(F, tile, 3 * cols + c);
            a3 = w.fma(xv, a3);
            b3 = w.fma(yv, b3);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
        float u0 = b0.reduceLanes(VectorOperators.ADD), u1 = b1.reduceLanes(VectorOperators.ADD);
        float u2 = b2.reduceLanes(VectorOperators.ADD), u3 = b3.reduceLanes(VectorOperators.ADD);
        for (; c < cols; c++) {
            float xv = x[xo + c];
            float yv = x[yo + c];
            s0 += tile[c] * xv;
            s1 += tile[cols + c] * xv;
            s2 += tile[2 * cols + c] * xv;
            s3 += tile[3 * cols + c] * xv;
            u0 += tile[c] * yv;
            u1 += tile[cols + c] * yv;
            u2 += tile[2 * cols + c] * yv;
            u3 += tile[3 * cols + c] * yv;
        }
        out[o] = s0;
        out[o + 1] = s1;
        out[o + 2] = s2;
        out[o + 3] = s3;
        out[o + outStride] = u0;
        out[o + outStride + 1] = u1;
        out[o + outStride + 2] = u2;
        out[o + outStride + 3] = u3;
    }

    /** Four dots sharing each load of x: out[o..o+3] = tile[i] . x for the 4 rows in tile. */
    private static void dot4(float[] tile, int cols, float[] x, int xo, float[] out, int o) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        int step = F.length();
        int upper = cols - cols % step;
        int c = 0;
        for (; c < upper; c += step) {
            FloatVector xv = FloatVector.fromArray(F, x, xo + c);
            a0 = FloatVector.fromArray(F, tile, c).fma(xv, a0);
            a1 = FloatVector.fromArray(F, tile, cols + c).fma(xv, a1);
            a2 = FloatVector.fromArray(F, tile, 2 * cols + c).fma(xv, a2);
            a3 = FloatVector.fromArray(F, tile, 3 * cols + c).fma(xv, a3);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
        for (; c < cols; c++) {
            float xv = x[xo + c];
            s0 += tile[c] * xv;
            s1 += tile[cols + c] * xv;
            s2 += tile[2 * cols + c] * xv;
            s3 += tile[3 * cols + c] * xv;
        }
        out[o] = s0;
        out[o + 1] = s1;
        out[o + 2] = s2;
        out[o + 3] = s3;
    }
}
