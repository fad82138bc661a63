package io.llmpipe.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** bfloat16 elements: the upper 16 bits of a float32, widened with a shift (vectorised). */
public final class BF16Tensor extends FloatTensor {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_128;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private final MemorySegment segment;
    private final long size;

    BF16Tensor(MemorySegment segment, long size) {
        this.segment = segment;
        this.size = size;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public GGMLType type() {
        return GGMLType.BF16;
    }

    @Override
    public float getFloat(long index) {
        return Float.intBitsToFloat(segment.get(Layouts.LE_SHORT, index * 2) << 16);
    }

    @Override
    public float dot(long offset, float[] x, int xOffset, int n) {
        FloatVector acc = FloatVector.zero(F);
        int upper = n - n % 8;
        long base = offset * 2;
        int i = 0;
        for (; i < upper; i += 8) {
            // kept inline: a vector returned from a helper that the JIT declines to inline is boxed
            FloatVector w = ((IntVector) ShortVector.fromMemorySegment(S, segment, base + 2L * i, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            acc = w.fma(FloatVector.fromArray(F, x, xOffset + i), acc);
        }
        float r = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            r += getFloat(offset + i) * x[xOffset + i];
        }
        return r;
    }

    @Override
    public void dequantize(long offset, float[] dst, int dstOffset, int n) {
        int upper = n - n % 8;
        long base = offset * 2;
        int i = 0;
        for (; i < upper; i += 8) {
            ((IntVector) ShortVector.fromMemorySegment(S, segment, base + 2L * i, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()
                    .intoArray(dst, dstOffset + i);
        }
        for (; i < n; i++) {
            dst[dstOffset + i] = getFloat(offset + i);
        }
    }

    @Override
    public void dotRows(int rowStart, int rowEnd, int cols, float[] x, int xOffset, float[] out, int outOffset) {
        for (int r = rowStart; r < rowEnd; r++) {
            out[outOffset + r] = dot((long) r * cols, x, xOffset, cols);
        }
    }
}
