package io.llmpipe.engine.attention.opencl;

import static org.lwjgl.opencl.CL10.*;

import io.llmpipe.engine.attention.AttentionShape;
import io.llmpipe.engine.attention.BlockSelection;
import io.llmpipe.engine.attention.ChunkBoundaries;
import io.llmpipe.engine.attention.DhsaAttention;
import java.nio.IntBuffer;
import java.util.ArrayList;
import java.util.List;
import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;

/**
 * {@link io.llmpipe.engine.attention.BlockSparseAttention} on an OpenCL device: the same selection,
 * the same result within float rounding. Work-groups and local-memory tiles are sized from the
 * device's limits ({@code block_sparse_attention.cl}).
 */
public final class OpenClBlockSparseAttention implements io.llmpipe.engine.attention.BlockSparseKernel {
    private static final String SOURCE = "/io/llmpipe/engine/attention/opencl/block_sparse_attention.cl";
    private static final String DHSA_SOURCE = "/io/llmpipe/engine/attention/opencl/dhsa_selection.cl";
    static final int MAX_HEAD_SIZE = 256;

    static final int MAX_TILE = 64;

    private final OpenClDevice device;
    private final int maxEstimateTile;

    public OpenClBlockSparseAttention(OpenClDevice device) {
        this(device, 64);
    }

    /** With the estimate's key tiles capped at {@code maxEstimateTile} (tests: the sizes a smaller local memory gives). */
    OpenClBlockSparseAttention(OpenClDevice device, int maxEstimateTile) {
        this.device = device;
        this.maxEstimateTile = maxEstimateTile;
    }

    /** Query rows per work-group: a query block's worth, at most 128 and what the device allows. */
    int workGroupRows(int blockSize) {
        return (int) Math.max(1, Math.min(Math.min(blockSize, 128), device.maxWorkGroupSize()));
    }

    /** Keys per local-memory tile: up to 64, key and value tiles within half the device's local memory. */
    int tileKeys(int headSize) {
        long fit = device.localMemSize() / 2 / (2L * headSize * Float.BYTES);
        return (int) Math.max(1, Math.min(MAX_TILE, fit));
    }

    @Override
    public void attend(AttentionShape shape, float[] q, int qOffset, int n, int startPos, float[] keys, float[] values,
                       float[] out, int outOffset, io.llmpipe.engine.tensor.Parallel parallel, BlockSelection selection) {
        attend(shape, q, qOffset, n, startPos, keys, values, out, outOffset, selection);
    }

    /**
     * Keys per work-group of the estimate: up to 64 (the kernel's private score row), the transposed key tile and
     * the rows' probability tile within the device's local memory.
     */
    int estimateTile(int headSize, int rows) {
        long fit = device.localMemSize() / ((long) (headSize + rows) * Float.BYTES);
        return (int) Math.max(1, Math.min(maxEstimateTile, fit));
    }

    /** FlexPrefill's last-block estimate for every head on the device: four kernels over key tiles, one read back. */
    @Override
    public boolean lastBlockMass(AttentionShape shape, float[] q, int qOffset, int n, int startPos, float[] keys,
                                 int rows, double[][] vertical, double[][] slash) {
        int positions = startPos + n;
        int heads = shape.heads();
        int qDim = shape.queryDim();
        float[] qLast = java.util.Arrays.copyOfRange(q, qOffset + (n - rows) * qDim, qOffset + n * qDim);
        float[] keyRows = java.util.Arrays.copyOf(keys, positions * shape.kvDim());
        float[] verticalOut = new float[heads * positions];
        float[] slashOut = new float[heads * positions];
        try (Resources r = new Resources(device);
             MemoryStack stack = MemoryStack.stackPush()) {
            long qBuf = r.buffer(qLast);
            long keyBuf = r.buffer(keyRows);
            float scale = (float) (1.0 / Math.sqrt(shape.headSize()));
            int lastPos0 = positions - rows;
            int hs = shape.headSize();
            int tile = estimateTile(hs, rows);
            int tiles = (positions + tile - 1) / tile;
            int diagonals = rows + tile - 1;
            long tileStats = r.buffer((long) heads * tiles * rows * 2 * Float.BYTES);
            long stats = r.buffer((long) heads * rows * 2 * Float.BYTES);
            long verticalBuf = r.buffer((long) verticalOut.length * Float.BYTES);
            long partialSlash = r.buffer((long) heads * tiles * diagonals * Float.BYTES);
            long slashBuf = r.buffer((long) slashOut.length * Float.BYTES);
            LocalBytes keyTile = new LocalBytes((long) hs * tile * Float.BYTES);
            LocalBytes scoreTile = new LocalBytes((long) rows * tile * Float.BYTES);
            long tileStatsKernel = r.kernel(SOURCE, "last_block_tile_stats", qBuf, keyBuf, tileStats, heads, shape.kvHeads(),
                    hs, rows, lastPos0, positions, tile, scale, keyTile);
            long rowStatsKernel = r.kernel(SOURCE, "last_block_row_stats", tileStats, stats, rows, tiles);
            long massKernel = r.kernel(SOURCE, "last_block_tile_mass", qBuf, keyBuf, stats, verticalBuf, partialSlash, heads,
                    shape.kvHeads(), hs, rows, lastPos0, positions, tile, scale, keyTile, scoreTile);
            long slashKernel = r.kernel(SOURCE, "last_block_slash_sum", partialSlash, slashBuf, rows, lastPos0, positions, tile, tiles);
            long local = Math.min(64, device.maxWorkGroupSize());
            long group = Math.min(rows, device.maxWorkGroupSize()); // a work-item per query row
            synchronized (device) {
                r.run(tileStatsKernel, "last_block_tile_stats", stack, tiles * group, heads, 0, group, 1, 0);
                r.run(rowStatsKernel, "last_block_row_stats", stack, roundUp(rows, local), heads, 0, local, 1, 0);
                r.run(massKernel, "last_block_tile_mass", stack, tiles * group, heads, 0, group, 1, 0);
                r.run(slashKernel, "last_block_slash_sum", stack, roundUp(positions, local), heads, 0, local, 1, 0);
                OpenClDevice.check(clEnqueueReadBuffer(device.queue(), verticalBuf, true, 0, verticalOut, null, null), "clEnqueueReadBuffer");
                OpenClDevice.check(clEnqueueReadBuffer(device.queue(), slashBuf, true, 0, slashOut, null, null), "clEnqueueReadBuffer");
            }
        }
        for (int h = 0; h < heads; h++) {
            vertical[h] = new double[positions];
            slash[h] = new double[positions];
            for (int k = 0; k < positions; k++) {
                vertical[h][k] = verticalOut[h * positions + k];
                slash[h][k] = slashOut[h * positions + k];
            }
        }
        return true;
    }

    @Override
    public long attendDhsa(AttentionShape shape, float[] q, int qOffset, int n, int startPos, float[] keys, float[] values,
                           float[] out, int outOffset, DhsaAttention.Parameters params, ChunkBoundaries.SimilarityDrops rule) {
        return dhsa(shape, q, qOffset, n, startPos, keys, values, out, outOffset, params, rule, null);
    }

    /**
     * DHSA's selection as the device makes it, read back: what {@link #attendDhsa} runs without reading it.
     * Empty when the device cannot hold a query block's scores in local memory (the host then selects).
     */
    public java.util.Optional<BlockSelection> selectDhsa(AttentionShape shape, float[] q, int qOffset, int n, int startPos,
                                                         float[] keys, DhsaAttention.Parameters params,
                                                         ChunkBoundaries.SimilarityDrops rule) {
        int queryBlocks = (startPos + n - 1) / params.queryBlock() - startPos / params.queryBlock() + 1;
        BlockSelection selection = new BlockSelection(params.queryBlock(), params.keyBlock(), shape.heads(),
                startPos / params.queryBlock(), queryBlocks);
        return dhsa(shape, q, qOffset, n, startPos, keys, null, null, 0, params, rule, selection) < 0
                ? java.util.Optional.empty() : java.util.Optional.of(selection);
    }

    /** Work-items of the selection kernels' work-groups (each loops over its share of positions or blocks). */
    private int selectionGroup() {
        return (int) Math.min(64, device.maxWorkGroupSize());
    }

    /**
     * Selection kernels (dhsa_selection.cl), then the block-sparse kernel over the block lists they wrote,
     * one queue, one read of the output. {@code values == null}: selection only, read into {@code readBack}.
     * Returns the (query block, key block) pairs selected, -1 when a list's scores exceed local memory.
     */
    private long dhsa(AttentionShape shape, float[] q, int qOffset, int n, int startPos, float[] keys, float[] values,
                      float[] out, int outOffset, DhsaAttention.Parameters params, ChunkBoundaries.SimilarityDrops rule,
                      BlockSelection readBack) {
        if (shape.headSize() > MAX_HEAD_SIZE) {
            return -1;
        }
        int positions = startPos + n;
        int heads = shape.heads();
        int kvHeads = shape.kvHeads();
        int hs = shape.headSize();
        int firstQb = startPos / params.queryBlock();
        int queryBlocks = (positions - 1) / params.queryBlock() - firstQb + 1;
        int topK = DhsaAttention.topK(params);
        int maxChunks = Math.max(1, positions / params.averageChunk());
        // list lengths follow from the positions alone: the host sizes them, the device fills them
        int[] offsets = new int[heads * queryBlocks + 1];
        int maxCandidates = 0;
        for (int h = 0, o = 0; h < heads; h++) {
            for (int b = 0; b < queryBlocks; b++) {
                var plan = DhsaAttention.QueryBlockPlan.of(params, firstQb + b, startPos, positions);
                offsets[h * queryBlocks + b] = o;
                o += plan.kept(topK);
                offsets[h * queryBlocks + b + 1] = o;
                maxCandidates = Math.max(maxCandidates, plan.candidates());
            }
        }
        int group = selectionGroup();
        long localBytes = ((long) Math.max(1, maxCandidates) + maxChunks + group + 1L) * Integer.BYTES;
        if (localBytes > device.localMemSize()) {
            return -1;
        }
        int total = offsets[heads * queryBlocks];
        float[] result = values == null ? null : new float[n * shape.queryDim()];
        try (Resources r = new Resources(device);
             MemoryStack stack = MemoryStack.stackPush()) {
            long qBuf = r.buffer(java.util.Arrays.copyOfRange(q, qOffset, qOffset + n * shape.queryDim()));
            long keyBuf = r.buffer(java.util.Arrays.copyOf(keys, positions * shape.kvDim()));
            long score = r.buffer((long) kvHeads * positions * Float.BYTES);
            long candKeys = r.buffer((long) kvHeads * positions * Integer.BYTES);
            long starts = r.buffer((long) kvHeads * maxChunks * Integer.BYTES);
            long chunkCount = r.buffer((long) kvHeads * Integer.BYTES);
            long repr = r.buffer((long) kvHeads * maxChunks * hs * Float.BYTES);
            long qRepr = r.buffer((long) heads * queryBlocks * hs * Float.BYTES);
            long offsetBuf = r.buffer(offsets);
            long blocks = r.buffer((long) Math.max(1, total) * Integer.BYTES);

            long scores = r.kernel(DHSA_SOURCE, "dhsa_boundary_scores", keyBuf, score, positions, kvHeads, hs, rule.window());
            long cuts = r.kernel(DHSA_SOURCE, "dhsa_cuts", score, candKeys, starts, chunkCount, positions, rule.suppression(),
                    maxChunks, new LocalBytes((group + 1L) * Integer.BYTES));
            long chunkRepr = r.kernel(DHSA_SOURCE, "dhsa_chunk_repr", keyBuf, starts, chunkCount, repr, positions, kvHeads, hs, maxChunks);
            long queryRepr = r.kernel(DHSA_SOURCE, "dhsa_query_repr", qBuf, qRepr, n, startPos, heads, hs, params.queryBlock(),
                    firstQb, queryBlocks);
            long select = r.kernel(DHSA_SOURCE, "dhsa_select_blocks", qRepr, repr, starts, chunkCount, offsetBuf, blocks,
                    n, startPos, heads, kvHeads, hs, params.queryBlock(), params.keyBlock(), firstQb, queryBlocks, maxChunks,
                    params.recent(), topK, new LocalBytes((long) Math.max(1, maxCandidates) * Integer.BYTES),
                    new LocalBytes((long) maxChunks * Float.BYTES), new LocalBytes((group + 1L) * Integer.BYTES));
            long attention = 0;
            long outBuf = 0;
            if (values != null) {
                long valueBuf = r.buffer(java.util.Arrays.copyOf(values, positions * shape.kvDim()));
                outBuf = r.buffer((long) result.length * Float.BYTES);
                attention = attentionKernel(r, shape, qBuf, keyBuf, valueBuf, offsetBuf, blocks, outBuf, n, startPos,
                        params.queryBlock(), params.keyBlock(), firstQb, queryBlocks);
            }
            int[] lists = readBack == null ? null : new int[Math.max(1, total)];
            synchronized (device) {
                r.run(scores, "dhsa_boundary_scores", stack, roundUp(positions, group), kvHeads, 0, group, 1, 0);
                r.run(cuts, "dhsa_cuts", stack, group, kvHeads, 0, group, 1, 0);
                r.run(chunkRepr, "dhsa_chunk_repr", stack, hs, maxChunks, kvHeads, 0, 0, 0);
                r.run(queryRepr, "dhsa_query_repr", stack, hs, queryBlocks, heads, 0, 0, 0);
                r.run(select, "dhsa_select_blocks", stack, (long) group * queryBlocks, heads, 0, group, 1, 0);
                if (values != null) {
                    int groupRows = workGroupRows(params.queryBlock());
                    int parts = (params.queryBlock() + groupRows - 1) / groupRows;
                    r.run(attention, "block_sparse_attention", stack, (long) queryBlocks * parts * groupRows, heads, 0, groupRows, 1, 0);
                    OpenClDevice.check(clEnqueueReadBuffer(device.queue(), outBuf, true, 0, result, null, null), "clEnqueueReadBuffer(out)");
                }
                if (lists != null) {
                    OpenClDevice.check(clEnqueueReadBuffer(device.queue(), blocks, true, 0, lists, null, null), "clEnqueueReadBuffer(blocks)");
                }
            }
            if (lists != null) {
                for (int h = 0; h < heads; h++) {
                    for (int b = 0; b < queryBlocks; b++) {
                        readBack.set(h, firstQb + b, java.util.Arrays.copyOfRange(lists,
                                offsets[h * queryBlocks + b], offsets[h * queryBlocks + b + 1]));
                    }
                }
            }
        }
        if (result != null) {
            System.arraycopy(result, 0, out, outOffset, result.length);
        }
        return total;
    }

    /** block_sparse_attention with its arguments set; the caller enqueues it. */
    private long attentionKernel(Resources r, AttentionShape shape, long qBuf, long keyBuf, long valueBuf, long offsets,
                                 long blocks, long outBuf, int n, int startPos, int blockSize, int keyBlockSize,
                                 int firstQb, int queryBlocks) {
        int tileKeys = tileKeys(shape.headSize());
        long tileBytes = (long) tileKeys * shape.headSize() * Float.BYTES;
        return r.kernel(SOURCE, "block_sparse_attention", qBuf, keyBuf, valueBuf, offsets, blocks, outBuf, n, startPos,
                shape.heads(), shape.kvHeads(), shape.headSize(), blockSize, keyBlockSize, firstQb, queryBlocks,
                (float) (1.0 / Math.sqrt(shape.headSize())), tileKeys, new LocalBytes(tileBytes), new LocalBytes(tileBytes));
    }

    /** A kernel argument of local memory: its size in bytes. */
    private record LocalBytes(long bytes) {
    }

    /** Buffers and kernels of one call, released together; arguments set by type (buffer handles are {@code Long}). */
    private static final class Resources implements AutoCloseable {
        private final OpenClDevice device;
        private final List<Long> buffers = new ArrayList<>();
        private final List<Long> kernels = new ArrayList<>();

        Resources(OpenClDevice device) {
            this.device = device;
        }

        long buffer(float[] in) {
            int[] e = new int[1];
            return track(clCreateBuffer(device.context(), CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, in, e), e[0], "clCreateBuffer");
        }

        long buffer(int[] in) {
            int[] e = new int[1];
            return track(clCreateBuffer(device.context(), CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, in, e), e[0], "clCreateBuffer");
        }

        long buffer(long bytes) {
            try (MemoryStack stack = MemoryStack.stackPush()) {
                IntBuffer e = stack.mallocInt(1);
                long b = clCreateBuffer(device.context(), CL_MEM_READ_WRITE, bytes, e);
                return track(b, e.get(0), "clCreateBuffer(" + bytes + " bytes)");
            }
        }

        /** A created buffer, released with the others; fails on an error code. */
        private long track(long buffer, int code, String what) {
            OpenClDevice.check(code, what);
            buffers.add(buffer);
            return buffer;
        }

        long kernel(String source, String name, Object... args) {
            long k = device.kernel(source, name);
            kernels.add(k);
            for (int i = 0; i < args.length; i++) {
                int code = switch (args[i]) {
                    case Long buffer -> clSetKernelArg1p(k, i, buffer);
                    case Integer v -> clSetKernelArg1i(k, i, v);
                    case Float v -> clSetKernelArg1f(k, i, v);
                    case LocalBytes l -> clSetKernelArg(k, i, l.bytes());
                    default -> throw new IllegalArgumentException("kernel argument " + args[i]);
                };
                OpenClDevice.check(code, "clSetKernelArg(" + name + ", " + i + ")");
            }
            return k;
        }

        /** Enqueues over global (g0, g1[, g2]) with local (l0, l1[, l2]); a local size of 0 leaves it to the driver. */
        void run(long kernel, String name, MemoryStack stack, long g0, long g1, long g2, long l0, long l1, long l2) {
            int dims = g2 > 0 ? 3 : 2;
            PointerBuffer global = stack.mallocPointer(dims).put(0, g0).put(1, g1);
            PointerBuffer local = l0 > 0 ? stack.mallocPointer(dims).put(0, l0).put(1, l1) : null;
            if (dims == 3) {
                global.put(2, g2);
                if (local != null) {
                    local.put(2, l2);
                }
            }
            OpenClDevice.check(clEnqueueNDRangeKernel(device.queue(), kernel, dims, null, global, local, null, null),
                    "clEnqueueNDRangeKernel(" + name + ")");
        }

        @Override
        public void close() {
            kernels.forEach(k -> clReleaseKernel(k));
            buffers.forEach(b -> clReleaseMemObject(b));
        }
    }

    private static long roundUp(long x, long m) {
        return (x + m - 1) / m * m;
    }

    /** As {@code BlockSparseAttention.attend}, on the device. */
    public void attend(AttentionShape shape, float[] q, int qOffset, int n, int startPos, float[] keys, float[] values,
                       float[] out, int outOffset, BlockSelection selection) {
        if (shape.headSize() > MAX_HEAD_SIZE) {
            throw new IllegalArgumentException("head size " + shape.headSize() + " exceeds the kernel's " + MAX_HEAD_SIZE);
        }
        int positions = startPos + n;
        int qDim = shape.queryDim();
        int kvDim = shape.kvDim();
        int heads = shape.heads();
        int qBlocks = selection.queryBlocks();
        int[] offsets = new int[heads * qBlocks + 1];
        int total = 0;
        for (int h = 0; h < heads; h++) {
            for (int b = 0; b < qBlocks; b++) {
                offsets[h * qBlocks + b] = total;
                total += selection.keyBlocks(h, selection.firstQueryBlock() + b).length;
            }
        }
        offsets[heads * qBlocks] = total;
        int[] blocks = new int[Math.max(1, total)];
        for (int h = 0, o = 0; h < heads; h++) {
            for (int b = 0; b < qBlocks; b++) {
                for (int kb : selection.keyBlocks(h, selection.firstQueryBlock() + b)) {
                    blocks[o++] = kb;
                }
            }
        }
        float[] result = new float[n * qDim];
        try (Resources r = new Resources(device);
             MemoryStack stack = MemoryStack.stackPush()) {
            long qBuf = r.buffer(java.util.Arrays.copyOfRange(q, qOffset, qOffset + n * qDim));
            long keyBuf = r.buffer(java.util.Arrays.copyOf(keys, positions * kvDim));
            long valueBuf = r.buffer(java.util.Arrays.copyOf(values, positions * kvDim));
            long outBuf = r.buffer((long) result.length * Float.BYTES);
            long kernel = attentionKernel(r, shape, qBuf, keyBuf, valueBuf, r.buffer(offsets), r.buffer(blocks), outBuf,
                    n, startPos, selection.blockSize(), selection.keyBlockSize(), selection.firstQueryBlock(), qBlocks);
            int groupRows = workGroupRows(selection.blockSize());
            int parts = (selection.blockSize() + groupRows - 1) / groupRows;
            synchronized (device) {
                r.run(kernel, "block_sparse_attention", stack, (long) qBlocks * parts * groupRows, heads, 0, groupRows, 1, 0);
                OpenClDevice.check(clEnqueueReadBuffer(device.queue(), outBuf, true, 0, result, null, null), "clEnqueueReadBuffer");
            }
        }
        System.arraycopy(result, 0, out, outOffset, result.length);
    }
}
