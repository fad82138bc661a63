package io.llmpipe.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * ggml Q6_K elements: super-blocks of 256 in 210 bytes, laid out as ggml's {@code block_q6_K}:
 * <pre>
 *    0  128 bytes   ql: low 4 bits of the quants
 *  128   64 bytes   qh: high 2 bits of the quants, four to a byte
 *  192   16 int8    scales, one per 16 elements
 *  208  fp16 d      super-block scale
 * </pre>
 * Element {@code = d * scale * (q - 32)} with {@code q} 6-bit. As in ggml's dequantize_row_q6_K,
 * each 128-element half {@code h} uses {@code ql[64h ..]}, {@code qh[32h ..]} and
 * {@code scales[8h ..]}; for {@code l < 32} its elements {@code l, l+32, l+64, l+96} take the low
 * nibble of {@code ql[l]}, the low nibble of {@code ql[l+32]}, the high nibble of {@code ql[l]} and
 * the high nibble of {@code ql[l+32]}, with bits 0-1, 2-3, 4-5 and 6-7 of {@code qh[l]} on top.
 *
 * <p>An immutable view over memory it does not own; any thread may call any method concurrently.
 */
public final class Q6_KTensor extends FloatTensor {
    static final int BLOCK = GGMLType.QK_K;
    static final int BLOCK_BYTES = 210;
    private static final int QH = 128;
    private static final int SCALES = 192;
    private static final int D = 208;

    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    // 8 bytes per load, zero-extended into 8 int lanes where the bits are assembled natively.
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;

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
        long b = (index / BLOCK) * BLOCK_BYTES;
        int j = (int) (index % BLOCK);
        int half = j / 128;
        int k = (j % 128) / 32; // which of the four quants sharing a qh byte
        int l = j % 32;
        int ql = u8(segment, b + 64 * half + 32 * (k & 1) + l);
        int low = k < 2 ? ql & 0xF : ql >> 4;
        int high = (u8(segment, b + QH + 32 * half + l) >> (2 * k)) & 3;
        int scale = segment.get(ValueLayout.JAVA_BYTE, b + SCALES + 8 * half + l / 16 + 2 * k);
        return f16(segment, b + D) * scale * ((low | high << 4) - 32);
    }

    @Override
    public float dot(long offset, float[] x, int xOffset, int n) {
        checkBlocks(offset, n);
        if (n == 0) {
            return 0f; // pass reads the first block's scale up front
        }
        long base = offset / BLOCK * BLOCK_BYTES;
        // Two passes over the row, each half the quants: a loop body with all four would be too
        // big for C2 to inline its Vector API calls (it then boxes the vectors). The second pass
        // reads the shared qh bytes again, from cache.
        return pass(segment, base, x, xOffset, n, 0) + pass(segment, base, x, xOffset, n, 1);
    }

    /**
     * Quants 1 and 3 ({@code p = 0}: nibbles of {@code ql[l]}) or 2 and 4 ({@code p = 1}: nibbles
     * of {@code ql[l + 32]}) of every super-block from byte {@code base}, against x. One flat loop
     * whose addresses advance by addition: recomputing them from the loop index costs more than the
     * vector work.
     */
    private static float pass(MemorySegment s, long base, float[] x, int xOffset, int n, int p) {
        long ql = base + 32 * p;
        long qh = base + QH;
        long sc = base + SCALES + 2 * p;
        int xi = xOffset + 32 * p;
        float d = f16(s, base + D);
        int lowShift = 4 - 2 * p; // qh bits 0-1 (p = 0) or 2-3 (p = 1) to bits 4-5
        int highShift = 2 * p;    // qh bits 4-5 (p = 0) or 6-7 (p = 1) to bits 4-5
        FloatVector accLow = FloatVector.zero(F);
        FloatVector accHigh = FloatVector.zero(F);
        int groups = n / 32; // 8 values of l: 8 low-nibble and 8 high-nibble quants
        for (int g = 0; g < groups; g++) {
            int k = g & 3; // l = 8k within the half
            IntVector low = packed(s, ql);
            IntVector high = packed(s, qh);
            float scaleLow = d * s8(s, sc + (k >> 1));
            float scaleHigh = d * s8(s, sc + 4 + (k >> 1));
            IntVector qLow = low.and(0xF).or(high.lanewise(VectorOperators.LSHL, lowShift).and(0x30)).sub(32);
            IntVector qHigh = low.lanewise(VectorOperators.LSHR, 4).or(high.lanewise(VectorOperators.LSHR, highShift).and(0x30)).sub(32);
            accLow = ((FloatVector) qLow.convert(VectorOperators.I2F, 0)).mul(scaleLow)
                    .fma(FloatVector.fromArray(F, x, xi), accLow);
            accHigh = ((FloatVector) qHigh.convert(VectorOperators.I2F, 0)).mul(scaleHigh)
                    .fma(FloatVector.fromArray(F, x, xi + 64), accHigh);
            ql += 8;
            qh += 8;
            xi += 8;
            if (k == 3) { // end of a 128-element half: ql moves on 64, qh 32, scales 8, x 128
                ql += 32;
                sc += 8;
                xi += 96;
                if ((g & 7) == 7) { // end of the super-block: on to the next one's fields
                    ql += BLOCK_BYTES - 128;
                    qh += BLOCK_BYTES - 64;
                    sc += BLOCK_BYTES - 16;
                    if (g + 1 < groups) {
                        d = f16(s, ql - 32 * p + D);
                    }
                }
            }
        }
        return accLow.add(accHigh).reduceLanes(VectorOperators.ADD);
    }

    @Override
    public void dequantize(long offset, float[] dst, int dstOffset, int n) {
        checkBlocks(offset, n);
        MemorySegment s = segment;
        long b = offset / BLOCK * BLOCK_BYTES;
        for (int i = 0; i < n; i += BLOCK, b += BLOCK_BYTES) {
            float d = f16(s, b + D);
            for (int t = 0; t < 16; t++) {
                int half = t >> 3;
                int l = 8 * ((t >> 1) & 3);
                int p = t & 1;
                IntVector ql = packed(s, b + 64 * half + 32 * p + l);
                IntVector qh = packed(s, b + QH + 32 * half + l);
                long sc = b + SCALES + 8 * half + l / 16 + 2 * p;
                int at = dstOffset + i + 128 * half + 32 * p + l;
                lowQuant(ql, qh, p).mul(d * s8(s, sc)).intoArray(dst, at);
                highQuant(ql, qh, p).mul(d * s8(s, sc + 4)).intoArray(dst, at + 64);
            }
        }
    }

    /**
     * Quant 1 ({@code p = 0}: low nibble of {@code ql[l]}, bits 0-1 of {@code qh[l]}) or quant 2
     * ({@code p = 1}: low nibble of {@code ql[l+32]}, bits 2-3), minus 32, as floats.
     */
    private static FloatVector lowQuant(IntVector ql, IntVector qh, int p) {
        IntVector q = ql.and(0xF).or(qh.lanewise(VectorOperators.LSHL, 4 - 2 * p).and(0x30));
        return (FloatVector) q.sub(32).convert(VectorOperators.I2F, 0);
    }

    /**
     * Quant 3 ({@code p = 0}: high nibble of {@code ql[l]}, bits 4-5 of {@code qh[l]}) or quant 4
     * ({@code p = 1}: high nibble of {@code ql[l+32]}, bits 6-7), minus 32, as floats.
     */
    private static FloatVector highQuant(IntVector ql, IntVector qh, int p) {
        IntVector q = ql.lanewise(VectorOperators.LSHR, 4).or(qh.lanewise(VectorOperators.LSHR, 2 * p).and(0x30));
        return (FloatVector) q.sub(32).convert(VectorOperators.I2F, 0);
    }

    /** 8 bytes at {@code at}, zero-extended to int lanes. */
    private static IntVector packed(MemorySegment s, long at) {
        return (IntVector) ByteVector.fromMemorySegment(B, s, at, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
    }

    private static int u8(MemorySegment s, long at) {
        return s.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    private static int s8(MemorySegment s, long at) {
        return s.get(ValueLayout.JAVA_BYTE, at);
    }

    private static float f16(MemorySegment s, long at) {
        return Float.float16ToFloat(s.get(LE_SHORT, at));
    }

    private static void checkBlocks(long offset, int n) {
        if (((offset | n) & (BLOCK - 1)) != 0) {
            throw new IllegalArgumentException("Q6_K offset " + offset + " and length " + n + " must be multiples of " + BLOCK);
        }
    }

    @Override
    public void dotRows(int rowStart, int rowEnd, int cols, float[] x, int xOffset, float[] out, int outOffset) {
        for (int r = rowStart; r < rowEnd; r++) {
            out[outOffset + r] = dot((long) r * cols, x, xOffset, cols);
        }
    }
}
