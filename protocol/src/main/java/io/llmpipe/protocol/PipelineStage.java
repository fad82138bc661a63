package io.llmpipe.protocol;

import com.fasterxml.jackson.annotation.JsonValue;

/** The service that produced a {@link TokenEvent}; on the wire its lower-case {@link #wireName()}. */
public enum PipelineStage {
    /** prefill-service: the first token (sequence 0), or an early end or error. */
    PREFILL("prefill"),
    /** decode-service: every later event (sequence 1 on). */
    DECODE("decode");

    private final String wireName;

    PipelineStage(String wireName) {
        this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }
}
