package io.llmpipe.engine.attention.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.llmpipe.engine.attention.AttentionShape;
import io.llmpipe.engine.attention.BlockSelection;
import io.llmpipe.engine.attention.BlockSparseAttention;
import io.llmpipe.engine.attention.BlockSparseKernel;
import io.llmpipe.engine.attention.ChunkBoundaries;
import io.llmpipe.engine.attention.DhsaAttention;
import io.llmpipe.engine.attention.FlexPrefillAttention;
import io.llmpipe.engine.attention.ReferenceAttention;
import io.llmpipe.engine.tensor.Parallel;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The OpenCL kernel against the CPU kernel and a float64 reference: relative error ≤ 1e-4, for every
 * causal block (dense) and for a FlexPrefill selection. Runs wherever an OpenCL platform exists; in CI
 * (which installs PoCL) a missing platform fails the test instead of skipping it.
 */
class OpenClBlockSparseAttentionTest {
    private static OpenClDevice device;

    @BeforeAll
    static void open() {
        Optional<OpenClDevice> d = OpenClDevice.open(OpenClDevice.Preference.GPU_FIRST);
        if (d.isEmpty() && System.getenv("CI") != null) {
            throw new IllegalStateException("CI installs PoCL, yet no OpenCL device was found");
        }
        device = d.orElse(null);
    }

    @AfterAll
    static void close() {
        if (device != null) {
            device.close();
        }
    }

    static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    static double relativeError(float[] a, double[] ref) {
        return io.llmpipe.engine.attention.FlexPrefillAttentionTest.relativeError(a, ref);
    }

    static double relativeError(float[] a, float[] b) {
        return io.llmpipe.engine.attention.FlexPrefillAttentionTest.relativeError(a, b);
    }

    @Test
    void denseOnTheDeviceMatchesTheCpuAndFloat64() {
        assumeTrue(device != null, "no OpenCL platform here");
        AttentionShape shape = new AttentionShape(8, 2, 64);
        Random r = new Random(7);
        int n = 160;
        int start = 96; // a later prefill chunk
        int positions = start + n;
        float[] q = random(r, n * shape.queryDim());
        float[] k = random(r, positions * shape.kvDim());
        float[] v = random(r, positions * shape.kvDim());
        BlockSelection all = BlockSelection.full(32, shape.heads(), start / 32, (positions - 1) / 32 - start / 32 + 1);
        float[] gpu = new float[n * shape.queryDim()];
        float[] cpu = new float[n * shape.queryDim()];
        new OpenClBlockSparseAttention(device).attend(shape, q, 0, n, start, k, v, gpu, 0, all);
        try (Parallel p = new Parallel(2)) {
            BlockSparseAttention.attend(shape, q, 0, n, start, k, v, cpu, 0, p, all);
        }
        double[] ref = ReferenceAttention.attend(shape, q, n, start, k, v);
        double deviceErr = relativeError(gpu, ref);
        double cpuErr = relativeError(cpu, ref);
        double between = relativeError(gpu, cpu);
        System.out.printf("OpenCL (%s) dense: vs float64 %.2e, CPU vs float64 %.2e, OpenCL vs CPU %.2e%n", device.name(), deviceErr, cpuErr, between);
        assertTrue(deviceErr <= 1e-4 && cpuErr <= 1e-4 && between <= 1e-4);
    }

    @Test
    void aFlexPrefillSelectionRunsTheSameOnTheDevice() {
        assumeTrue(device != null, "no OpenCL platform here");
        AttentionShape shape = new AttentionShape(4, 2, 32);
        Random r = new Random(9);
        int n = 1024;
        float[] q = random(r, n * shape.queryDim());
        float[] k = random(r, n * shape.kvDim());
        float[] v = random(r, n * shape.kvDim());
        float[] gpu = new float[n * shape.queryDim()];
        float[] cpu = new float[n * shape.queryDim()];
        try (Parallel p = new Parallel(2)) {
            BlockSelection s = new FlexPrefillAttention(new FlexPrefillAttention.Parameters(64, 0.9, 0.1, 128, 0))
                    .select(shape, q, 0, n, 0, k, p);
            assertTrue(s.density() < 1.0);
            BlockSparseAttention.attend(shape, q, 0, n, 0, k, v, cpu, 0, p, s);
            new OpenClBlockSparseAttention(device).attend(shape, q, 0, n, 0, k, v, gpu, 0, s);
        }
        double between = relativeError(gpu, cpu);
        assertTrue(between <= 1e-4, "OpenCL vs CPU " + between);
    }

    @Test
    void flexPrefillEstimateOnTheDeviceMatchesFloat64() {
        assumeTrue(device != null, "no OpenCL platform here");
        AttentionShape shape = new AttentionShape(4, 2, 64);
        Random r = new Random(13);
        int n = 700;
        int start = 60; // a later chunk: the estimate's rows sit at positions start + n - rows ..
        int positions = start + n;
        int rows = 128;
        float[] q = random(r, n * shape.queryDim());
        float[] k = random(r, positions * shape.kvDim());
        for (int tile : new int[]{64, 24}) { // 24: not a divisor of the rows, as a GPU's smaller local memory may give
            double[][] vertical = new double[shape.heads()][];
            double[][] slash = new double[shape.heads()][];
            assertTrue(new OpenClBlockSparseAttention(device, tile).lastBlockMass(shape, q, 0, n, start, k, rows, vertical, slash));
            for (int h = 0; h < shape.heads(); h++) {
                double[] v = new double[positions];
                double[] d = new double[positions];
                for (int i = n - rows; i < n; i++) {
                    double[] p = ReferenceAttention.probabilities(shape, q, i, start, h, k);
                    for (int key = 0; key < p.length; key++) {
                        v[key] += p[key] / rows;
                        d[start + i - key] += p[key] / rows;
                    }
                }
                double ev = relativeError(toFloat(vertical[h]), v);
                double es = relativeError(toFloat(slash[h]), d);
                assertTrue(ev <= 1e-4 && es <= 1e-4, "tile " + tile + ", head " + h + ": vertical " + ev + ", slash " + es);
            }
        }
    }

    @Test
    void flexPrefillSelectsTheSameWithTheEstimateOnTheDevice() {
        assumeTrue(device != null, "no OpenCL platform here");
        var t = io.llmpipe.engine.attention.FlexPrefillAttentionTest.planted(11);
        AttentionShape shape = io.llmpipe.engine.attention.FlexPrefillAttentionTest.SHAPE;
        int n = io.llmpipe.engine.attention.FlexPrefillAttentionTest.N;
        var params = new FlexPrefillAttention.Parameters(64, 0.9, 0.1, 128, 0);
        try (Parallel p = new Parallel(2)) {
            BlockSelection cpu = new FlexPrefillAttention(params).select(shape, t.q(), 0, n, 0, t.k(), p);
            BlockSelection gpu = new FlexPrefillAttention(params, new OpenClBlockSparseAttention(device))
                    .select(shape, t.q(), 0, n, 0, t.k(), p);
            assertTrue(Math.abs(cpu.density() - gpu.density()) <= 0.01, "density CPU " + cpu.density() + " vs device " + gpu.density());
        }
    }

    /**
     * DHSA's selection made on the device (boundary scores, cuts, chunk and query summaries, per-head top-k)
     * against the host's, on the planted inputs: a whole prompt and a later chunk of it starting mid-block.
     * The lists' lengths follow from the positions, so densities are equal; the blocks themselves may differ
     * only where float rounding reorders near-equal scores (at most 1% of them), and the attention over the
     * device's own selection stays within 1e-4 of the CPU's.
     */
    @Test
    void dhsaSelectsOnTheDeviceAsTheCpuDoes() {
        assumeTrue(device != null, "no OpenCL platform here");
        var t = io.llmpipe.engine.attention.FlexPrefillAttentionTest.planted(11);
        AttentionShape shape = io.llmpipe.engine.attention.FlexPrefillAttentionTest.SHAPE;
        int positions = io.llmpipe.engine.attention.FlexPrefillAttentionTest.N;
        var params = new DhsaAttention.Parameters(64, 32, 32, 512, 64);
        var rule = new ChunkBoundaries.SimilarityDrops(4, 8);
        var kernel = new OpenClBlockSparseAttention(device);
        for (int start : new int[]{0, 1000}) { // 1000: a chunk starting inside a query block
            int n = positions - start;
            int qOffset = start * shape.queryDim();
            BlockSelection cpu;
            float[] onCpu = new float[n * shape.queryDim()];
            float[] onDevice = new float[n * shape.queryDim()];
            DhsaAttention deviceDhsa = new DhsaAttention(params, rule, kernel);
            try (Parallel p = new Parallel(2)) {
                cpu = new DhsaAttention(params, rule, BlockSparseKernel.CPU).select(shape, t.q(), qOffset, n, start, t.k(), p);
                new DhsaAttention(params, rule, BlockSparseKernel.CPU).attend(shape, t.q(), qOffset, n, start, t.k(), t.v(), onCpu, 0, p);
                deviceDhsa.attend(shape, t.q(), qOffset, n, start, t.k(), t.v(), onDevice, 0, p);
            }
            BlockSelection gpu = kernel.selectDhsa(shape, t.q(), qOffset, n, start, t.k(), params, rule).orElseThrow();
            assertTrue(cpu.density() < 0.8, "sparse: " + cpu.density());
            assertEquals(cpu.density(), gpu.density(), 1e-12);
            assertEquals(cpu.density(), deviceDhsa.density(), 1e-12);
            long differing = 0;
            for (int h = 0; h < shape.heads(); h++) {
                for (int qb = cpu.firstQueryBlock(); qb < cpu.firstQueryBlock() + cpu.queryBlocks(); qb++) {
                    var a = java.util.Arrays.stream(cpu.keyBlocks(h, qb)).boxed().collect(java.util.stream.Collectors.toSet());
                    differing += java.util.Arrays.stream(gpu.keyBlocks(h, qb)).filter(b -> !a.contains(b)).count();
                }
            }
            double between = relativeError(onDevice, onCpu);
            System.out.printf("DHSA from position %d: density %.3f, blocks differing %d of %d, OpenCL vs CPU %.2e%n",
                    start, cpu.density(), differing, cpu.selectedPairs(), between);
            assertTrue(differing <= cpu.selectedPairs() / 100, differing + " of " + cpu.selectedPairs() + " blocks differ");
            if (differing == 0) {
                assertTrue(between <= 1e-4, "OpenCL vs CPU " + between);
            }
        }
    }

    private static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            f[i] = (float) a[i];
        }
        return f;
    }
}
