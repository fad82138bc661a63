package io.llmpipe.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Arrays;
import java.util.Objects;

/**
 * A tokenized generation request on {@link Topics#REQUESTS}, key = {@link #requestId()}. The gateway
 * applies the chat template, tokenizes, picks a seed when the client gave none and rejects over-long
 * prompts before it publishes one of these; prefill consumes it.
 *
 * <p>JSON (optional fields marked ?):
 * <pre>{@code
 * {"schemaVersion":1, "requestId":"chatcmpl-42", "modelId":"stories260K",
 *  "promptTokenIds":[1,403,9], "sampling":{"temperature":0.8,"topK":40,"topP":0.95,"seed":7},
 *  "maxTokens":128, "stopTokenIds"?:[2], "attention"?:{"mode":"dense","parameters":{}},
 *  "kvCodec"?:{"codec":"fp32","groupSize":0,"residualLength":0}, "replyTo":"gateway-0",
 *  "deadlineEpochMillis"?:0, "createdAtEpochMillis":1795000000000}
 * }</pre>
 * Absent optional fields take the defaults: no stop ids, {@link AttentionSpec#DENSE},
 * {@link KvCodecSpec#FP32}, no deadline.
 *
 * <p>Immutable and thread-safe: the constructor copies the arrays, and the accessors return copies
 * (use {@link #promptTokenCount()} for the length alone).
 *
 * @param schemaVersion        this message's schema (major) version; {@link #SCHEMA_VERSION} when written
 * @param requestId            the request's id, also the Kafka key; at most {@link ProtocolLimits#MAX_REQUEST_ID_CHARS} chars
 * @param modelId              the model the client asked for, as the gateway lists it
 * @param promptTokenIds       the prompt, tokenized; 1 to {@link ProtocolLimits#MAX_PROMPT_TOKENS} ids
 * @param sampling             sampling parameters with the seed
 * @param maxTokens            most tokens to generate, >= 0 (0: prefill only, finishing with "length")
 * @param stopTokenIds         tokens that end the generation (besides the model's end-of-sequence token)
 * @param attention            attention mode for prefill
 * @param kvCodec              encoding of the KV handoff
 * @param replyTo              id of the gateway instance that holds the client's stream
 * @param deadlineEpochMillis  give up after this instant (epoch millis); 0 = no deadline
 * @param createdAtEpochMillis when the gateway accepted the request (epoch millis)
 */
public record GenerationRequest(
        @JsonProperty(required = true) int schemaVersion,
        @JsonProperty(required = true) String requestId,
        @JsonProperty(required = true) String modelId,
        @JsonProperty(required = true) int[] promptTokenIds,
        @JsonProperty(required = true) SamplingParameters sampling,
        @JsonProperty(required = true) int maxTokens,
        int[] stopTokenIds,
        AttentionSpec attention,
        KvCodecSpec kvCodec,
        @JsonProperty(required = true) String replyTo,
        long deadlineEpochMillis,
        @JsonProperty(required = true) long createdAtEpochMillis) {

    /** The schema version this code writes and the newest it reads. */
    public static final int SCHEMA_VERSION = 1;

    /** {@link #deadlineEpochMillis()} of a request without a deadline. */
    public static final long NO_DEADLINE = 0L;

    public GenerationRequest {
        Checks.schemaVersion(schemaVersion, SCHEMA_VERSION, "GenerationRequest");
        Checks.requestId(requestId);
        Checks.name(modelId, "modelId");
        promptTokenIds = Checks.tokenIds(promptTokenIds, "promptTokenIds", ProtocolLimits.MAX_PROMPT_TOKENS);
        if (promptTokenIds.length == 0) {
            throw new IllegalArgumentException("promptTokenIds must not be empty");
        }
        Checks.required(sampling, "sampling");
        Checks.atLeast(maxTokens, 0, "maxTokens");
        stopTokenIds = stopTokenIds == null
                ? new int[0]
                : Checks.tokenIds(stopTokenIds, "stopTokenIds", ProtocolLimits.MAX_STOP_TOKEN_IDS);
        attention = attention == null ? AttentionSpec.DENSE : attention;
        kvCodec = kvCodec == null ? KvCodecSpec.FP32 : kvCodec;
        Checks.name(replyTo, "replyTo");
        Checks.atLeast(deadlineEpochMillis, 0L, "deadlineEpochMillis");
        Checks.atLeast(createdAtEpochMillis, 0L, "createdAtEpochMillis");
    }

    /** A copy of the prompt's token ids. */
    @Override
    public int[] promptTokenIds() {
        return promptTokenIds.clone();
    }

    /** A copy of the stop token ids. */
    @Override
    public int[] stopTokenIds() {
        return stopTokenIds.clone();
    }

    /** The prompt's length in tokens, without copying it. */
    public int promptTokenCount() {
        return promptTokenIds.length;
    }

    /** Whether the request has a deadline and it has passed at {@code nowEpochMillis}. */
    public boolean expiredAt(long nowEpochMillis) {
        return deadlineEpochMillis != NO_DEADLINE && nowEpochMillis >= deadlineEpochMillis;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GenerationRequest r
                && schemaVersion == r.schemaVersion
                && requestId.equals(r.requestId)
                && modelId.equals(r.modelId)
                && Arrays.equals(promptTokenIds, r.promptTokenIds)
                && sampling.equals(r.sampling)
                && maxTokens == r.maxTokens
                && Arrays.equals(stopTokenIds, r.stopTokenIds)
                && attention.equals(r.attention)
                && kvCodec.equals(r.kvCodec)
                && replyTo.equals(r.replyTo)
                && deadlineEpochMillis == r.deadlineEpochMillis
                && createdAtEpochMillis == r.createdAtEpochMillis;
    }

    @Override
    public int hashCode() {
        return Objects.hash(schemaVersion, requestId, modelId, Arrays.hashCode(promptTokenIds), sampling, maxTokens,
                Arrays.hashCode(stopTokenIds), attention, kvCodec, replyTo, deadlineEpochMillis, createdAtEpochMillis);
    }

    @Override
    public String toString() {
        return "GenerationRequest[schemaVersion=" + schemaVersion + ", requestId=" + requestId + ", modelId=" + modelId
                + ", promptTokenIds=" + Checks.brief(promptTokenIds) + ", sampling=" + sampling
                + ", maxTokens=" + maxTokens + ", stopTokenIds=" + Checks.brief(stopTokenIds)
                + ", attention=" + attention + ", kvCodec=" + kvCodec + ", replyTo=" + replyTo
                + ", deadlineEpochMillis=" + deadlineEpochMillis + ", createdAtEpochMillis=" + createdAtEpochMillis + "]";
    }
}
