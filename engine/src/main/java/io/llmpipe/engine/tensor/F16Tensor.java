package io.llmpipe.engine.tensor;

import java.lang.foreign.MemorySegment;

/** IEEE half-precision elements. The dot converts a row to floats in a per-thread buffer first. */
public final class F16Tensor extends FloatTensor {
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);
    private final MemorySegment segment;
    private final long size;

    F16Tensor(MemorySegment segment, long size) {
        this.segment = segment;
        this.size = size;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public GGMLType type() {
        return GGMLType.F16;
    }

    @Override
    public float getFloat(long index) {
        return Layouts.f16(segment, index * 2);
    }

    @Override
    public float dot(long offset, float[] x, int xOffset, int n) {
        float[] row = Layouts.scratch(SCRATCH, n);
        dequantize(offset, row, 0, n);
        return VectorMath.dot(row, 0, x, xOffset, n);
    }

    @Override
    public void dequantize(long offset, float[] dst, int dstOffset, int n) {
        long base = offset * 2;
        for (int i = 0; i < n; i++) {
            dst[dstOffset + i] = Float.float16ToFloat(segment.get(Layouts.LE_SHORT, base + 2L * i));
        }
    }

    @Override
    public void dotRows(int rowStart, int rowEnd, int cols, float[] x, int xOffset, float[] out, int outOffset) {
        for (int r = rowStart; r < rowEnd; r++) {
            out[outOffset + r] = dot((long) r * cols, x, xOffset, cols);
        }
    }
}
