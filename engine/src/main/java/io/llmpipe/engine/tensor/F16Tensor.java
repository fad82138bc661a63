package io.llmpipe.engine.tensor;

import java.lang.foreign.MemorySegment;

/** F16 elements. (Placeholder until the kernel lands: every method throws.) */
public final class F16Tensor extends FloatTensor {
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
        throw new UnsupportedOperationException("F16 not implemented yet");
    }

    @Override
    public float dot(long offset, float[] x, int xOffset, int n) {
        throw new UnsupportedOperationException("F16 not implemented yet");
    }

    @Override
    public void dequantize(long offset, float[] dst, int dstOffset, int n) {
        throw new UnsupportedOperationException("F16 not implemented yet");
    }
}
