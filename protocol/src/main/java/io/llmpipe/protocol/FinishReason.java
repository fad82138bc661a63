package io.llmpipe.protocol;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * Why a generation ended; carried by the last {@link TokenEvent} of a request. The wire names are
 * OpenAI's {@code finish_reason} values plus {@code cancelled} and {@code error}.
 */
public enum FinishReason {
    /** A stop token (or the end-of-sequence token) was sampled. */
    STOP("stop"),
    /** {@code maxTokens} were generated, or the context is full. */
    LENGTH("length"),
    /** The client went away or the gateway cancelled the request. */
    CANCELLED("cancelled"),
    /** The pipeline failed; the event's {@link TokenEvent#error()} says how. */
    ERROR("error");

    private final String wireName;

    FinishReason(String wireName) {
        this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }
}
