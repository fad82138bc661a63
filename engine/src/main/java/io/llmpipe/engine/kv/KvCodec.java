package io.llmpipe.engine.kv;

import java.nio.ByteBuffer;

/**
 * How a KV cache travels from prefill to decode: {@link #encode} turns the first positions of a cache
 * into bytes, {@link #decode} turns them back into a cache decode can continue. The payload is laid
 * out layer after layer, each layer {@link #layerBytes} long, so a transport may cut it at layer
 * boundaries. Little-endian throughout. Implementations are immutable and thread-safe.
 */
public sealed interface KvCodec permits FloatKvCodec, KiviCodec {

    /** Exact: 4 bytes per element. */
    KvCodec FP32 = FloatKvCodec.FP32;
    /** IEEE half precision: 2 bytes per element. */
    KvCodec FP16 = FloatKvCodec.FP16;

    /** The codec's name on the wire and in configuration: {@code fp32}, {@code fp16}, {@code kivi4}, {@code kivi2}. */
    String wireName();

    /** Bytes of one layer's share of a payload of {@code positions} positions. */
    long layerBytes(int kvHeads, int headSize, int positions);

    /** Bytes of a whole payload. */
    default long encodedSize(int layers, int kvHeads, int headSize, int positions) {
        return layers * layerBytes(kvHeads, headSize, positions);
    }

    /** The first {@code positions} positions of {@code cache}, encoded. */
    byte[] encode(KvCache cache, int positions);

    /**
     * A cache that may grow to {@code maxPositions}, holding the {@code positions} positions that
     * {@code payload} (from its position to its limit) encodes.
     *
     * @throws IllegalArgumentException when the payload's size does not match the shape
     */
    KvCache decode(ByteBuffer payload, int layers, int kvHeads, int headSize, int positions, int maxPositions);

    /** What decode continues from after a handoff of {@code cache}: encode, then decode. */
    default KvCache handOff(KvCache cache, int positions) {
        return decode(ByteBuffer.wrap(encode(cache, positions)), cache.layers(), cache.kvHeads(), cache.headSize(),
                positions, cache.maxPositions());
    }

    /** The codec named {@code name}; the KIVI codecs with their default group size and residual length. */
    static KvCodec fromWireName(String name) {
        return switch (name) {
            case "fp32" -> FP32;
            case "fp16" -> FP16;
            case "kivi4" -> KiviCodec.of(4);
            case "kivi2" -> KiviCodec.of(2);
            default -> throw new IllegalArgumentException("unknown KV codec '" + name + "' (known: fp32, fp16, kivi4, kivi2)");
        };
    }

    /** Checks a payload's size against the shape it claims. */
    static void checkSize(KvCodec codec, ByteBuffer payload, int layers, int kvHeads, int headSize, int positions) {
        long expected = codec.encodedSize(layers, kvHeads, headSize, positions);
        if (payload.remaining() != expected) {
            throw new IllegalArgumentException("KV payload has " + payload.remaining() + " bytes, expected " + expected
                    + " for " + layers + " layers x " + positions + " positions x " + kvHeads + "x" + headSize
                    + " (" + codec.wireName() + ")");
        }
    }
}
