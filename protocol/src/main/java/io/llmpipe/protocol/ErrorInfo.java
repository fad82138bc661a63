package io.llmpipe.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Why a request failed, carried by a {@link TokenEvent} with {@link FinishReason#ERROR}. The code is
 * machine-readable (the gateway maps it to an HTTP status and OpenAI error type); the message is for
 * people. The constants below are the codes the pipeline uses; a new stage may add its own, so the
 * gateway must treat an unknown code as {@link #INTERNAL}.
 *
 * <p>JSON: {@code {"code":"CONTEXT_LENGTH_EXCEEDED","message":"prompt has 5000 tokens, the model 4096"}};
 * {@code message} may be absent. Immutable and thread-safe.
 *
 * @param code    upper-case code, e.g. {@link #DEADLINE_EXCEEDED}
 * @param message human-readable detail; "" when absent
 */
public record ErrorInfo(
        @JsonProperty(required = true) String code,
        String message) {

    /** The request itself is invalid for this model (a token id outside the vocabulary, ...). */
    public static final String INVALID_REQUEST = "INVALID_REQUEST";
    /** No service instance serves the requested model. */
    public static final String MODEL_NOT_FOUND = "MODEL_NOT_FOUND";
    /** Prompt plus maxTokens do not fit the model's context. */
    public static final String CONTEXT_LENGTH_EXCEEDED = "CONTEXT_LENGTH_EXCEEDED";
    /** The request's deadline passed before it finished. */
    public static final String DEADLINE_EXCEEDED = "DEADLINE_EXCEEDED";
    /** The stage has no capacity now; the client may retry later. */
    public static final String OVERLOADED = "OVERLOADED";
    /** The KV handoff could not be reassembled (see {@link KvHandoffException.Code}). */
    public static final String KV_HANDOFF_FAILED = "KV_HANDOFF_FAILED";
    /** Anything else: a bug or an engine failure. */
    public static final String INTERNAL = "INTERNAL";

    public ErrorInfo {
        Checks.name(code, "error code");
        message = Checks.text(message, "error message");
    }
}
