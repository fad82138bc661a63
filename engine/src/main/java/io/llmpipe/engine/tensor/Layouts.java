package io.llmpipe.engine.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Little-endian element access shared by the tensor types. */
final class Layouts {
    static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Layouts() {
    }

    static float f16(MemorySegment s, long byteOffset) {
        return Float.float16ToFloat(s.get(LE_SHORT, byteOffset));
    }

    static byte u8(MemorySegment s, long byteOffset) {
        return s.get(ValueLayout.JAVA_BYTE, byteOffset);
    }

    /** A per-thread float scratch buffer of at least n elements. */
    static float[] scratch(ThreadLocal<float[]> holder, int n) {
        float[] b = holder.get();
        if (b.length < n) {
            b = new float[n];
            holder.set(b);
        }
        return b;
    }

    /**
     * {@code x[from, from + n)} copied into a per-thread native buffer (64-byte aligned). Packed Q4_0's
     * mat-vec reads x from it: C2 checked each of its 16 {@code FloatVector.fromArray} loads a group
     * separately (5 instructions a load, a fifth of the loop), and it checks segment loads much less.
     * (Tried for Q8_0's mat-vec and the batched kernels too: slower there.)
     */
    static MemorySegment nativeCopy(ThreadLocal<MemorySegment> holder, float[] x, int from, int n) {
        MemorySegment b = holder.get();
        if (b.byteSize() < 4L * n) {
            b = Arena.ofAuto().allocate(4L * n, 64);
            holder.set(b);
        }
        MemorySegment.copy(x, from, b, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, n);
        return b;
    }
}
