package io.llmpipe.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A KV codec with its parameters. For the KIVI codecs a group size or residual length of 0 (or an
 * absent JSON field) means the default, and is replaced by it on construction, so a spec read from a
 * message always states the values in force. The other codecs take no parameters (both must be 0).
 *
 * <p>JSON: {@code {"codec":"kivi4","groupSize":32,"residualLength":128}}; for fp32/fp16
 * {@code {"codec":"fp32","groupSize":0,"residualLength":0}}. Immutable and thread-safe.
 *
 * @param codec          the encoding
 * @param groupSize      KIVI: tokens (keys) or channels (values) sharing one scale and zero point
 * @param residualLength KIVI: the most recent tokens kept in full precision
 */
public record KvCodecSpec(
        @JsonProperty(required = true) KvCodec codec,
        int groupSize,
        int residualLength) {

    /** KIVI's default group size (the paper's setting). */
    public static final int DEFAULT_KIVI_GROUP_SIZE = 32;
    /** KIVI's default full-precision window (the paper's setting). */
    public static final int DEFAULT_KIVI_RESIDUAL_LENGTH = 128;

    /** Full precision: the default when a request names no codec. */
    public static final KvCodecSpec FP32 = new KvCodecSpec(KvCodec.FP32, 0, 0);
    /** Half precision. */
    public static final KvCodecSpec FP16 = new KvCodecSpec(KvCodec.FP16, 0, 0);

    public KvCodecSpec {
        Checks.required(codec, "KV codec");
        Checks.atLeast(groupSize, 0, "KV codec groupSize");
        Checks.atLeast(residualLength, 0, "KV codec residualLength");
        if (codec.grouped()) {
            groupSize = groupSize == 0 ? DEFAULT_KIVI_GROUP_SIZE : groupSize;
            residualLength = residualLength == 0 ? DEFAULT_KIVI_RESIDUAL_LENGTH : residualLength;
        } else if (groupSize != 0 || residualLength != 0) {
            throw new IllegalArgumentException("KV codec " + codec.wireName() + " takes no groupSize or residualLength");
        }
    }

    /** {@code codec} with its default parameters. */
    public static KvCodecSpec of(KvCodec codec) {
        return new KvCodecSpec(codec, 0, 0);
    }
}
