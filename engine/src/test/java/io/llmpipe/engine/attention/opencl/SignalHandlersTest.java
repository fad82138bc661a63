package io.llmpipe.engine.attention.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.llmpipe.engine.attention.AttentionShape;
import io.llmpipe.engine.attention.ChunkBoundaries;
import io.llmpipe.engine.attention.DhsaAttention;
import io.llmpipe.engine.tensor.Parallel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The JVM keeps its crash-signal handlers while OpenCL is used. PoCL's LLVM replaces them when a device
 * is first opened; its handler is one-shot, so two threads faulting at once (a safepoint) killed test
 * and bench JVMs with a bare "Segmentation fault". This surefire JVM does not preload libjsig, so the
 * test exercises {@link SignalHandlers} itself.
 */
class SignalHandlersTest {
    private static final int SIGHUP = 1, SIGINT = 2, SIGILL = 4, SIGBUS = 7, SIGFPE = 8, SIGSEGV = 11, SIGTERM = 15;
    private static final int[] WATCHED = {SIGHUP, SIGINT, SIGILL, SIGBUS, SIGFPE, SIGSEGV, SIGTERM};

    @Test
    void openingBuildingAndRunningKernelsLeavesTheJvmsHandlersInPlace() throws IOException {
        assumeTrue(SignalHandlers.supported(), "sigaction is only reached on Linux");
        long[] before = handlers();
        Optional<OpenClDevice> opened = OpenClDevice.open(OpenClDevice.Preference.GPU_FIRST);
        if (opened.isEmpty() && System.getenv("CI") != null) {
            throw new IllegalStateException("CI installs PoCL, yet no OpenCL device was found");
        }
        assumeTrue(opened.isPresent(), "no OpenCL device");
        try (OpenClDevice device = opened.get(); Parallel parallel = new Parallel(2)) {
            AttentionShape shape = new AttentionShape(4, 2, 32);
            int n = 512;
            Random random = new Random(3);
            float[] q = OpenClBlockSparseAttentionTest.random(random, n * shape.queryDim());
            float[] k = OpenClBlockSparseAttentionTest.random(random, n * shape.kvDim());
            float[] v = OpenClBlockSparseAttentionTest.random(random, n * shape.kvDim());
            float[] out = new float[n * shape.queryDim()];
            new DhsaAttention(new DhsaAttention.Parameters(64, 16, 32, 128, 32), ChunkBoundaries.similarityDrops(4, 8),
                    new OpenClBlockSparseAttention(device)).attend(shape, q, 0, n, 0, k, v, out, 0, parallel);
            assertEquals(before[5], SignalHandlers.handlerOf(SIGSEGV), "SIGSEGV handler after running kernels");
        }
        long[] after = handlers();
        for (int i = 0; i < WATCHED.length; i++) {
            assertEquals(before[i], after[i], "handler of signal " + WATCHED[i]);
        }
        // meaningful even when another test opened OpenCL earlier in this JVM: the JVM owns SIGSEGV
        assertTrue(inLibjvm(after[5]), "SIGSEGV is handled by libjvm, not 0x" + Long.toHexString(after[5]));
    }

    private static long[] handlers() {
        long[] h = new long[WATCHED.length];
        for (int i = 0; i < WATCHED.length; i++) {
            h[i] = SignalHandlers.handlerOf(WATCHED[i]);
        }
        return h;
    }

    private static boolean inLibjvm(long address) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            String[] fields = line.trim().split("\\s+");
            String[] range = fields[0].split("-");
            long low = Long.parseUnsignedLong(range[0], 16), high = Long.parseUnsignedLong(range[1], 16);
            if (Long.compareUnsigned(address, low) >= 0 && Long.compareUnsigned(address, high) < 0) {
                return fields.length > 5 && fields[5].endsWith("/libjvm.so");
            }
        }
        return false;
    }
}
