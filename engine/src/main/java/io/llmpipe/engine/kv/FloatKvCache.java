package io.llmpipe.engine.kv;

import io.llmpipe.engine.attention.Attention;
import io.llmpipe.engine.attention.AttentionShape;
import io.llmpipe.engine.tensor.Parallel;
import java.util.Arrays;

/**
 * Full-precision key/value cache of one sequence: per layer, keys and values as
 * {@code [position][kvHeads * headSize]} float rows. Storage grows on demand (doubling) up to the
 * context length, so a short request does not pay for a long context.
 *
 * <p>Owned by one sequence and used by one thread at a time.
 */
public final class FloatKvCache implements KvCache {
    private static final int INITIAL_POSITIONS = 64;

    private final int layers;
    private final int kvHeads;
    private final int headSize;
    private final int kvDim;
    private final int maxPositions;
    private final float[][] keys;
    private final float[][] values;
    private int capacity;

    public FloatKvCache(int layers, int kvHeads, int headSize, int maxPositions) {
        this.layers = layers;
        this.kvHeads = kvHeads;
        this.headSize = headSize;
        this.kvDim = kvHeads * headSize;
        this.maxPositions = maxPositions;
        this.keys = new float[layers][0];
        this.values = new float[layers][0];
    }

    @Override
    public int layers() {
        return layers;
    }

    @Override
    public int kvHeads() {
        return kvHeads;
    }

    @Override
    public int headSize() {
        return headSize;
    }

    @Override
    public int kvDim() {
        return kvDim;
    }

    @Override
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

    @Override
    public long bytes() {
        return 2L * layers * capacity * kvDim * Float.BYTES;
    }

    @Override
    public void write(int layer, int startPos, float[] k, float[] v, int offset, int rows) {
        ensureCapacity(startPos + rows);
        System.arraycopy(k, offset, keys[layer], startPos * kvDim, rows * kvDim);
        System.arraycopy(v, offset, values[layer], startPos * kvDim, rows * kvDim);
    }

    @Override
    public void attend(int layer, AttentionShape shape, Attention attention, float[] q, int qOffset, int rows, int startPos,
                       float[] out, int outOffset, Parallel parallel) {
        attention.attend(shape, q, qOffset, rows, startPos, keys[layer], values[layer], out, outOffset, parallel);
    }
}
