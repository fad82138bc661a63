package io.llmpipe.protocol;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * The attention algorithm prefill runs. Decode always attends densely over the handed-off cache.
 * On the wire each mode is its lower-case {@link #wireName()}.
 */
public enum AttentionMode {
    /** Exact causal attention. */
    DENSE("dense"),
    /** FlexPrefill: context-aware sparse attention for long prompts. */
    FLEXPREFILL("flexprefill"),
    /** Dynamic hierarchical sparse attention. */
    DHSA("dhsa");

    private final String wireName;

    AttentionMode(String wireName) {
        this.wireName = wireName;
    }

    /** The name in messages and configuration, e.g. {@code "flexprefill"}. */
    @JsonValue
    public String wireName() {
        return wireName;
    }

    /** The mode named {@code wireName}; {@link IllegalArgumentException} if none is. */
    public static AttentionMode fromWireName(String wireName) {
        for (AttentionMode mode : values()) {
            if (mode.wireName.equals(wireName)) {
                return mode;
            }
        }
        throw new IllegalArgumentException("unknown attention mode '" + wireName + "'");
    }
}
