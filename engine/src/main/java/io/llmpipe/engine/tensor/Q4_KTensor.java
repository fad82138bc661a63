package io.llmpipe.engine.tensor;

import java.lang.foreign.MemorySegment;

/** Q4_K elements. (Placeholder until the kernel lands: every method throws.) */
public final class Q4_KTensor extends FloatTensor {
    private final MemorySegment segment;
    private final long size;

    Q4_KTensor(MemorySegment segment, long size) {
        this.segment = segment;
        this.size = size;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public GGMLType type() {
        return GGMLType.Q4_K;
    }

    @Override
    public float getFloat(long index) {
        throw new UnsupportedOperationException("Q4_K not implemented yet");
    }

    @Override
    public float dot(long offset, float[] x, int xOffset, int n) {
        throw new UnsupportedOperationException("Q4_K not implemented yet");
    }

    @Override
    public void dequantize(long offset, float[] dst, int dstOffset, int n) {
        throw new UnsupportedOperationException("Q4_K not implemented yet");
    }
}
