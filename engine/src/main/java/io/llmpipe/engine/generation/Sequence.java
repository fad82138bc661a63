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
