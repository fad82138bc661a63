package io.llmpipe.engine.kv;

import io.llmpipe.engine.attention.Attention;
import io.llmpipe.engine.attention.AttentionShape;
import io.llmpipe.engine.tensor.Parallel;

/**
 * The key/value cache of one sequence, per layer. The forward pass {@link #write writes} each new
 * token's key and value rows, then asks the cache to {@link #attend run attention} over what it
 * holds: the cache knows its own storage, so a compressed cache attends over its compressed form
 * directly.
 *
 * <p>Owned by one sequence and used by one thread at a time.
 */
public sealed interface KvCache permits FloatKvCache, KiviKvCache {

    int layers();

    int kvHeads();

    int headSize();

    /** Elements of one key (or value) row: {@code kvHeads * headSize}. */
    default int kvDim() {
        return kvHeads() * headSize();
    }

    /** The most positions this cache may hold (the context length). */
    int maxPositions();

    /** Heap bytes held. */
    long bytes();

    /**
     * Stores the keys and values of positions {@code [startPos, startPos + rows)} of {@code layer}:
     * row {@code i} at {@code offset + i * kvDim} of {@code k} and {@code v}.
     */
    void write(int layer, int startPos, float[] k, float[] v, int offset, int rows);

    /**
     * Attention of {@code rows} query rows at positions {@code startPos ..} over this layer's cache,
     * each row over the positions up to its own (causal). {@code attention} is the mode the caller
     * asked for; a cache that cannot run it over its storage runs exact attention instead.
     */
    void attend(int layer, AttentionShape shape, Attention attention, float[] q, int qOffset, int rows, int startPos,
                float[] out, int outOffset, Parallel parallel);
}
