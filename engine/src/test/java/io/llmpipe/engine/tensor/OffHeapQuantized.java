package io.llmpipe.engine.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Test matrices: float values quantized to a type, in 64-byte-aligned off-heap memory as the loader's weights are. */
final class OffHeapQuantized {
    private OffHeapQuantized() {
    }

    static FloatTensor of(Arena arena, GGMLType type, float[] source) {
        byte[] bytes = Quantizer.quantize(type, source);
        MemorySegment segment = arena.allocate(bytes.length, 64);
        MemorySegment.copy(bytes, 0, segment, ValueLayout.JAVA_BYTE, 0, bytes.length);
        return FloatTensor.of(type, segment, source.length);
    }
}
