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

    /** 8 quants widened to 8 float lanes: one sign-extending load, one int-to-float conversion. */
    private FloatVector quants(long byteOffset) {
        return (FloatVector) ByteVector.fromMemorySegment(B8, segment, byteOffset, ByteOrder.LITTLE_ENDIAN).castShape(F, 0);
    }

    @Override
    public float dot(long offset, float[] x, int xOffset, int n) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        long bo = offset / BLOCK * BLOCK_BYTES;
        for (int i = 0; i < n; i += BLOCK, bo += BLOCK_BYTES) {
            int xo = xOffset + i;
            FloatVector s = quants(bo + 2).mul(FloatVector.fromArray(F, x, xo));
            FloatVector t = quants(bo + 10).mul(FloatVector.fromArray(F, x, xo + 8));
            s = quants(bo + 18).fma(FloatVector.fromArray(F, x, xo + 16), s);
            t = quants(bo + 26).fma(FloatVector.fromArray(F, x, xo + 24), t);
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
                quants(bo + 2 + 8L * p).mul(dv).intoArray(dst, dstOffset + i + 8 * p);
            }
        }
    }
}
