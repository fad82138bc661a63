package io.llmpipe.protocol;

/**
 * The first message of a KV handoff: the {@link KvHandoffHeader} plus the framing of the chunks that
 * follow. Immutable and thread-safe.
 *
 * @param handoffId     this attempt's id, repeated in every chunk
 * @param payloadLength total payload bytes over all chunks
 * @param chunkCount    chunks that follow, >= 1 (an empty payload still gets one empty chunk, so every
 *                      handoff ends with a chunk)
 * @param header        what decode needs besides the payload
 */
public record KvHandoffStart(long handoffId, long payloadLength, int chunkCount, KvHandoffHeader header)
        implements KvMessage {

    public KvHandoffStart {
        Checks.atLeast(payloadLength, 0L, "payloadLength");
        Checks.atLeast(chunkCount, 1, "chunkCount");
        // Every chunk but the single one of an empty payload carries at least a byte.
        if (chunkCount > Math.max(1L, payloadLength)) {
            throw new IllegalArgumentException("chunkCount " + chunkCount + " exceeds the payload's " + payloadLength + " bytes");
        }
        Checks.required(header, "header");
    }

    @Override
    public String requestId() {
        return header.requestId();
    }
}
