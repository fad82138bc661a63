package io.llmpipe.engine.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A wide Q8_0 matrix copied at load into column slabs: all rows' columns {@code [0, 2048)}, then all
 * rows' columns {@code [2048, 4096)}, and so on. Element indices stay row-major ({@code r * cols + c}),
 * so it is a {@link FloatTensor} like any other.
 *
 * <p>Why: a mat-vec streams each row once against x. When x is wider than about 4,096 floats (the FFN
 * down projection's 8,192 = 32 KiB), it no longer stays in L1 beside the weight stream and the row dots
 * run at half speed; reading the rows in column slabs in place is slower still (the prefetcher wants one
 * linear stream). In slab order each slab is one linear stream against 8 KiB of x: 1.6-2x the mat-vec
 * speed of the row-major matrix on the same data (docs/PERFORMANCE.md). The copy lives in the model's
 * arena (off-heap, in 2 MiB pages where Linux gives them: {@link HugePageMemory}).
 *
 * <p>Several activation rows (prefill, batched decode) still read the row-major original: its long rows
 * suit the 4x4 batched kernel, which ran 25% slower over the slabs (one JVM, alternated).
 */
public final class SlabbedQ8_0Tensor extends FloatTensor {
    /** Columns per slab: x's slab (8 KiB) and the weight stream share L1. */
    public static final int SLAB = 2048;
    /** Matrices at least this wide are copied into slabs (x of 16 KiB and up no longer stays in L1). */
    public static final int MIN_COLUMNS = 2 * SLAB + 1;

    private final Q8_0Tensor data;
    private final Q8_0Tensor original;
    private final int rows;
    private final int cols;
    private final int slabs;

    private SlabbedQ8_0Tensor(Q8_0Tensor data, Q8_0Tensor original, int rows, int cols) {
        this.data = data;
        this.original = original;
        this.rows = rows;
        this.cols = cols;
        this.slabs = (cols + SLAB - 1) / SLAB;
    }

    /**
     * {@code tensor} copied into slabs inside {@code arena} when it is a Q8_0 matrix of at least
     * {@link #MIN_COLUMNS} columns, else {@code tensor} itself.
     */
    public static FloatTensor ofWide(FloatTensor tensor, int rows, int cols, Arena arena) {
        if (!(tensor instanceof Q8_0Tensor q) || cols < MIN_COLUMNS || cols % Q8_0Tensor.BLOCK != 0) {
            return tensor;
        }
        long bytes = GGMLType.Q8_0.byteSize((long) rows * cols);
        MemorySegment dst = HugePageMemory.allocate(arena, bytes);
        MemorySegment src = q.segment();
        long rowBytes = (long) cols / Q8_0Tensor.BLOCK * Q8_0Tensor.BLOCK_BYTES;
        for (int s = 0, c0 = 0; c0 < cols; s++, c0 += SLAB) {
            int width = Math.min(SLAB, cols - c0);
            long pieceBytes = (long) width / Q8_0Tensor.BLOCK * Q8_0Tensor.BLOCK_BYTES;
            long slabBase = (long) rows * c0 / Q8_0Tensor.BLOCK * Q8_0Tensor.BLOCK_BYTES;
            long srcColumn = (long) c0 / Q8_0Tensor.BLOCK * Q8_0Tensor.BLOCK_BYTES;
            for (int r = 0; r < rows; r++) {
                MemorySegment.copy(src, r * rowBytes + srcColumn, dst, slabBase + r * pieceBytes, pieceBytes);
            }
        }
        return new SlabbedQ8_0Tensor(new Q8_0Tensor(dst, (long) rows * cols), q, rows, cols);
    }

    private int width(int slab) {
        return Math.min(SLAB, cols - slab * SLAB);
    }

    @Override
    public long size() {
        return (long) rows * cols;
    }

    @Override
    public GGMLType type() {
        return GGMLType.Q8_0;
    }

    // Single elements and ranges read the row-major original, as batched calls do: only the
    // row-by-row mat-vec (dotRows) gains from the slabs.

    @Override
    public float getFloat(long index) {
        return original.getFloat(index);
    }

    @Override
    public float dot(long offset, float[] x, int xOffset, int n) {
        return original.dot(offset, x, xOffset, n);
    }

    @Override
    public void dequantize(long offset, float[] dst, int dstOffset, int n) {
        original.dequantize(offset, dst, dstOffset, n);
    }

    /** Slab by slab over the chunk's rows: each slab's rows are one contiguous stream against 8 KiB of x. */
    @Override
    public void dotRows(int rowStart, int rowEnd, int cols, float[] x, int xOffset, float[] out, int outOffset) {
        for (int s = 0; s < slabs; s++) {
            int w = width(s);
            long base = (long) rows * s * SLAB;
            int xo = xOffset + s * SLAB;
            for (int r = rowStart; r < rowEnd; r++) {
                float d = data.dot(base + (long) r * w, x, xo, w);
                out[outOffset + r] = s == 0 ? d : out[outOffset + r] + d;
            }
        }
    }

    @Override
    public boolean fusedBatch(int n) {
        return original.fusedBatch(n);
    }

    @Override
    public void dotRowsBatch(int rowStart, int rowEnd, int cols, float[] x, int xOffset, int n,
                             float[] out, int outOffset, int outStride) {
        original.dotRowsBatch(rowStart, rowEnd, cols, x, xOffset, n, out, outOffset, outStride);
    }
}
