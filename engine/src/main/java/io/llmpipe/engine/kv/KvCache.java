package io.llmpipe.engine.kv;

import java.util.Arrays;

/**
 * Full-precision key/value cache of one sequence: per layer, keys and values as
 * {@code [position][kvHeads * headSize]} float rows. Storage grows on demand (doubling) up to the
 * context length, so a short request does not pay for a long context.
 *
 * <p>Owned by one sequence and used by one thread at a time.
 */
public final class KvCache {
    private static final int INITIAL_POSITIONS = 64;

    private final int layers;
    private final int kvDim;
    private final int maxPositions;
    private final float[][] keys;
    private final float[][] values;
    private int capacity;

    public KvCache(int layers, int kvDim, int maxPositions) {
        this.layers = layers;
        this.kvDim = kvDim;
        this.maxPositions = maxPositions;
        this.keys = new float[layers][0];
        this.values = new float[layers][0];
    }

    public int layers() {
        return layers;
    }

    public int kvDim() {
        return kvDim;
    }

    /** The most positions this cache may hold (the context length). */
    public int maxPositions() {
        return maxPositions;
    }

    /** Makes room for positions {@code [0, positions)}. */
    public void ensureCapacity(int positions) {
        if (positions > maxPositions) {
            throw new IllegalArgumentException("position " + (positions - 1) + " is beyond the context length " + maxPositions);
        }
        if (positions <= capacity) {
            return;
        }
        int newCapacity = Math.max(capacity, INITIAL_POSITIONS);
        while (newCapacity < positions) {
            newCapacity = (int) Math.min(maxPositions, 2L * newCapacity);
        }
        newCapacity = Math.min(newCapacity, maxPositions);
        for (int l = 0; l < layers; l++) {
            keys[l] = Arrays.copyOf(keys[l], newCapacity * kvDim);
            values[l] = Arrays.copyOf(values[l], newCapacity * kvDim);
        }
        capacity = newCapacity;
    }

    /** Keys of layer {@code l}, row {@code p} at {@code p * kvDim}. Valid until the next ensureCapacity. */
    public float[] keys(int layer) {
        return keys[layer];
    }

    /** Values of layer {@code l}, row {@code p} at {@code p * kvDim}. Valid until the next ensureCapacity. */
    public float[] values(int layer) {
        return values[layer];
    }

    /** Heap bytes held. */
    public long bytes() {
        return 2L * layers * capacity * kvDim * Float.BYTES;
    }
}
