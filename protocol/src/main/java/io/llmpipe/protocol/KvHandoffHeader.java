package io.llmpipe.protocol;

import java.util.Arrays;
import java.util.Objects;

/**
 * Everything decode needs besides the KV bytes to continue a request that prefill started: the shape
 * and encoding of the cache, the first generated token, the sampler state, and what decode needs from
 * the request. It travels inside the {@link KvHandoffStart} that opens a handoff on {@link Topics#KV}
 * (binary, see {@link KvMessageSerializer}).
 *
 * <p>Sampling is deterministic: with {@link SamplingParameters#seed()} and {@link #sampledTokens()}
 * (the number of tokens already sampled, 1 after prefill) decode draws exactly the random numbers an
 * uninterrupted generation would have drawn.
 *
 * <p>Immutable and thread-safe: the constructor copies {@code stopTokenIds} and the accessor returns a
 * copy.
 *
 * @param schemaVersion       the KV wire format's major version; {@link #SCHEMA_VERSION} when written
 * @param requestId           the request's id, also the Kafka key
 * @param modelFingerprint    identifies the exact model weights; decode refuses a cache from other ones
 * @param layers              transformer layers in the cache
 * @param kvHeads             key/value heads per layer
 * @param headSize            elements per head
 * @param codec               how the payload encodes the cache
 * @param positions           positions filled in the cache (the prompt's tokens: 0 .. positions-1)
 * @param firstTokenId        the token prefill sampled, already published as sequence 0; decode feeds it
 *                            at position {@code positions}
 * @param sampling            the request's sampling parameters with its seed
 * @param sampledTokens       tokens sampled so far (1 after prefill); the next token is the sampler's step
 *                            {@code sampledTokens} and is published with that sequence number
 * @param maxTokens           the request's limit on sampled tokens, >= sampledTokens
 * @param stopTokenIds        the request's stop token ids
 * @param replyTo             the gateway instance that holds the client's stream
 * @param deadlineEpochMillis the request's deadline (epoch millis); 0 = none
 * @param promptTokenCount    prompt length in tokens, for usage
 */
public record KvHandoffHeader(
        int schemaVersion,
        String requestId,
        String modelFingerprint,
        int layers,
        int kvHeads,
        int headSize,
        KvCodecSpec codec,
        int positions,
        int firstTokenId,
        SamplingParameters sampling,
        int sampledTokens,
        int maxTokens,
        int[] stopTokenIds,
        String replyTo,
        long deadlineEpochMillis,
        int promptTokenCount) {

    /** The KV wire format version this code writes and the newest it reads. */
    public static final int SCHEMA_VERSION = 1;

    public KvHandoffHeader {
        Checks.schemaVersion(schemaVersion, SCHEMA_VERSION, "KvHandoffHeader");
        Checks.requestId(requestId);
        Checks.name(modelFingerprint, "modelFingerprint");
        Checks.atLeast(layers, 1, "layers");
        Checks.atLeast(kvHeads, 1, "kvHeads");
        Checks.atLeast(headSize, 1, "headSize");
        Checks.required(codec, "codec");
        Checks.atLeast(positions, 1, "positions");
        Checks.atLeast(firstTokenId, 0, "firstTokenId");
        Checks.required(sampling, "sampling");
        Checks.atLeast(sampledTokens, 1, "sampledTokens");
        Checks.atLeast(maxTokens, sampledTokens, "maxTokens");
        stopTokenIds = Checks.tokenIds(stopTokenIds, "stopTokenIds", ProtocolLimits.MAX_STOP_TOKEN_IDS);
        Checks.name(replyTo, "replyTo");
        Checks.atLeast(deadlineEpochMillis, 0L, "deadlineEpochMillis");
        Checks.atLeast(promptTokenCount, 1, "promptTokenCount");
    }

    /**
     * The header of a handoff right after prefill: sampling, limits, routing, deadline and codec
     * copied from {@code request}, the prompt's positions filled, one token sampled.
     */
    public static KvHandoffHeader afterPrefill(GenerationRequest request, String modelFingerprint, int layers,
            int kvHeads, int headSize, int firstTokenId) {
        return new KvHandoffHeader(SCHEMA_VERSION, request.requestId(), modelFingerprint, layers, kvHeads, headSize,
                request.kvCodec(), request.promptTokenCount(), firstTokenId, request.sampling(), 1, request.maxTokens(),
                request.stopTokenIds(), request.replyTo(), request.deadlineEpochMillis(), request.promptTokenCount());
    }

    /** A copy of the stop token ids. */
    @Override
    public int[] stopTokenIds() {
        return stopTokenIds.clone();
    }

    /** Elements of one cached key (or value) row: {@code kvHeads * headSize}. */
    public int kvDim() {
        return kvHeads * headSize;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KvHandoffHeader h
                && schemaVersion == h.schemaVersion
                && requestId.equals(h.requestId)
                && modelFingerprint.equals(h.modelFingerprint)
                && layers == h.layers
                && kvHeads == h.kvHeads
                && headSize == h.headSize
                && codec.equals(h.codec)
                && positions == h.positions
                && firstTokenId == h.firstTokenId
                && sampling.equals(h.sampling)
                && sampledTokens == h.sampledTokens
                && maxTokens == h.maxTokens
                && Arrays.equals(stopTokenIds, h.stopTokenIds)
                && replyTo.equals(h.replyTo)
                && deadlineEpochMillis == h.deadlineEpochMillis
                && promptTokenCount == h.promptTokenCount;
    }

    @Override
    public int hashCode() {
        return Objects.hash(schemaVersion, requestId, modelFingerprint, layers, kvHeads, headSize, codec, positions,
                firstTokenId, sampling, sampledTokens, maxTokens, Arrays.hashCode(stopTokenIds), replyTo,
                deadlineEpochMillis, promptTokenCount);
    }

    @Override
    public String toString() {
        return "KvHandoffHeader[schemaVersion=" + schemaVersion + ", requestId=" + requestId
                + ", modelFingerprint=" + modelFingerprint + ", layers=" + layers + ", kvHeads=" + kvHeads
                + ", headSize=" + headSize + ", codec=" + codec + ", positions=" + positions
                + ", firstTokenId=" + firstTokenId + ", sampling=" + sampling + ", sampledTokens=" + sampledTokens
                + ", maxTokens=" + maxTokens + ", stopTokenIds=" + Checks.brief(stopTokenIds) + ", replyTo=" + replyTo
                + ", deadlineEpochMillis=" + deadlineEpochMillis + ", promptTokenCount=" + promptTokenCount + "]";
    }
}
