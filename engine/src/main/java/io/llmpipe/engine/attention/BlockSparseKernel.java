package io.llmpipe.engine.attention;

import io.llmpipe.engine.tensor.Parallel;

/** Runs attention over a {@link BlockSelection}: on the CPU ({@link #CPU}) or on an OpenCL device. */
@FunctionalInterface
public interface BlockSparseKernel {

    /** The Vector API kernel, {@link BlockSparseAttention}. */
    BlockSparseKernel CPU = BlockSparseAttention::attend;

    void attend(AttentionShape shape, float[] q, int qOffset, int n, int startPos, float[] keys, float[] values,
                float[] out, int outOffset, Parallel parallel, BlockSelection selection);
}
