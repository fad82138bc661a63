package io.llmpipe.protocol;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * One slice of a handoff's payload. Immutable and thread-safe: {@link #payload()} returns a read-only
 * view of bytes the chunk does not copy, so whoever built the chunk must not change them while the
 * chunk is in use ({@link KvHandoffSplitter} slices the producer's payload; {@link KvMessageDeserializer}
 * slices the Kafka record's value).
 *
 * @param requestId     the request, also the Kafka key
 * @param handoffId     the handoff attempt this chunk belongs to
 * @param chunkIndex    position among the handoff's chunks, 0 .. chunkCount-1
 * @param chunkCount    chunks in the handoff
 * @param payloadOffset where this slice starts in the whole payload
 * @param payload       the slice's bytes, from its position to its limit
 * @param crc32c        CRC32C of the slice as the producer computed it; the assembler verifies it
 */
public record KvChunk(
        String requestId,
        long handoffId,
        int chunkIndex,
        int chunkCount,
        long payloadOffset,
        ByteBuffer payload,
        int crc32c) implements KvMessage {

    /**
     * Largest payload of one chunk: Kafka's default record limit less 64 KiB for the framing, the key
     * and the record's own overhead.
     */
    public static final int MAX_PAYLOAD_BYTES = ProtocolLimits.KAFKA_DEFAULT_MAX_RECORD_BYTES - 64 * 1024;

    public KvChunk {
        Checks.requestId(requestId);
        Checks.atLeast(chunkCount, 1, "chunkCount");
        if (chunkIndex < 0 || chunkIndex >= chunkCount) {
            throw new IllegalArgumentException("chunkIndex must be in [0, " + chunkCount + "), got " + chunkIndex);
        }
        Checks.atLeast(payloadOffset, 0L, "payloadOffset");
        Checks.required(payload, "payload");
        if (payload.remaining() > MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException("a chunk's payload is at most " + MAX_PAYLOAD_BYTES + " bytes, got "
                    + payload.remaining());
        }
        // Own view: later moves of the caller's position or limit do not change this chunk.
        payload = payload.slice().asReadOnlyBuffer();
    }

    /** A chunk whose checksum is computed from {@code payload}. */
    public static KvChunk of(String requestId, long handoffId, int chunkIndex, int chunkCount, long payloadOffset,
            ByteBuffer payload) {
        return new KvChunk(requestId, handoffId, chunkIndex, chunkCount, payloadOffset, payload, crc32c(payload));
    }

    /** A read-only view of the slice, position 0; each call returns a new view. */
    @Override
    public ByteBuffer payload() {
        return payload.duplicate();
    }

    /** The slice's length in bytes. */
    public int payloadLength() {
        return payload.remaining();
    }

    /** Whether the bytes match {@link #crc32c()}. */
    public boolean checksumMatches() {
        return crc32c(payload) == crc32c;
    }

    /** CRC32C of {@code bytes} from position to limit; does not move the position. */
    public static int crc32c(ByteBuffer bytes) {
        var crc = new CRC32C();
        crc.update(bytes.duplicate());
        return (int) crc.getValue();
    }

    @Override
    public String toString() {
        return "KvChunk[requestId=" + requestId + ", handoffId=" + handoffId + ", chunk " + chunkIndex + " of "
                + chunkCount + ", payloadOffset=" + payloadOffset + ", payloadLength=" + payloadLength()
                + ", crc32c=" + Integer.toHexString(crc32c) + "]";
    }
}
