package io.llmpipe.engine.tensor;

import java.lang.foreign.MemorySegment;

/**
 * ggml Q4_K: super-blocks of 256 elements = fp16 {@code d}, fp16 {@code dmin}, 12 bytes of packed
 * 6-bit (scale, min) pairs for 8 sub-blocks of 32, then 128 bytes of 4-bit quants. Each 64-element
 * chunk takes the low nibbles of 32 bytes (first sub-block) then their high nibbles (second);
 * x = d * scale * q - dmin * min.
 */
public final class Q4_KTensor extends FloatTensor {
    static final int BLOCK = GGMLType.QK_K;
    static final int BLOCK_BYTES = 144;
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);
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

    /** ggml's get_scale_min_k4: the 6-bit scale (index 0) and min (index 1) of sub-block j. */
    static int scale(MemorySegment s, long scalesOffset, int j) {
        if (j < 4) {
            return Byte.toUnsignedInt(Layouts.u8(s, scalesOffset + j)) & 63;
        }
        return (Byte.toUnsignedInt(Layouts.u8(s, scalesOffset + j + 4)) & 0x0F)
                | ((Byte.toUnsignedInt(Layouts.u8(s, scalesOffset + j - 4)) >>> 6) << 4);
    }

    static int min(MemorySegment s, long scalesOffset, int j) {
        if (j < 4) {
            return Byte.toUnsignedInt(Layouts.u8(s, scalesOffset + j + 4)) & 63;
        }
        return (Byte.toUnsignedInt(Layouts.u8(s, scalesOffset + j + 4)) >>> 4)
                | ((Byte.toUnsignedInt(Layouts.u8(s, scalesOffset + j)) >>> 6) << 4);
    }

    @Override
    public float getFloat(long index) {
        float[] one = new float[BLOCK];
        dequantize(index / BLOCK * BLOCK, one, 0, BLOCK);
        return one[(int) (index % BLOCK)];
    }

    @Override
    public float dot(long offset, float[] x, int xOffset, int n) {
        float[] row = Layouts.scratch(SCRATCH, n);
        dequantize(offset, row, 0, n);
        return VectorMath.dot(row, 0, x, xOffset, n);
    }

    @Override
    public void dequantize(long offset, float[] dst, int dstOffset, int n) {
        long bo = offset / BLOCK * BLOCK_BYTES;
        for (int i = 0; i < n; i += BLOCK, bo += BLOCK_BYTES) {
            float d = Layouts.f16(segment, bo);
            float dmin = Layouts.f16(segment, bo + 2);
            long scales = bo + 4;
            long qs = bo + 16;
            int o = dstOffset + i;
            for (int chunk = 0; chunk < 4; chunk++) {
                float d1 = d * scale(segment, scales, 2 * chunk), m1 = dmin * min(segment, scales, 2 * chunk);
                float d2 = d * scale(segment, scales, 2 * chunk + 1), m2 = dmin * min(segment, scales, 2 * chunk + 1);
                for (int l = 0; l < 32; l++) {
                    int q = Byte.toUnsignedInt(Layouts.u8(segment, qs + 32L * chunk + l));
                    dst[o + 64 * chunk + l] = d1 * (q & 0x0F) - m1;
                    dst[o + 64 * chunk + 32 + l] = d2 * (q >>> 4) - m2;
                }
            }
        }
    }

    @Override
    public void dotRows(int rowStart, int rowEnd, int cols, float[] x, int xOffset, float[] out, int outOffset) {
        for (int r = rowStart; r < rowEnd; r++) {
            out[outOffset + r] = dot((long) r * cols, x, xOffset, cols);
        }
    }
}
