package io.llmpipe.protocol;

import java.nio.ByteBuffer;

/**
 * A reassembled KV handoff: the header and the whole payload, checksums verified. Immutable and
 * thread-safe; {@link #payload()} is a read-only view of the one array the assembler filled, handed
 * over without a copy.
 *
 * @param handoffId the attempt it came from
 * @param header    what decode needs besides the payload
 * @param payload   the encoded cache, as the producer's engine wrote it
 */
public record KvHandoff(long handoffId, KvHandoffHeader header, ByteBuffer payload) {

    public KvHandoff {
        Checks.required(header, "header");
        payload = Checks.required(payload, "payload").slice().asReadOnlyBuffer();
    }

    /** A read-only view of the payload, position 0; each call returns a new view. */
    @Override
    public ByteBuffer payload() {
        return payload.duplicate();
    }

    /** The payload's length in bytes. */
    public int payloadLength() {
        return payload.remaining();
    }

    @Override
    public String toString() {
        return "KvHandoff[handoffId=" + handoffId + ", header=" + header + ", payloadLength=" + payloadLength() + "]";
    }
}
