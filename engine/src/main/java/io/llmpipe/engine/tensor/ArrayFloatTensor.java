package io.llmpipe.engine.tensor;

/** Float elements on the heap: small derived tensors, test weights. */
public final class ArrayFloatTensor extends FloatTensor {
    private final float[] values;

    public ArrayFloatTensor(float[] values) {
        this.values = values;
    }

    @Override
    public long size() {
        return values.length;
    }

    @Override
    public GGMLType type() {
        return GGMLType.F32;
    }

    @Override
    public float getFloat(long index) {
        return values[Math.toIntExact(index)];
    }

    @Override
    public float dot(long offset, float[] x, int xOffset, int n) {
        return VectorMath.dot(values, Math.toIntExact(offset), x, xOffset, n);
    }

    @Override
    public void dequantize(long offset, float[] dst, int dstOffset, int n) {
        System.arraycopy(values, Math.toIntExact(offset), dst, dstOffset, n);
    }

    @Override
    public void dotRows(int rowStart, int rowEnd, int cols, float[] x, int xOffset, float[] out, int outOffset) {
        for (int r = rowStart; r < rowEnd; r++) {
            out[outOffset + r] = dot((long) r * cols, x, xOffset, cols);
        }
    }
}
