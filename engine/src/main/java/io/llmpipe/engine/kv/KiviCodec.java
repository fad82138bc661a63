package io.llmpipe.engine.kv;

import java.nio.ByteBuffer;

/**
 * KIVI (Liu et al., ICML 2024): keys quantized per channel over groups of {@code groupSize} tokens,
 * values per token over groups of {@code groupSize} channels of a head, asymmetric min-max at {@code bits} bits,
 * the most recent tokens in full precision. As in the reference, keys leave the full-precision residual
 * {@code residualLength} tokens at a time (so after {@code n} tokens the first {@code n / R * R} are
 * quantized) and values one token at a time (the last {@code R} stay exact).
 *
 * <p>Payload layout per layer (little-endian, scales and minimums and full-precision rows in fp16, as
 * KIVI keeps them): key groups, each {@code scale[kvDim]}, {@code min[kvDim]}, then the group's
 * {@code groupSize} packed code rows; the residual keys {@code [rows][kvDim]}; each quantized value row
 * as {@code scale[valueGroups]}, {@code min[valueGroups]}, packed codes; the residual values. A packed
 * row holds each KV head's {@code headSize} codes in {@code headSize * bits / 8} bytes, byte {@code j}
 * holding the head's channels {@code j + k * bytesPerHead} at bit {@code k * bits} (so a head's codes
 * unpack into contiguous channel runs with one shift per run).
 *
 * @param bits           2 or 4
 * @param groupSize      tokens per key scale, channels per value scale (at most a head's)
 * @param residualLength tokens kept in full precision; a multiple of {@code groupSize}
 */
public record KiviCodec(int bits, int groupSize, int residualLength) implements KvCodec {

    /** The paper's group size. */
    public static final int DEFAULT_GROUP_SIZE = 32;
    /** The paper's full-precision window for long contexts. */
    public static final int DEFAULT_RESIDUAL_LENGTH = 128;

    public KiviCodec {
        if (bits != 2 && bits != 4) {
            throw new IllegalArgumentException("KIVI quantizes to 2 or 4 bits, not " + bits);
        }
        if (groupSize < 1 || groupSize > 4096) {
            throw new IllegalArgumentException("KIVI group size must be in [1, 4096], got " + groupSize);
        }
        if (residualLength < groupSize || residualLength % groupSize != 0 || residualLength > 65536) {
            throw new IllegalArgumentException("KIVI residual length must be a multiple of the group size " + groupSize
                    + " (at most 65536), got " + residualLength);
        }
    }

    /** {@code bits} with the default group size and residual length. */
    public static KiviCodec of(int bits) {
        return new KiviCodec(bits, DEFAULT_GROUP_SIZE, DEFAULT_RESIDUAL_LENGTH);
    }

    @Override
    public String wireName() {
        return "kivi" + bits;
    }

    /** Tokens whose keys are quantized once {@code positions} tokens are held. */
    public int quantizedKeys(int positions) {
        return positions / residualLength * residualLength;
    }

    /** Tokens whose values are quantized once {@code positions} tokens are held. */
    public int quantizedValues(int positions) {
        return Math.max(0, positions - residualLength);
    }

    /** Bytes of one packed code row. */
    public int rowBytes(int kvHeads, int headSize) {
        checkHeadSize(headSize);
        return kvHeads * headSize * bits / 8;
    }

    /**
     * Channels per value scale: the group size, or the head size when that is smaller. As in the
     * reference, a value group never spans two heads.
     */
    public int valueGroupSize(int headSize) {
        return Math.min(groupSize, headSize);
    }

    /** Value scale groups per token: per head ceil(headSize / valueGroupSize), the last one possibly narrower. */
    public int valueGroups(int kvHeads, int headSize) {
        int width = valueGroupSize(headSize);
        return kvHeads * ((headSize + width - 1) / width);
    }

    void checkHeadSize(int headSize) {
        if (headSize * bits % 8 != 0) {
            throw new IllegalArgumentException(wireName() + " packs a head's codes into whole bytes: head size " + headSize
                    + " must be a multiple of " + 8 / bits);
        }
    }

    @Override
    public long layerBytes(int kvHeads, int headSize, int positions) {
        int kvDim = kvHeads * headSize;
        int valueGroups = valueGroups(kvHeads, headSize);
        long rowBytes = rowBytes(kvHeads, headSize);
        long keyGroups = quantizedKeys(positions) / groupSize;
        long residualKeys = positions - quantizedKeys(positions);
        long quantizedValues = quantizedValues(positions);
        long residualValues = positions - quantizedValues;
        return keyGroups * (4L * kvDim + groupSize * rowBytes) + residualKeys * kvDim * 2
                + quantizedValues * (4L * valueGroups + rowBytes) + residualValues * kvDim * 2;
    }

    @Override
    public byte[] encode(KvCache cache, int positions) {
        long size = encodedSize(cache.layers(), cache.kvHeads(), cache.headSize(), positions);
        if (size > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("KV cache of " + size + " bytes is too large for one payload");
        }
        KiviKvCache kivi = switch (cache) {
            case FloatKvCache floats -> KiviKvCache.quantize(floats, positions, this);
            case KiviKvCache k -> {
                if (!k.codec().equals(this)) {
                    throw new IllegalArgumentException("cache is " + k.codec() + ", not " + this);
                }
                yield k;
            }
        };
        ByteBuffer out = ByteBuffer.allocate((int) size);
        kivi.writeTo(out, positions);
        return out.array();
    }

    @Override
    public KiviKvCache decode(ByteBuffer payload, int layers, int kvHeads, int headSize, int positions, int maxPositions) {
        KvCodec.checkSize(this, payload, layers, kvHeads, headSize, positions);
        return KiviKvCache.readFrom(payload.slice(), layers, kvHeads, headSize, positions, maxPositions, this);
    }
}
