package io.llmpipe.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class HugePageMemoryTest {

    /** Large enough for the mapping path: zeroed, aligned, writable to the last byte, released with the arena. */
    @Test
    void largeAllocationsAreZeroedAlignedAndWritable() {
        long bytes = (5L << 20) + 12345;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment s = HugePageMemory.allocate(arena, bytes);
            assertEquals(bytes, s.byteSize());
            assertEquals(0, s.address() % 64);
            for (long at = 0; at < bytes; at += 4093) {
                assertEquals(0, s.get(ValueLayout.JAVA_BYTE, at));
            }
            s.set(ValueLayout.JAVA_BYTE, bytes - 1, (byte) 7);
            s.fill((byte) 3);
            assertEquals(3, s.get(ValueLayout.JAVA_BYTE, bytes - 1));
        }
    }

    /** A packed matrix over 2 MiB (its copy comes from the mapping) reads as its file layout. */
    @Test
    void packedMatrixLargerThanAHugePageMatchesItsFileLayout() {
        int rows = 1088, cols = 4096; // 2.5 MB of Q4_0
        float[] source = new float[rows * cols];
        java.util.Random rnd = new java.util.Random(5);
        for (int i = 0; i < source.length; i++) {
            source[i] = (float) rnd.nextGaussian();
        }
        try (Arena arena = Arena.ofShared()) {
            Q4_0Tensor original = (Q4_0Tensor) OffHeapQuantized.of(arena, GGMLType.Q4_0, source);
            TiledQ4_0Tensor packed = TiledQ4_0Tensor.tile(original.segment(), rows, cols, arena, false, 15);
            float[] expected = new float[source.length];
            float[] actual = new float[source.length];
            original.dequantize(0, expected, 0, expected.length);
            packed.dequantize(0, actual, 0, actual.length);
            org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual, 0f);
        }
    }

    /** Small ones come from the arena as before. */
    @Test
    void smallAllocationsWork() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = HugePageMemory.allocate(arena, 1000);
            assertEquals(1000, s.byteSize());
            s.set(ValueLayout.JAVA_INT, 996, 42);
            assertEquals(42, s.get(ValueLayout.JAVA_INT, 996));
        }
    }
}
