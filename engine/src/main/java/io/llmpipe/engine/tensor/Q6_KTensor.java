package io.llmpipe.engine.tensor;

import java.lang.foreign.MemorySegment;

/**
 * ggml Q6_K: super-blocks of 256 elements = 128 bytes {@code ql} (low 4 bits), 64 bytes {@code qh}
 * (high 2 bits), 16 int8 scales (one per 16 elements), fp16 {@code d}; x = d * scale * (q - 32).
 * Each 128-element half uses 64 bytes of ql and 32 of qh: element l, l+32, l+64, l+96 take the low
 * nibble of ql[l], of ql[l+32], the high nibble of ql[l], of ql[l+32], with qh[l] bits 0-1, 2-3, 4-5, 6-7.
 */
public final class Q6_KTensor extends FloatTensor {
    static final int BLOCK = GGMLType.QK_K;
    static final int BLOCK_BYTES = 210;
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);
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
            float d = Layouts.f16(segment, bo + 208);
            for (int half = 0; half < 2; half++) {
                long ql = bo + 64L * half;
                long qh = bo + 128 + 32L * half;
                long sc = bo + 192 + 8L * half;
                int o = dstOffset + i + 128 * half;
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int a = Byte.toUnsignedInt(Layouts.u8(segment, ql + l));
                    int b = Byte.toUnsignedInt(Layouts.u8(segment, ql + l + 32));
                    int h = Byte.toUnsignedInt(Layouts.u8(segment, qh + l));
                    int q1 = ((a & 0x0F) | ((h & 3) << 4)) - 32;
                    int q2 = ((b & 0x0F) | (((h >>> 2) & 3) << 4)) - 32;
                    int q3 = ((a >>> 4) | (((h >>> 4) & 3) << 4)) - 32;
                    int q4 = ((b >>> 4) | (((h >>> 6) & 3) << 4)) - 32;
                    dst[o + l] = d * Layouts.u8(segment, sc + is) * q1;
                    dst[o + l + 32] = d * Layouts.u8(segment, sc + is + 2) * q2;
                    dst[o + l + 64] = d * Layouts.u8(segment, sc + is + 4) * q3;
                    dst[o + l + 96] = d * Layouts.u8(segment, sc + is + 6) * q4;
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
