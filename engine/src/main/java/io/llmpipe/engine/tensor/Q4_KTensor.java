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
 * ggml Q4_K elements: super-blocks of 256 in 144 bytes, laid out as ggml's {@code block_q4_K}:
 * <pre>
 *   0  fp16 d       scale of the sub-block scales
 *   2  fp16 dmin    scale of the sub-block mins
 *   4  12 bytes     8 six-bit scales and 8 six-bit mins, packed as ggml's get_scale_min_k4
 *  16  128 bytes    4-bit quants
 * </pre>
 * The 8 sub-blocks hold 32 elements each; element {@code = d * sc[j] * q - dmin * m[j]}. Each
 * 64-element chunk {@code c} takes 32 quant bytes: their low nibbles are sub-block {@code 2c},
 * their high nibbles sub-block {@code 2c + 1} (ggml's dequantize_row_q4_K).
 *
 * <p>An immutable view over memory it does not own; any thread may call any method concurrently.
 */
public final class Q4_KTensor extends FloatTensor {
    static final int BLOCK = GGMLType.QK_K;
    static final int BLOCK_BYTES = 144;
    private static final int DMIN = 2;
    private static final int SCALES = 4;
    private static final int QS = 16;

    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    // 8 bytes per load, zero-extended into 8 int lanes where the nibbles are split natively.
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;

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
        long b = (index / BLOCK) * BLOCK_BYTES;
        int j = (int) (index % BLOCK);
        int chunk = j / 64;
        int sub = 2 * chunk + (j % 64) / 32;
        int packed = u8(segment, b + QS + 32 * chunk + j % 32);
        int q = (sub & 1) == 0 ? packed & 0xF : packed >> 4;
        int sc = (int) (scales(segment, b) >>> (8 * sub)) & 0xFF;
        int m = (int) (mins(segment, b) >>> (8 * sub)) & 0xFF;
        // fma, as in the vector paths, so that getFloat and dequantize agree exactly
        return Math.fma((float) q, f16(segment, b) * sc, -(f16(segment, b + DMIN) * m));
    }

    @Override
    public float dot(long offset, float[] x, int xOffset, int n) {
        checkBlocks(offset, n);
        MemorySegment s = segment;
        long b = offset / BLOCK * BLOCK_BYTES;
        long qs = b + QS;
        int xi = xOffset;
        float d = 0f;
        float dmin = 0f;
        long scales = 0; // the current super-block's scales and mins, next sub-block in the low byte
        long mins = 0;
        float scaleLo = 0f;
        float minLo = 0f;
        float scaleHi = 0f;
        float minHi = 0f;
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        // One flat loop over half-chunks (16 quant bytes: 16 elements of sub-block 2c in the low
        // nibbles, 16 of sub-block 2c + 1 in the high nibbles) with addresses advanced by addition.
        // Recomputing addresses from the index, or nested loops over chunks and groups, cost more
        // than the vector work; a body holding a whole chunk is too big for C2 to inline its
        // Vector API calls (it then boxes the vectors).
        int halves = n / 32;
        for (int h = 0; h < halves; h++) {
            if ((h & 1) == 0) { // a new chunk: two sub-blocks
                if ((h & 7) == 0) { // a new super-block
                    if (h > 0) {
                        b += BLOCK_BYTES;
                        qs = b + QS;
                    }
                    d = f16(s, b);
                    dmin = f16(s, b + DMIN);
                    scales = scales(s, b);
                    mins = mins(s, b);
                }
                scaleLo = d * (int) (scales & 0xFF);
                scaleHi = d * (int) ((scales >>> 8) & 0xFF);
                minLo = -dmin * (int) (mins & 0xFF);
                minHi = -dmin * (int) ((mins >>> 8) & 0xFF);
                scales >>>= 16;
                mins >>>= 16;
            }
            FloatVector sLo = FloatVector.broadcast(F, scaleLo);
            FloatVector mLo = FloatVector.broadcast(F, minLo);
            FloatVector sHi = FloatVector.broadcast(F, scaleHi);
            FloatVector mHi = FloatVector.broadcast(F, minHi);
            IntVector v0 = packed(s, qs);
            IntVector v1 = packed(s, qs + 8);
            acc0 = low(v0).fma(sLo, mLo).fma(FloatVector.fromArray(F, x, xi), acc0);
            acc1 = low(v1).fma(sLo, mLo).fma(FloatVector.fromArray(F, x, xi + 8), acc1);
            acc0 = high(v0).fma(sHi, mHi).fma(FloatVector.fromArray(F, x, xi + 32), acc0);
            acc1 = high(v1).fma(sHi, mHi).fma(FloatVector.fromArray(F, x, xi + 40), acc1);
            qs += 16;
            xi += (h & 1) == 0 ? 16 : 48; // the second half of a chunk, or the next chunk
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    @Override
    public void dequantize(long offset, float[] dst, int dstOffset, int n) {
        checkBlocks(offset, n);
        MemorySegment s = segment;
        long b = offset / BLOCK * BLOCK_BYTES;
        for (int i = 0; i < n; i += BLOCK, b += BLOCK_BYTES) {
            float d = f16(s, b);
            float dmin = f16(s, b + DMIN);
            long scales = scales(s, b);
            long mins = mins(s, b);
            for (int c = 0; c < 4; c++) {
                int at = dstOffset + i + 64 * c;
                long qs = b + QS + 32 * c;
                int lo = 16 * c;
                int hi = 16 * c + 8;
                FloatVector scaleLo = FloatVector.broadcast(F, d * ((scales >>> lo) & 0xFF));
                FloatVector scaleHi = FloatVector.broadcast(F, d * ((scales >>> hi) & 0xFF));
                FloatVector minLo = FloatVector.broadcast(F, -dmin * ((mins >>> lo) & 0xFF));
                FloatVector minHi = FloatVector.broadcast(F, -dmin * ((mins >>> hi) & 0xFF));
                for (int g = 0; g < 32; g += 8) {
                    IntVector v = packed(s, qs + g);
                    low(v).fma(scaleLo, minLo).intoArray(dst, at + g);
                    high(v).fma(scaleHi, minHi).intoArray(dst, at + 32 + g);
                }
            }
        }
    }

    /** 8 bytes at {@code at}, zero-extended to int lanes. */
    private static IntVector packed(MemorySegment s, long at) {
        return (IntVector) ByteVector.fromMemorySegment(B, s, at, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
    }

    private static FloatVector low(IntVector packed) {
        return (FloatVector) packed.and(0xF).convert(VectorOperators.I2F, 0);
    }

    private static FloatVector high(IntVector packed) {
        return (FloatVector) packed.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0);
    }

    // The 12 scale bytes, as ggml's get_scale_min_k4 reads them: bytes 0-3 hold the scales of
    // sub-blocks 0-3 in their low 6 bits, bytes 4-7 the mins of sub-blocks 0-3; sub-blocks 4-7 take
    // their low 4 bits from the nibbles of bytes 8-11 and their top 2 bits from the top bits of
    // bytes 0-3 (scales) and 4-7 (mins). Whole words at once, one sub-block per byte of the result.

    /** The 8 six-bit sub-block scales of the super-block at {@code b}, sub-block j in byte j. */
    static long scales(MemorySegment s, long b) {
        int w0 = s.get(LE_INT, b + SCALES);
        int w2 = s.get(LE_INT, b + SCALES + 8);
        int first = w0 & 0x3F3F3F3F;
        int second = (w2 & 0x0F0F0F0F) | ((w0 >>> 2) & 0x30303030);
        return (first & 0xFFFFFFFFL) | ((long) second << 32);
    }

    /** The 8 six-bit sub-block mins of the super-block at {@code b}, sub-block j in byte j. */
    static long mins(MemorySegment s, long b) {
        int w1 = s.get(LE_INT, b + SCALES + 4);
        int w2 = s.get(LE_INT, b + SCALES + 8);
        int first = w1 & 0x3F3F3F3F;
        int second = ((w2 >>> 4) & 0x0F0F0F0F) | ((w1 >>> 2) & 0x30303030);
        return (first & 0xFFFFFFFFL) | ((long) second << 32);
    }

    private static int u8(MemorySegment s, long at) {
        return s.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    private static float f16(MemorySegment s, long at) {
        return Float.float16ToFloat(s.get(LE_SHORT, at));
    }

    private static void checkBlocks(long offset, int n) {
        if (((offset | n) & (BLOCK - 1)) != 0) {
            throw new IllegalArgumentException("Q4_K offset " + offset + " and length " + n + " must be multiples of " + BLOCK);
        }
    }

    @Override
    public void dotRows(int rowStart, int rowEnd, int cols, float[] x, int xOffset, float[] out, int outOffset) {
        for (int r = rowStart; r < rowEnd; r++) {
            out[outOffset + r] = dot((long) r * cols, x, xOffset, cols);
        }
    }
}
