package io.llmpipe.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Little-endian float32 elements in a memory segment (GGUF F32 tensors, llama2.c checkpoints). */
public final class F32Tensor extends FloatTensor {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment segment;
    private final long size;

    F32Tensor(MemorySegment segment, long size) {
        this.segment = segment;
        this.size = size;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public GGMLType type() {
        return GGMLType.F32;
    }

    @Override
    public float getFloat(long index) {
        return segment.get(LE_FLOAT, index * Float.BYTES);
    }

    @Override
    public float dot(long offset, float[] x, int xOffset, int n) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int step = F.length();
        int upper = n - n % (2 * step);
        long base = offset * Float.BYTES;
        int i = 0;
        for (; i < upper; i += 2 * step) {
            FloatVector w0 = FloatVector.fromMemorySegment(F, segment, base + (long) i * Float.BYTES, ByteOrder.LITTLE_ENDIAN);
            FloatVector w1 = FloatVector.fromMemorySegment(F, segment, base + (long) (i + step) * Float.BYTES, ByteOrder.LITTLE_ENDIAN);
            acc0 = w0.fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
            acc1 = w1.fma(FloatVector.fromArray(F, x, xOffset + i + step), acc1);
        }
        float result = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            result += segment.get(LE_FLOAT, base + (long) i * Float.BYTES) * x[xOffset + i];
        }
        return result;
    }

    @Override
    public void dequantize(long offset, float[] dst, int dstOffset, int n) {
        MemorySegment.copy(segment, LE_FLOAT, offset * Float.BYTES, dst, dstOffset, n);
    }

    @Override
    public void dotRows(int rowStart, int rowEnd, int cols, float[] x, int xOffset, float[] out, int outOffset) {
        for (int r = rowStart; r < rowEnd; r++) {
            out[outOffset + r] = dot((long) r * cols, x, xOffset, cols);
        }
    }
}
