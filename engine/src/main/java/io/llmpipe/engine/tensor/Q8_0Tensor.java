package io.llmpipe.engine.tensor;

import java.lang.foreign.MemorySegment;

/** Q8_0 elements. (Placeholder until the kernel lands: every method throws.) */
public final class Q8_0Tensor extends FloatTensor {
    private final MemorySegment segment;
    private final long size;

    Q8_0Tensor(MemorySegment segment, long size) {
        this.segment = segment;
        this.size = size;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public GGMLType type() {
        return GGMLType.Q8_0;
    }

    @Override
    public float getFloat(long index) {
        throw new UnsupportedOperationException("Q8_0 not implemented yet");
    }

    @Override
    public float dot(long offset, float[] x, int xOffset, int n) {
        throw new UnsupportedOperationException("Q8_0 not implemented yet");
    }

    @Override
    public void dequantize(long offset, float[] dst, int dstOffset, int n) {
        throw new UnsupportedOperationException("Q8_0 not implemented yet");
    }
}
