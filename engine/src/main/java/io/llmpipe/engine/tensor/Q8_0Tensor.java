package io.llmpipe.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * ggml Q8_0: blocks of 32 elements, each an fp16 scale {@code d} then 32 int8 quants; x = d * q.
 * The dot widens 32 quants at a time to 4 float vectors and scales the block's sum once.
 */
public final class Q8_0Tensor extends FloatTensor {
    static final int BLOCK = 32;
    static final int BLOCK_BYTES = 34;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private final MemorySegment segment;
    private final long size;

    Q8_0Tensor(MemorySegment segment, long size) {
        this.segment = segment;
        this.size = size;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public GGMLType type() {
        return GGMLType.Q8_0;
    }

    @Override
    public float getFloat(long index) {
        long bo = index / BLOCK * BLOCK_BYTES;
        return Layouts.f16(segment, bo) * Layouts.u8(segment, bo + 2 + index % BLOCK);
    }

    @Override
    public float dot(long offset, float[] x, int xOffset, int n) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        long bo = offset / BLOCK * BLOCK_BYTES;
        for (int i = 0; i < n; i += BLOCK, bo += BLOCK_BYTES) {
            int xo = xOffset + i;
            // 8 quants at a time widened to float lanes (kept inline: a vector returned from a helper
            // that the JIT declines to inline is boxed)
            FloatVector q0 = (FloatVector) ByteVector.fromMemorySegment(B8, segment, bo + 2, ByteOrder.LITTLE_ENDIAN).castShape(F, 0);
            FloatVector q1 = (FloatVector) ByteVector.fromMemorySegment(B8, segment, bo + 10, ByteOrder.LITTLE_ENDIAN).castShape(F, 0);
            FloatVector q2 = (FloatVector) ByteVector.fromMemorySegment(B8, segment, bo + 18, ByteOrder.LITTLE_ENDIAN).castShape(F, 0);
            FloatVector q3 = (FloatVector) ByteVector.fromMemorySegment(B8, segment, bo + 26, ByteOrder.LITTLE_ENDIAN).castShape(F, 0);
            FloatVector s = q0.mul(FloatVector.fromArray(F, x, xo));
            FloatVector t = q1.mul(FloatVector.fromArray(F, x, xo + 8));
            s = q2.fma(FloatVector.fromArray(F, x, xo + 16), s);
            t = q3.fma(FloatVector.fromArray(F, x, xo + 24), t);
            FloatVector dv = FloatVector.broadcast(F, Layouts.f16(segment, bo));
            acc0 = s.fma(dv, acc0);
            acc1 = t.fma(dv, acc1);
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    @Override
    public void dequantize(long offset, float[] dst, int dstOffset, int n) {
        long bo = offset / BLOCK * BLOCK_BYTES;
        for (int i = 0; i < n; i += BLOCK, bo += BLOCK_BYTES) {
            FloatVector dv = FloatVector.broadcast(F, Layouts.f16(segment, bo));
            for (int p = 0; p < 4; p++) {
                ((FloatVector) ByteVector.fromMemorySegment(B8, segment, bo + 2 + 8L * p, ByteOrder.LITTLE_ENDIAN).castShape(F, 0))
                        .mul(dv).intoArray(dst, dstOffset + i + 8 * p);
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
