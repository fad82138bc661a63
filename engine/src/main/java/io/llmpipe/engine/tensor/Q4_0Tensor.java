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
 * ggml Q4_0 elements: blocks of 32, each a little-endian fp16 scale {@code d} followed by 16 bytes
 * of 4-bit quants. The low nibbles of the 16 bytes are elements 0..15 and the high nibbles
 * elements 16..31; element {@code = d * (q - 8)}.
 *
 * <p>An immutable view over memory it does not own; any thread may call any method concurrently.
 */
public final class Q4_0Tensor extends FloatTensor {
    static final int BLOCK = 32;
    static final int BLOCK_BYTES = 18;
    private static final int QS = 2; // quants follow the fp16 scale

    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    // 8 bytes per load, zero-extended straight into 8 int lanes where the nibbles are masked natively
    // (x86 has no byte shifts).
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;

    private static final IntVector MAGIC = IntVector.broadcast(I, 0x4B000000);
    private static final IntVector MASK_LOW = IntVector.broadcast(I, 0x4B00000F);
    private static final IntVector MASK_HIGH = IntVector.broadcast(I, 0x4B0000F0);
    private static final FloatVector BIAS_LOW = FloatVector.broadcast(F, 0x1p23f + 8);
    private static final FloatVector BIAS_HIGH = FloatVector.broadcast(F, 0x1p23f + 128);
    private static final FloatVector SIXTEENTH = FloatVector.broadcast(F, 1f / 16);

    private final MemorySegment segment;
    private final long size;

    MemorySegment segment() {
        return segment;
    }

    Q4_0Tensor(MemorySegment segment, long size) {
        this.segment = segment;
        this.size = size;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public GGMLType type() {
        return GGMLType.Q4_0;
    }

    @Override
    public float getFloat(long index) {
        long block = (index / BLOCK) * BLOCK_BYTES;
        int j = (int) (index % BLOCK);
        int packed = segment.get(ValueLayout.JAVA_BYTE, block + QS + (j & 15));
        int q = j < 16 ? packed & 0xF : (packed >> 4) & 0xF;
        return scale(segment, block) * (q - 8);
    }

    @Override
    public float dot(long offset, float[] x, int xOffset, int n) {
        checkBlocks(offset, n);
        MemorySegment s = segment;
        FloatVector acc = FloatVector.zero(F);
        long b = offset / BLOCK * BLOCK_BYTES;
        // The block is written out here rather than in a helper: a helper taking or returning
        // vectors that C2 declines to inline boxes them, which is ten times slower.
        for (int i = 0; i < n; i += BLOCK, b += BLOCK_BYTES) {
            int xi = xOffset + i;
            IntVector first = biased(s, b + QS);      // bytes 0..7: elements 0..7 and 16..23
            IntVector second = biased(s, b + QS + 8); // bytes 8..15: elements 8..15 and 24..31
            FloatVector lo = low(first).mul(FloatVector.fromArray(F, x, xi));
            lo = low(second).fma(FloatVector.fromArray(F, x, xi + 8), lo);
            FloatVector hi = high16(first).mul(FloatVector.fromArray(F, x, xi + 16));
            hi = high16(second).fma(FloatVector.fromArray(F, x, xi + 24), hi);
            acc = hi.fma(SIXTEENTH, lo).fma(FloatVector.broadcast(F, scale(s, b)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    @Override
    public void dequantize(long offset, float[] dst, int dstOffset, int n) {
        checkBlocks(offset, n);
        MemorySegment s = segment;
        long b = offset / BLOCK * BLOCK_BYTES;
        for (int i = 0; i < n; i += BLOCK, b += BLOCK_BYTES) {
            float d = scale(s, b);
            FloatVector dLo = FloatVector.broadcast(F, d);
            FloatVector dHi = FloatVector.broadcast(F, d / 16); // exact: a power of two
            IntVector first = biased(s, b + QS);
            IntVector second = biased(s, b + QS + 8);
            int at = dstOffset + i;
            low(first).mul(dLo).intoArray(dst, at);
            low(second).mul(dLo).intoArray(dst, at + 8);
            high16(first).mul(dHi).intoArray(dst, at + 16);
            high16(second).mul(dHi).intoArray(dst, at + 24);
        }
    }

    // The nibbles become floats without a conversion instruction: a byte b in the low mantissa
    // bits of 2^23 (bits 0x4B000000) reads as the float 2^23 + b, so masking one nibble and
    // subtracting 2^23 + 8 gives q - 8 exactly. The high nibble is masked in place, giving
    // 16 * (q - 8); its sum is scaled by 1/16 (exact) before the block scale. This runs faster on
    // x86 than widening and converting each nibble (fewer instructions, spread over more ports).

    /** 8 packed bytes at {@code at}, zero-extended to int lanes, with the bits of 2^23 set. */
    private static IntVector biased(MemorySegment s, long at) {
        return ((IntVector) ByteVector.fromMemorySegment(B, s, at, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).or(MAGIC);
    }

    /** q - 8 for the low nibbles. */
    private static FloatVector low(IntVector biased) {
        return biased.and(MASK_LOW).reinterpretAsFloats().sub(BIAS_LOW);
    }

    /** 16 * (q - 8) for the high nibbles. */
    private static FloatVector high16(IntVector biased) {
        return biased.and(MASK_HIGH).reinterpretAsFloats().sub(BIAS_HIGH);
    }

    private static float scale(MemorySegment s, long block) {
        return Float.float16ToFloat(s.get(LE_SHORT, block));
    }

    private static void checkBlocks(long offset, int n) {
        if (((offset | n) & (BLOCK - 1)) != 0) {
            throw new IllegalArgumentException("Q4_0 offset " + offset + " and length " + n + " must be multiples of " + BLOCK);
        }
    }

    @Override
    public void dotRows(int rowStart, int rowEnd, int cols, float[] x, int xOffset, float[] out, int outOffset) {
        for (int r = rowStart; r < rowEnd; r++) {
            out[outOffset + r] = dot((long) r * cols, x, xOffset, cols);
        }
    }
}
