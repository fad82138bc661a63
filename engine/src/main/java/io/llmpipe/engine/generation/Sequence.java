package io.llmpipe.engine.generation;

import io.llmpipe.engine.kv.KvCache;

/**
 * One generation in progress: its KV cache and how many positions it holds. Owned by whoever
 * drives the generation (a request, a decode slot); one thread at a time.
 */
public final class Sequence {
    private final KvCache cache;
    private int length;

    public Sequence(KvCache cache) {
        this.cache = cache;
    }

    /** A sequence whose cache already holds {@code length} positions (a KV handoff). */
    public static Sequence restored(KvCache cache, int length) {
        if (length < 0 || length > cache.maxPositions()) {
            throw new IllegalArgumentException("length " + length + " is outside the cache's " + cache.maxPositions() + " positions");
        }
        Sequence s = new Sequence(cache);
        s.length = length;
        return s;
    }

    public KvCache cache() {
        return cache;
    }

    /** Positions filled, i.e. the position the next token will take. */
    public int length() {
        return length;
    }

    void advance(int tokens) {
        length += tokens;
    }

    /** Room left before the context is full. */
    public int remaining() {
        return cache.maxPositions() - length;
    }
}
