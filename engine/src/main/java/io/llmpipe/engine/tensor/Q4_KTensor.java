package io.llmpipe.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * ggml Q4_K: super-blocks of 256 elements = fp16 {@code d}, fp16 {@code dmin}, 12 bytes of packed
 * 6-bit (scale, min) pairs for 8 sub-blocks of 32, then 128 bytes of 4-bit quants. Each 64-element
 * chunk takes the low nibbles of 32 bytes (first sub-block) then their high nibbles (second);
 * x = d * scale * q - dmin * min.
 */
public final class Q4_KTensor extends FloatTensor {
    static final int BLOCK = GGMLType.QK_K;
    static final int BLOCK_BYTES = 144;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
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
        float[] one = new float[BLOCK];
        dequantize(index / BLOCK * BLOCK, one, 0, BLOCK);
        return one[(int) (index % BLOCK)];
    }

    @Override
    public float dot(long offset, float[] x, int xOffset, int n) {
        // Per sub-block of 32: sum (d*sc*q - dmin*m) x = d*sc * sum q x - dmin*m * sum x.
        // 8 quant bytes at a time are widened to int lanes; low nibbles feed one sub-block, high the next.
        FloatVector acc = FloatVector.zero(F);
        long bo = offset / BLOCK * BLOCK_BYTES;
        for (int i = 0; i < n; i += BLOCK, bo += BLOCK_BYTES) {
            float d = Layouts.f16(segment, bo);
            float dmin = Layouts.f16(segment, bo + 2);
            long scales = bo + 4;
            for (int chunk = 0; chunk < 4; chunk++) {
                FloatVector lo = FloatVector.zero(F), hi = FloatVector.zero(F), xsLo = FloatVector.zero(F), xsHi = FloatVector.zero(F);
                long q = bo + 16 + 32L * chunk;
                int xo = xOffset + i + 64 * chunk;
                for (int l = 0; l < 32; l += 8) {
                    IntVector packed = (IntVector) ByteVector.fromMemorySegment(B8, segment, q + l, ByteOrder.LITTLE_ENDIAN).castShape(I, 0);
                    FloatVector xl = FloatVector.fromArray(F, x, xo + l);
                    FloatVector xh = FloatVector.fromArray(F, x, xo + 32 + l);
                    lo = ((FloatVector) packed.and(0x0F).castShape(F, 0)).fma(xl, lo);
                    hi = ((FloatVector) packed.lanewise(VectorOperators.ASHR, 4).and(0x0F).castShape(F, 0)).fma(xh, hi);
                    xsLo = xsLo.add(xl);
                    xsHi = xsHi.add(xh);
                }
                int j0 = 2 * chunk, j1 = j0 + 1;
                // scales folded in as broadcasts: one horizontal reduction per call, not per sub-block
                acc = lo.fma(FloatVector.broadcast(F, d * scaleAt(scales, j0)), acc);
                acc = hi.fma(FloatVector.broadcast(F, d * scaleAt(scales, j1)), acc);
                acc = xsLo.fma(FloatVector.broadcast(F, -dmin * minAt(scales, j0)), acc);
                acc = xsHi.fma(FloatVector.broadcast(F, -dmin * minAt(scales, j1)), acc);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** get_scale_min_k4 read from the segment: the 6-bit scale of sub-block j. */
    private int scaleAt(long scales, int j) {
        return j < 4 ? Layouts.u8(segment, scales + j) & 63
                : (Layouts.u8(segment, scales + j + 4) & 0x0F) | (((Layouts.u8(segment, scales + j - 4) & 0xFF) >>> 6) << 4);
    }

    private int minAt(long scales, int j) {
        return j < 4 ? Layouts.u8(segment, scales + j + 4) & 63
                : ((Layouts.u8(segment, scales + j + 4) & 0xFF) >>> 4) | (((Layouts.u8(segment, scales + j) & 0xFF) >>> 6) << 4);
    }

    private static final ThreadLocal<byte[]> BLOCK_BYTES_SCRATCH = ThreadLocal.withInitial(() -> new byte[BLOCK_BYTES]);

    @Override
    public void dequantize(long offset, float[] dst, int dstOffset, int n) {
        // one bulk copy per super-block, then plain array reads (no per-byte bounds-checked segment access)
        byte[] b = BLOCK_BYTES_SCRATCH.get();
        long bo = offset / BLOCK * BLOCK_BYTES;
        for (int i = 0; i < n; i += BLOCK, bo += BLOCK_BYTES) {
            MemorySegment.copy(segment, java.lang.foreign.ValueLayout.JAVA_BYTE, bo, b, 0, BLOCK_BYTES);
            float d = Float.float16ToFloat((short) ((b[0] & 0xFF) | (b[1] << 8)));
            float dmin = Float.float16ToFloat((short) ((b[2] & 0xFF) | (b[3] << 8)));
            int o = dstOffset + i;
            for (int chunk = 0; chunk < 4; chunk++) {
                int j0 = 2 * chunk, j1 = 2 * chunk + 1;
                float d1 = d * scaleOf(b, j0), m1 = dmin * minOf(b, j0);
                float d2 = d * scaleOf(b, j1), m2 = dmin * minOf(b, j1);
                int q = 16 + 32 * chunk;
                int out = o + 64 * chunk;
                for (int l = 0; l < 32; l++) {
                    int v = b[q + l] & 0xFF;
                    dst[out + l] = d1 * (v & 0x0F) - m1;
                    dst[out + 32 + l] = d2 * (v >>> 4) - m2;
                }
            }
        }
    }

    /** get_scale_min_k4 over the block's bytes (scales start at byte 4). */
    private static int scaleOf(byte[] b, int j) {
        return j < 4 ? b[4 + j] & 63 : (b[4 + j + 4] & 0x0F) | (((b[4 + j - 4] & 0xFF) >>> 6) << 4);
    }

    private static int minOf(byte[] b, int j) {
        return j < 4 ? b[4 + j + 4] & 63 : ((b[4 + j + 4] & 0xFF) >>> 4) | (((b[4 + j] & 0xFF) >>> 6) << 4);
    }

    @Override
    public void dotRows(int rowStart, int rowEnd, int cols, float[] x, int xOffset, float[] out, int outOffset) {
        for (int r = rowStart; r < rowEnd; r++) {
            out[outOffset + r] = dot((long) r * cols, x, xOffset, cols);
        }
    }
}
