package io.llmpipe.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * ggml Q6_K: super-blocks of 256 elements = 128 bytes {@code ql} (low 4 bits), 64 bytes {@code qh}
 * (high 2 bits), 16 int8 scales (one per 16 elements), fp16 {@code d}; x = d * scale * (q - 32).
 * Each 128-element half uses 64 bytes of ql and 32 of qh: element l, l+32, l+64, l+96 take the low
 * nibble of ql[l], of ql[l+32], the high nibble of ql[l], of ql[l+32], with qh[l] bits 0-1, 2-3, 4-5, 6-7.
 */
public final class Q6_KTensor extends FloatTensor {
    static final int BLOCK = GGMLType.QK_K;
    static final int BLOCK_BYTES = 210;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
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
        // 8 lanes at a time: element l (and l+32, l+64, l+96) of each half from ql[l], ql[l+32], qh[l]
        // widened to int lanes; each 8-lane group lies inside one 16-element scale group.
        FloatVector acc = FloatVector.zero(F);
        long bo = offset / BLOCK * BLOCK_BYTES;
        for (int i = 0; i < n; i += BLOCK, bo += BLOCK_BYTES) {
            float d = Layouts.f16(segment, bo + 208);
            for (int half = 0; half < 2; half++) {
                long ql = bo + 64L * half, qh = bo + 128 + 32L * half, sc = bo + 192 + 8L * half;
                int xo = xOffset + i + 128 * half;
                for (int l = 0; l < 32; l += 8) {
                    int is = l >>> 4;
                    IntVector a = (IntVector) ByteVector.fromMemorySegment(B8, segment, ql + l, ByteOrder.LITTLE_ENDIAN).castShape(I, 0);
                    IntVector c = (IntVector) ByteVector.fromMemorySegment(B8, segment, ql + l + 32, ByteOrder.LITTLE_ENDIAN).castShape(I, 0);
                    IntVector h = (IntVector) ByteVector.fromMemorySegment(B8, segment, qh + l, ByteOrder.LITTLE_ENDIAN).castShape(I, 0);
                    IntVector q1 = a.and(0x0F).or(h.and(3).lanewise(VectorOperators.LSHL, 4)).sub(32);
                    IntVector q2 = c.and(0x0F).or(h.lanewise(VectorOperators.ASHR, 2).and(3).lanewise(VectorOperators.LSHL, 4)).sub(32);
                    IntVector q3 = a.lanewise(VectorOperators.ASHR, 4).and(0x0F).or(h.lanewise(VectorOperators.ASHR, 4).and(3).lanewise(VectorOperators.LSHL, 4)).sub(32);
                    IntVector q4 = c.lanewise(VectorOperators.ASHR, 4).and(0x0F).or(h.lanewise(VectorOperators.ASHR, 6).and(3).lanewise(VectorOperators.LSHL, 4)).sub(32);
                    acc = ((FloatVector) q1.castShape(F, 0)).mul(FloatVector.fromArray(F, x, xo + l))
                            .fma(FloatVector.broadcast(F, d * Layouts.u8(segment, sc + is)), acc);
                    acc = ((FloatVector) q2.castShape(F, 0)).mul(FloatVector.fromArray(F, x, xo + l + 32))
                            .fma(FloatVector.broadcast(F, d * Layouts.u8(segment, sc + is + 2)), acc);
                    acc = ((FloatVector) q3.castShape(F, 0)).mul(FloatVector.fromArray(F, x, xo + l + 64))
                            .fma(FloatVector.broadcast(F, d * Layouts.u8(segment, sc + is + 4)), acc);
                    acc = ((FloatVector) q4.castShape(F, 0)).mul(FloatVector.fromArray(F, x, xo + l + 96))
                            .fma(FloatVector.broadcast(F, d * Layouts.u8(segment, sc + is + 6)), acc);
                }
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    private static final ThreadLocal<byte[]> BLOCK_BYTES_SCRATCH = ThreadLocal.withInitial(() -> new byte[BLOCK_BYTES]);

    @Override
    public void dequantize(long offset, float[] dst, int dstOffset, int n) {
        // one bulk copy per super-block, then plain array reads (no per-byte bounds-checked segment access)
        byte[] b = BLOCK_BYTES_SCRATCH.get();
        long bo = offset / BLOCK * BLOCK_BYTES;
        for (int i = 0; i < n; i += BLOCK, bo += BLOCK_BYTES) {
            MemorySegment.copy(segment, java.lang.foreign.ValueLayout.JAVA_BYTE, bo, b, 0, BLOCK_BYTES);
            float d = Float.float16ToFloat((short) ((b[208] & 0xFF) | (b[209] << 8)));
            for (int half = 0; half < 2; half++) {
                int ql = 64 * half, qh = 128 + 32 * half, sc = 192 + 8 * half;
                int o = dstOffset + i + 128 * half;
                for (int l = 0; l < 32; l++) {
                    int is = l >>> 4;
                    int a = b[ql + l] & 0xFF;
                    int c = b[ql + l + 32] & 0xFF;
                    int h = b[qh + l] & 0xFF;
                    dst[o + l] = d * b[sc + is] * (((a & 0x0F) | ((h & 3) << 4)) - 32);
                    dst[o + l + 32] = d * b[sc + is + 2] * (((c & 0x0F) | (((h >>> 2) & 3) << 4)) - 32);
                    dst[o + l + 64] = d * b[sc + is + 4] * (((a >>> 4) | (((h >>> 4) & 3) << 4)) - 32);
                    dst[o + l + 96] = d * b[sc + is + 6] * (((c >>> 4) | (((h >>> 6) & 3) << 4)) - 32);
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
