package io.llmpipe.engine.tensor;

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
}
