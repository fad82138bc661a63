package io.llmpipe.engine.attention;

import io.llmpipe.engine.tensor.Parallel;

/** Runs attention over a {@link BlockSelection}: on the CPU ({@link #CPU}) or on an OpenCL device. */
public interface BlockSparseKernel {

    /** The Vector API kernels: {@link BlockSparseAttention}, and {@link DenseAttention} for dense. */
    BlockSparseKernel CPU = new BlockSparseKernel() {
        @Override
        public void attend(AttentionShape shape, float[] q, int qOffset, int n, int startPos, float[] keys, float[] values,
                           float[] out, int outOffset, Parallel parallel, BlockSelection selection) {
            BlockSparseAttention.attend(shape, q, qOffset, n, startPos, keys, values, out, outOffset, parallel, selection);
        }

        @Override
        public void attendDense(AttentionShape shape, float[] q, int qOffset, int n, int startPos, float[] keys,
                                float[] values, float[] out, int outOffset, Parallel parallel) {
            DenseAttention.INSTANCE.attend(shape, q, qOffset, n, startPos, keys, values, out, outOffset, parallel);
        }

        @Override
        public Attention dense() {
            return DenseAttention.INSTANCE;
        }
    };

    /** Dense attention on this backend, as the {@link Attention} a prompt's forward pass takes. */
    default Attention dense() {
        return this::attendDense;
    }

    void attend(AttentionShape shape, float[] q, int qOffset, int n, int startPos, float[] keys, float[] values,
                float[] out, int outOffset, Parallel parallel, BlockSelection selection);

    /**
     * FlexPrefill's estimate on this backend, every head in one pass: the attention of the call's last
     * {@code rows} query rows, averaged over them, summed per key ({@code vertical[h][k]}) and per
     * diagonal offset ({@code slash[h][pos - k]}), arrays of {@code startPos + n} allocated here.
     * Returns false when the backend leaves it to the CPU (the CPU kernel does, head by head).
     */
    default boolean lastBlockMass(AttentionShape shape, float[] q, int qOffset, int n, int startPos, float[] keys,
                                  int rows, double[][] vertical, double[][] slash) {
        return false;
    }

    /**
     * DHSA ({@link DhsaAttention}) with the selection made on this backend too, for the built-in boundary
     * rule: selection and attention in one pass, the block lists never read back. Returns the (query block,
     * key block) pairs computed, or -1 when the backend leaves the selection to the host (the CPU kernel
     * does: its selection is the host code).
     */
    default long attendDhsa(AttentionShape shape, float[] q, int qOffset, int n, int startPos, float[] keys, float[] values,
                            float[] out, int outOffset, DhsaAttention.Parameters params, ChunkBoundaries.SimilarityDrops rule) {
        return -1;
    }

    /** Dense causal attention on this backend: every causal block of {@link DenseAttention#BLOCK} positions. */
    default void attendDense(AttentionShape shape, float[] q, int qOffset, int n, int startPos, float[] keys,
                             float[] values, float[] out, int outOffset, Parallel parallel) {
        int block = DenseAttention.BLOCK;
        BlockSelection all = BlockSelection.full(block, shape.heads(), startPos / block,
                (startPos + n - 1) / block - startPos / block + 1);
        attend(shape, q, qOffset, n, startPos, keys, values, out, outOffset, parallel, all);
    }
}
