package io.llmpipe.engine.kv;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Turns the first {@code positions} rows of a KV cache into bytes for the prefill-to-decode handoff
 * and back. Layout: for each layer, keys then values, row-major {@code [position][kvDim]}, little-endian.
 * Stateless; any thread.
 */
public enum KvCodec {
    /** Exact. */
    FP32(4),
    /** IEEE half precision: half the bytes, ~3 significant digits. */
    FP16(2);

    private final int bytesPerValue;

    KvCodec(int bytesPerValue) {
        this.bytesPerValue = bytesPerValue;
    }

    public String wireName() {
        return name().toLowerCase();
    }

    public static KvCodec fromWireName(String name) {
        for (KvCodec c : values()) {
            if (c.wireName().equals(name)) {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown KV codec '" + name + "' (known: fp32, fp16)");
    }

    public long encodedSize(int layers, int kvDim, int positions) {
        return 2L * layers * positions * kvDim * bytesPerValue;
    }

    public byte[] encode(KvCache cache, int positions) {
        int kvDim = cache.kvDim();
        long size = encodedSize(cache.layers(), kvDim, positions);
        if (size > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("KV cache of " + size + " bytes is too large for one payload");
        }
        ByteBuffer out = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
        int n = positions * kvDim;
        for (int l = 0; l < cache.layers(); l++) {
            put(out, cache.keys(l), n);
            put(out, cache.values(l), n);
        }
        return out.array();
    }

    /** A cache that may grow to {@code maxPositions}, holding the decoded {@code positions}. */
    public KvCache decode(byte[] payload, int layers, int kvDim, int positions, int maxPositions) {
        long expected = encodedSize(layers, kvDim, positions);
        if (payload.length != expected) {
            throw new IllegalArgumentException("KV payload has " + payload.length + " bytes, expected " + expected
                    + " for " + layers + " layers x " + positions + " positions x " + kvDim + " (" + wireName() + ")");
        }
        KvCache cache = new KvCache(layers, kvDim, maxPositions);
        cache.ensureCapacity(positions);
        ByteBuffer in = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
        int n = positions * kvDim;
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
