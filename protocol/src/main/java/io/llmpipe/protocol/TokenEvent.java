package io.llmpipe.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One step of a request's output on {@link Topics#TOKENS}, key = {@link #requestId()}. Prefill
 * publishes sequence 0 (the first token, which sets the time to first token); decode continues from
 * sequence 1. The last event of a request carries a {@link #finishReason()} and, unless it is an error,
 * the {@link #usage()}. Sequence numbers are dense per request; after a crash a request is regenerated
 * from the same seed, so the gateway drops events whose sequence it has already seen.
 *
 * <p>Rules the constructor enforces: a prefill event has sequence 0 and a decode event sequence >= 1;
 * an event that is not final carries a token and no usage; a final event other than an error carries
 * usage; exactly the events with {@link FinishReason#ERROR} carry an {@link #error()}. A final event may
 * carry the token that ended the generation or none ({@link #NO_TOKEN}).
 *
 * <p>JSON (absent fields are not written):
 * <pre>{@code
 * {"schemaVersion":1,"requestId":"chatcmpl-42","sequence":3,"tokenId":281,"text":" the","stage":"decode"}
 * {"schemaVersion":1,"requestId":"chatcmpl-42","sequence":9,"tokenId":2,"text":"","finishReason":"stop",
 *  "usage":{"promptTokens":4,"completionTokens":10},"stage":"decode"}
 * {"schemaVersion":1,"requestId":"chatcmpl-42","sequence":0,"tokenId":-1,"text":"","finishReason":"error",
 *  "error":{"code":"CONTEXT_LENGTH_EXCEEDED","message":"..."},"stage":"prefill"}
 * }</pre>
 * Immutable and thread-safe.
 *
 * @param schemaVersion this message's schema (major) version; {@link #SCHEMA_VERSION} when written
 * @param requestId     the request's id, also the Kafka key
 * @param sequence      position of this event in the request's output, from 0
 * @param tokenId       the sampled token, or {@link #NO_TOKEN}
 * @param text          the text this token completes; may be "" (a byte-level token can end mid-character,
 *                      its text then comes with a later token)
 * @param finishReason  null while the generation goes on
 * @param usage         token counts, on final events
 * @param error         what failed, on error events
 * @param stage         the service that produced the event
 * @param prefill       what prefill did (mode, density); only on prefill's event, may be absent
 */
public record TokenEvent(
        @JsonProperty(required = true) int schemaVersion,
        @JsonProperty(required = true) String requestId,
        @JsonProperty(required = true) int sequence,
        @JsonProperty(required = true) int tokenId,
        String text,
        FinishReason finishReason,
        Usage usage,
        ErrorInfo error,
        @JsonProperty(required = true) PipelineStage stage,
        PrefillReport prefill) {

    /** The schema version this code writes and the newest it reads. */
    public static final int SCHEMA_VERSION = 1;

    /** {@link #tokenId()} of an event that carries no token. */
    public static final int NO_TOKEN = -1;

    /** The sequence number of the first event, which prefill publishes. */
    public static final int FIRST_SEQUENCE = 0;

    public TokenEvent {
        Checks.schemaVersion(schemaVersion, SCHEMA_VERSION, "TokenEvent");
        Checks.requestId(requestId);
        Checks.atLeast(sequence, FIRST_SEQUENCE, "sequence");
        Checks.atLeast(tokenId, NO_TOKEN, "tokenId");
        text = Checks.text(text, "text");
        Checks.required(stage, "stage");
        if (stage == PipelineStage.PREFILL && sequence != FIRST_SEQUENCE) {
            throw new IllegalArgumentException("a prefill event has sequence 0, got " + sequence);
        }
        if (stage == PipelineStage.DECODE && sequence == FIRST_SEQUENCE) {
            throw new IllegalArgumentException("a decode event has sequence >= 1, got 0");
        }
        if (finishReason == null) {
            if (tokenId == NO_TOKEN) {
                throw new IllegalArgumentException("an event without finishReason must carry a tokenId");
            }
            if (usage != null) {
                throw new IllegalArgumentException("usage belongs on the final event (with a finishReason)");
            }
        } else if (finishReason != FinishReason.ERROR && usage == null) {
            throw new IllegalArgumentException("a final event with finishReason " + finishReason.wireName() + " needs usage");
        }
        if ((finishReason == FinishReason.ERROR) != (error != null)) {
            throw new IllegalArgumentException("error is set exactly when finishReason is error");
        }
        if (prefill != null && stage != PipelineStage.PREFILL) {
            throw new IllegalArgumentException("only a prefill event carries a prefill report");
        }
    }

    /** This event with prefill's report attached. */
    public TokenEvent withPrefill(PrefillReport report) {
        return new TokenEvent(schemaVersion, requestId, sequence, tokenId, text, finishReason, usage, error, stage, report);
    }

    /** A token of a generation that goes on. */
    public static TokenEvent token(String requestId, int sequence, int tokenId, String text, PipelineStage stage) {
        return new TokenEvent(SCHEMA_VERSION, requestId, sequence, tokenId, text, null, null, null, stage, null);
    }

    /** The last event of a generation that ended normally or was cancelled; {@code tokenId} may be {@link #NO_TOKEN}. */
    public static TokenEvent last(String requestId, int sequence, int tokenId, String text, FinishReason finishReason,
            Usage usage, PipelineStage stage) {
        return new TokenEvent(SCHEMA_VERSION, requestId, sequence, tokenId, text, finishReason, usage, null, stage, null);
    }

    /** The last event of a failed generation; {@code usage} may be null. */
    public static TokenEvent failure(String requestId, int sequence, ErrorInfo error, Usage usage, PipelineStage stage) {
        return new TokenEvent(SCHEMA_VERSION, requestId, sequence, NO_TOKEN, "", FinishReason.ERROR, usage, error, stage, null);
    }

    /** Whether this is the request's last event. */
    public boolean finished() {
        return finishReason != null;
    }
}
