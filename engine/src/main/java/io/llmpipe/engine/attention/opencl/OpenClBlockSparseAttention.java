package io.llmpipe.engine.attention.opencl;

import static org.lwjgl.opencl.CL10.*;

import io.llmpipe.engine.attention.AttentionShape;
import io.llmpipe.engine.attention.BlockSelection;
import java.nio.IntBuffer;
import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;

/**
 * {@link io.llmpipe.engine.attention.BlockSparseAttention} on an OpenCL device: the same selection,
 * the same result within float rounding. Work-groups and local-memory tiles are sized from the
 * device's limits ({@code block_sparse_attention.cl}).
 */
public final class OpenClBlockSparseAttention implements io.llmpipe.engine.attention.BlockSparseKernel {
    private static final String SOURCE = "/io/llmpipe/engine/attention/opencl/block_sparse_attention.cl";
    static final int MAX_HEAD_SIZE = 256;

    static final int MAX_TILE = 64;

    private final OpenClDevice device;

    public OpenClBlockSparseAttention(OpenClDevice device) {
        this.device = device;
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

    /** FlexPrefill's last-block estimate for every head on the device: three kernels, one read back. */
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
        long ctx = device.context();
        long[] buffers = new long[5];
        long[] kernels = new long[3];
        try (MemoryStack stack = MemoryStack.stackPush()) {
            int[] e = new int[1];
            long in = CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR;
            buffers[0] = clCreateBuffer(ctx, in, qLast, e);
            OpenClDevice.check(e[0], "clCreateBuffer(q_last)");
            buffers[1] = clCreateBuffer(ctx, in, keyRows, e);
            OpenClDevice.check(e[0], "clCreateBuffer(keys)");
            IntBuffer err = stack.mallocInt(1);
            buffers[2] = clCreateBuffer(ctx, CL_MEM_READ_WRITE, (long) heads * rows * 2 * Float.BYTES, err);
            OpenClDevice.check(err.get(0), "clCreateBuffer(stats)");
            buffers[3] = clCreateBuffer(ctx, CL_MEM_WRITE_ONLY, (long) verticalOut.length * Float.BYTES, err);
            OpenClDevice.check(err.get(0), "clCreateBuffer(vertical)");
            buffers[4] = clCreateBuffer(ctx, CL_MEM_WRITE_ONLY, (long) slashOut.length * Float.BYTES, err);
            OpenClDevice.check(err.get(0), "clCreateBuffer(slash)");
            float scale = (float) (1.0 / Math.sqrt(shape.headSize()));
            int lastPos0 = positions - rows;
            kernels[0] = device.kernel(SOURCE, "last_block_stats");
            clSetKernelArg1p(kernels[0], 0, buffers[0]);
            clSetKernelArg1p(kernels[0], 1, buffers[1]);
            clSetKernelArg1p(kernels[0], 2, buffers[2]);
            clSetKernelArg1i(kernels[0], 3, heads);
            clSetKernelArg1i(kernels[0], 4, shape.kvHeads());
            clSetKernelArg1i(kernels[0], 5, shape.headSize());
            clSetKernelArg1i(kernels[0], 6, rows);
            clSetKernelArg1i(kernels[0], 7, lastPos0);
            clSetKernelArg1f(kernels[0], 8, scale);
            kernels[1] = device.kernel(SOURCE, "last_block_vertical");
            kernels[2] = device.kernel(SOURCE, "last_block_slash");
            for (int k = 1; k <= 2; k++) {
                clSetKernelArg1p(kernels[k], 0, buffers[0]);
                clSetKernelArg1p(kernels[k], 1, buffers[1]);
                clSetKernelArg1p(kernels[k], 2, buffers[2]);
                clSetKernelArg1p(kernels[k], 3, buffers[2 + k]);
                clSetKernelArg1i(kernels[k], 4, heads);
                clSetKernelArg1i(kernels[k], 5, shape.kvHeads());
                clSetKernelArg1i(kernels[k], 6, shape.headSize());
                clSetKernelArg1i(kernels[k], 7, rows);
                clSetKernelArg1i(kernels[k], 8, lastPos0);
                clSetKernelArg1i(kernels[k], 9, positions);
                clSetKernelArg1f(kernels[k], 10, scale);
            }
            long local = Math.min(64, device.maxWorkGroupSize());
            PointerBuffer statsSize = stack.mallocPointer(2).put(0, roundUp(rows, local)).put(1, heads);
            PointerBuffer keySize = stack.mallocPointer(2).put(0, roundUp(positions, local)).put(1, heads);
            PointerBuffer localSize = stack.mallocPointer(2).put(0, local).put(1, 1);
            synchronized (device) {
                OpenClDevice.check(clEnqueueNDRangeKernel(device.queue(), kernels[0], 2, null, statsSize, localSize, null, null),
                        "clEnqueueNDRangeKernel(last_block_stats)");
                for (int k = 1; k <= 2; k++) {
                    OpenClDevice.check(clEnqueueNDRangeKernel(device.queue(), kernels[k], 2, null, keySize, localSize, null, null),
                            "clEnqueueNDRangeKernel(last_block_" + (k == 1 ? "vertical" : "slash") + ")");
                }
                OpenClDevice.check(clEnqueueReadBuffer(device.queue(), buffers[3], true, 0, verticalOut, null, null), "clEnqueueReadBuffer");
                OpenClDevice.check(clEnqueueReadBuffer(device.queue(), buffers[4], true, 0, slashOut, null, null), "clEnqueueReadBuffer");
            }
        } finally {
            for (long k : kernels) {
                if (k != 0) {
                    clReleaseKernel(k);
                }
            }
            for (long b : buffers) {
                if (b != 0) {
                    clReleaseMemObject(b);
                }
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
        float[] qRows = java.util.Arrays.copyOfRange(q, qOffset, qOffset + n * qDim);
        float[] keyRows = java.util.Arrays.copyOf(keys, positions * kvDim);
        float[] valueRows = java.util.Arrays.copyOf(values, positions * kvDim);
        float[] result = new float[n * qDim];
        long ctx = device.context();
        long[] buffers = new long[6];
        long kernel = 0;
        try (MemoryStack stack = MemoryStack.stackPush()) {
            IntBuffer err = stack.mallocInt(1);
            int[] e = new int[1];
            long in = CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR;
            buffers[0] = clCreateBuffer(ctx, in, qRows, e);
            OpenClDevice.check(e[0], "clCreateBuffer(q)");
            buffers[1] = clCreateBuffer(ctx, in, keyRows, e);
            OpenClDevice.check(e[0], "clCreateBuffer(keys)");
            buffers[2] = clCreateBuffer(ctx, in, valueRows, e);
            OpenClDevice.check(e[0], "clCreateBuffer(values)");
            buffers[3] = clCreateBuffer(ctx, in, offsets, e);
            OpenClDevice.check(e[0], "clCreateBuffer(offsets)");
            buffers[4] = clCreateBuffer(ctx, in, blocks, e);
            OpenClDevice.check(e[0], "clCreateBuffer(blocks)");
            buffers[5] = clCreateBuffer(ctx, CL_MEM_WRITE_ONLY, (long) result.length * Float.BYTES, err);
            OpenClDevice.check(err.get(0), "clCreateBuffer(out)");
            kernel = device.kernel(SOURCE, "block_sparse_attention");
            for (int a = 0; a < 6; a++) {
                clSetKernelArg1p(kernel, a, buffers[a]);
            }
            clSetKernelArg1i(kernel, 6, n);
            clSetKernelArg1i(kernel, 7, startPos);
            clSetKernelArg1i(kernel, 8, heads);
            clSetKernelArg1i(kernel, 9, shape.kvHeads());
            clSetKernelArg1i(kernel, 10, shape.headSize());
            clSetKernelArg1i(kernel, 11, selection.blockSize());
            clSetKernelArg1i(kernel, 12, selection.keyBlockSize());
            clSetKernelArg1i(kernel, 13, selection.firstQueryBlock());
            clSetKernelArg1i(kernel, 14, qBlocks);
            clSetKernelArg1f(kernel, 15, (float) (1.0 / Math.sqrt(shape.headSize())));
            int groupRows = workGroupRows(selection.blockSize());
            int tileKeys = tileKeys(shape.headSize());
            clSetKernelArg1i(kernel, 16, tileKeys);
            clSetKernelArg(kernel, 17, (long) tileKeys * shape.headSize() * Float.BYTES);
            clSetKernelArg(kernel, 18, (long) tileKeys * shape.headSize() * Float.BYTES);
            int parts = (selection.blockSize() + groupRows - 1) / groupRows;
            PointerBuffer globalSize = stack.mallocPointer(2).put(0, (long) qBlocks * parts * groupRows).put(1, heads);
            PointerBuffer localSize = stack.mallocPointer(2).put(0, groupRows).put(1, 1);
            synchronized (device) {
                OpenClDevice.check(clEnqueueNDRangeKernel(device.queue(), kernel, 2, null, globalSize, localSize, null, null),
                        "clEnqueueNDRangeKernel(block_sparse_attention)");
                OpenClDevice.check(clEnqueueReadBuffer(device.queue(), buffers[5], true, 0, result, null, null), "clEnqueueReadBuffer");
            }
        } finally {
            if (kernel != 0) {
                clReleaseKernel(kernel);
            }
            for (long b : buffers) {
                if (b != 0) {
                    clReleaseMemObject(b);
                }
            }
        }
        System.arraycopy(result, 0, out, outOffset, result.length);
    }
}
