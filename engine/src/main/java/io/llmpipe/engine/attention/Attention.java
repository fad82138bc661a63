package io.llmpipe.engine.attention;

import io.llmpipe.engine.tensor.Parallel;

/**
 * Causal self-attention of a run of consecutive query positions over a sequence's keys and values.
 * Prefill modes (dense, sparse) and KV-cache codecs plug in behind this interface.
 *
 * <p>Query row {@code i} (at {@code q[qOffset + i * queryDim]}) sits at position {@code startPos + i}
 * and attends to key/value rows {@code 0 .. startPos + i} of {@code keys}/{@code values}
 * ({@code [position][kvDim]}). Output row {@code i} goes to {@code out[outOffset + i * queryDim]}.
 *
 * <p>Implementations are stateless or thread-confined per call; one call may use all threads of
 * {@code parallel}.
 */
public interface Attention {

    void attend(AttentionShape shape, float[] q, int qOffset, int n, int startPos,
                float[] keys, float[] values, float[] out, int outOffset, Parallel parallel);
}
