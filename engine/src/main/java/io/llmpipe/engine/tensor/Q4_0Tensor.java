package io.llmpipe.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * ggml Q4_0: blocks of 32 elements, each an fp16 scale {@code d} then 16 bytes; byte j holds element
 * j in its low nibble and element j + 16 in its high nibble; x = d * (q - 8).
 */
public final class Q4_0Tensor extends FloatTensor {
    static final int BLOCK = 32;
    static final int BLOCK_BYTES = 18;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private final MemorySegment segment;
    private final long size;

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
        long bo = index / BLOCK * BLOCK_BYTES;
        int j = (int) (index % BLOCK);
        int b = Byte.toUnsignedInt(Layouts.u8(segment, bo + 2 + (j % 16)));
        int q = j < 16 ? b & 0x0F : b >>> 4;
        return Layouts.f16(segment, bo) * (q - 8);
    }

    @Override
    public float dot(long offset, float[] x, int xOffset, int n) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        long bo = offset / BLOCK * BLOCK_BYTES;
        for (int i = 0; i < n; i += BLOCK, bo += BLOCK_BYTES) {
            int xo = xOffset + i;
            // bytes 0-7 hold elements 0-7 (low nibbles) and 16-23 (high); bytes 8-15 hold 8-15 and 24-31.
            // Widen the bytes to int lanes first: nibble masks on 256-bit int vectors are cheap.
            // (kept inline: a vector returned from a helper that the JIT declines to inline is boxed)
            IntVector p0 = (IntVector) ByteVector.fromMemorySegment(B8, segment, bo + 2, ByteOrder.LITTLE_ENDIAN).castShape(I, 0);
            IntVector p1 = (IntVector) ByteVector.fromMemorySegment(B8, segment, bo + 10, ByteOrder.LITTLE_ENDIAN).castShape(I, 0);
            FloatVector lo0 = (FloatVector) p0.and(0x0F).castShape(F, 0);
            FloatVector lo1 = (FloatVector) p1.and(0x0F).castShape(F, 0);
            FloatVector hi0 = (FloatVector) p0.lanewise(VectorOperators.ASHR, 4).and(0x0F).castShape(F, 0);
            FloatVector hi1 = (FloatVector) p1.lanewise(VectorOperators.ASHR, 4).and(0x0F).castShape(F, 0);
            FloatVector s = lo0.mul(FloatVector.fromArray(F, x, xo));
            FloatVector t = lo1.mul(FloatVector.fromArray(F, x, xo + 8));
            s = hi0.fma(FloatVector.fromArray(F, x, xo + 16), s);
            t = hi1.fma(FloatVector.fromArray(F, x, xo + 24), t);
            // sum (q - 8) x = sum q x - 8 sum x: the offset is folded in once per block
            float d = Layouts.f16(segment, bo);
            acc0 = s.add(t).fma(FloatVector.broadcast(F, d), acc0);
            FloatVector sx = FloatVector.fromArray(F, x, xo).add(FloatVector.fromArray(F, x, xo + 8))
                    .add(FloatVector.fromArray(F, x, xo + 16)).add(FloatVector.fromArray(F, x, xo + 24));
            acc1 = sx.fma(FloatVector.broadcast(F, -8f * d), acc1);
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }





    @Override
    public void dequantize(long offset, float[] dst, int dstOffset, int n) {
        long bo = offset / BLOCK * BLOCK_BYTES;
        for (int i = 0; i < n; i += BLOCK, bo += BLOCK_BYTES) {
            FloatVector dv = FloatVector.broadcast(F, Layouts.f16(segment, bo));
            ByteVector packed = ByteVector.fromMemorySegment(B, segment, bo + 2, ByteOrder.LITTLE_ENDIAN);
            ByteVector lo = packed.and((byte) 0x0F).sub((byte) 8);
            ByteVector hi = packed.lanewise(VectorOperators.LSHR, 4).sub((byte) 8);
            int o = dstOffset + i;
            ((FloatVector) lo.castShape(F, 0)).mul(dv).intoArray(dst, o);
            ((FloatVector) lo.castShape(F, 1)).mul(dv).intoArray(dst, o + 8);
            ((FloatVector) hi.castShape(F, 0)).mul(dv).intoArray(dst, o + 16);
            ((FloatVector) hi.castShape(F, 1)).mul(dv).intoArray(dst, o + 24);
        }
    }

    @Override
    public void dotRows(int rowStart, int rowEnd, int cols, float[] x, int xOffset, float[] out, int outOffset) {
        for (int r = rowStart; r < rowEnd; r++) {
            out[outOffset + r] = dot((long) r * cols, x, xOffset, cols);
        }
    }
}
