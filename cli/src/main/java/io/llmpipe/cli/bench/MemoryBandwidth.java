package io.llmpipe.cli.bench;

import io.llmpipe.engine.tensor.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The machine's practical memory-read ceiling: streaming a buffer far larger than the caches with
 * Vector API loads on {@code threads} threads, as decode reads weights. Best of several passes.
 */
public final class MemoryBandwidth {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private MemoryBandwidth() {
    }

    /** Read bandwidth in bytes per second: the best of {@code passes} over a fresh buffer of {@code bytes}. */
    public static double measure(Parallel parallel, long bytes, int passes) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment buf = buffer(arena, bytes);
            double best = 0;
            for (int p = 0; p < passes; p++) {
                best = Math.max(best, pass(parallel, buf));
            }
            return best;
        }
    }

    /** A buffer for {@link #pass}, every page touched. */
    public static MemorySegment buffer(Arena arena, long bytes) {
        MemorySegment buf = arena.allocate(bytes, 64);
        for (long i = 0; i < bytes; i += 4096) {
            buf.set(ValueLayout.JAVA_BYTE, i, (byte) 1); // touch every page
        }
        return buf;
    }

    /** One read of all of {@code buf} (whole MiB) on every thread of {@code parallel}: bytes per second. */
    public static double pass(Parallel parallel, MemorySegment buf) {
        int blocks = (int) (buf.byteSize() / (1 << 20));
        float[] sink = new float[1];
        long t0 = System.nanoTime();
        parallel.forChunks(blocks, 1, (start, end) -> {
            FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
            int step = F.vectorByteSize();
            for (int b = start; b < end; b++) {
                long base = (long) b << 20;
                for (long o = 0; o < 1 << 20; o += 4L * step) {
                    a0 = a0.add(FloatVector.fromMemorySegment(F, buf, base + o, ByteOrder.LITTLE_ENDIAN));
                    a1 = a1.add(FloatVector.fromMemorySegment(F, buf, base + o + step, ByteOrder.LITTLE_ENDIAN));
                    a2 = a2.add(FloatVector.fromMemorySegment(F, buf, base + o + 2L * step, ByteOrder.LITTLE_ENDIAN));
                    a3 = a3.add(FloatVector.fromMemorySegment(F, buf, base + o + 3L * step, ByteOrder.LITTLE_ENDIAN));
                }
            }
            float s = a0.add(a1).add(a2).add(a3).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
            synchronized (sink) {
                sink[0] += s;
            }
        });
        long t1 = System.nanoTime();
        if (sink[0] == 42f) {
            System.getProperties().put("llmpipe.sink", sink[0]); // keeps the loads alive
        }
        return (double) blocks * (1 << 20) / ((t1 - t0) / 1e9);
    }
}
