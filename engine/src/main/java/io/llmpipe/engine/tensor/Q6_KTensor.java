package io.llmpipe.engine.tensor;

import java.lang.foreign.MemorySegment;

/** Q6_K elements. (Placeholder until the kernel lands: every method throws.) */
public final class Q6_KTensor extends FloatTensor {
    private final MemorySegment segment;
    private final long size;

    Q6_KTensor(MemorySegment segment, long size) {
        this.segment = segment;
        this.size = size;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public GGMLType type() {
        return GGMLType.Q6_K;
    }

    @Override
    public float getFloat(long index) {
        throw new UnsupportedOperationException("Q6_K not implemented yet");
    }

    @Override
    public float dot(long offset, float[] x, int xOffset, int n) {
        throw new UnsupportedOperationException("Q6_K not implemented yet");
    }

    @Override
    public void dequantize(long offset, float[] dst, int dstOffset, int n) {
        throw new UnsupportedOperationException("Q6_K not implemented yet");
    }
}
