package io.llmpipe.protocol;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * How the KV cache is encoded for the handoff from prefill to decode. On the wire each codec is its
 * lower-case {@link #wireName()}.
 */
public enum KvCodec {
    /** Full precision: 4 bytes per element. The default for now. */
    FP32("fp32", false),
    /** IEEE half precision: 2 bytes per element. */
    FP16("fp16", false),
    /** KIVI, 4-bit: keys quantized per channel, values per token, in groups, recent tokens kept exact. */
    KIVI4("kivi4", true),
    /** KIVI, 2-bit. */
    KIVI2("kivi2", true);

    private final String wireName;
    private final boolean grouped;

    KvCodec(String wireName, boolean grouped) {
        this.wireName = wireName;
        this.grouped = grouped;
    }

    /** The name in messages and configuration, e.g. {@code "kivi4"}. */
    @JsonValue
    public String wireName() {
        return wireName;
    }

    /** Whether the codec quantizes in groups and so takes a group size and a residual length. */
    public boolean grouped() {
        return grouped;
    }

    /** The codec named {@code wireName}; {@link IllegalArgumentException} if none is. */
    public static KvCodec fromWireName(String wireName) {
        for (KvCodec codec : values()) {
            if (codec.wireName.equals(wireName)) {
                return codec;
            }
        }
        throw new IllegalArgumentException("unknown KV codec '" + wireName + "'");
    }
}
