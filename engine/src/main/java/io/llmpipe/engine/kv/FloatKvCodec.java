package io.llmpipe.engine.kv;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The uncompressed codecs. Layout: for each layer, keys then values, row-major
 * {@code [position][kvDim]}. Decodes to a {@link FloatKvCache}.
 */
public enum FloatKvCodec implements KvCodec {
    /** Exact. */
    FP32(4),
    /** IEEE half precision: half the bytes, ~3 significant digits. */
    FP16(2);

    private final int bytesPerValue;

    FloatKvCodec(int bytesPerValue) {
        this.bytesPerValue = bytesPerValue;
    }

    @Override
    public String wireName() {
        return name().toLowerCase();
    }

    @Override
    public long layerBytes(int kvHeads, int headSize, int positions) {
        return 2L * positions * kvHeads * headSize * bytesPerValue;
    }

    @Override
    public byte[] encode(KvCache cache, int positions) {
        if (!(cache instanceof FloatKvCache floats)) {
            throw new IllegalArgumentException(wireName() + " encodes a full-precision cache, not " + cache.getClass().getSimpleName());
        }
        long size = encodedSize(cache.layers(), cache.kvHeads(), cache.headSize(), positions);
        if (size > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("KV cache of " + size + " bytes is too large for one payload");
        }
        ByteBuffer out = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
        int n = positions * cache.kvDim();
        for (int l = 0; l < cache.layers(); l++) {
            put(out, floats.keys(l), n);
            put(out, floats.values(l), n);
        }
        return out.array();
    }

    @Override
    public FloatKvCache decode(ByteBuffer payload, int layers, int kvHeads, int headSize, int positions, int maxPositions) {
        KvCodec.checkSize(this, payload, layers, kvHeads, headSize, positions);
        FloatKvCache cache = new FloatKvCache(layers, kvHeads, headSize, maxPositions);
        cache.ensureCapacity(positions);
        ByteBuffer in = payload.slice().order(ByteOrder.LITTLE_ENDIAN);
        int n = positions * cache.kvDim();
        for (int l = 0; l < layers; l++) {
            get(in, cache.keys(l), n);
            get(in, cache.values(l), n);
        }
        return cache;
    }

    private void put(ByteBuffer out, float[] src, int n) {
        if (this == FP32) {
            out.asFloatBuffer().put(src, 0, n);
            out.position(out.position() + n * 4);
        } else {
            for (int i = 0; i < n; i++) {
                out.putShort(Float.floatToFloat16(src[i]));
            }
        }
    }

    private void get(ByteBuffer in, float[] dst, int n) {
        if (this == FP32) {
            in.asFloatBuffer().get(dst, 0, n);
            in.position(in.position() + n * 4);
        } else {
            for (int i = 0; i < n; i++) {
                dst[i] = Float.float16ToFloat(in.getShort());
            }
        }
    }
}
