package io.llmpipe.protocol;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Producer side of a KV handoff: turns a header and the encoded cache into the ordered values to send
 * on {@link Topics#KV} with key = request id: a {@link KvHandoffStart}, then chunks 0 .. n-1 of at most
 * {@link #chunkBytes()} payload bytes each, each with its CRC32C. Send them in list order with one
 * producer (idempotent, as all pipeline producers are), so they land in order on one partition.
 *
 * <p>No payload bytes are copied: each chunk is a read-only view of the caller's buffer. The caller
 * must therefore leave those bytes unchanged until every send has completed (the serializer copies
 * them into the Kafka record). The producer thus holds the payload once, plus whatever the Kafka
 * producer buffers.
 *
 * <p>Immutable and thread-safe.
 */
public final class KvHandoffSplitter {

    /** Payload bytes per chunk unless configured: half of Kafka's default record limit. */
    public static final int DEFAULT_CHUNK_BYTES = 512 * 1024;

    // Handoff ids only tell attempts apart; a strong source keeps two prefill instances from colliding.
    private static final SecureRandom HANDOFF_IDS = new SecureRandom();

    private final int chunkBytes;

    public KvHandoffSplitter() {
        this(DEFAULT_CHUNK_BYTES);
    }

    /** @param chunkBytes payload bytes per chunk, 1 .. {@link KvChunk#MAX_PAYLOAD_BYTES} */
    public KvHandoffSplitter(int chunkBytes) {
        if (chunkBytes < 1 || chunkBytes > KvChunk.MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException("chunkBytes must be in [1, " + KvChunk.MAX_PAYLOAD_BYTES + "], got " + chunkBytes);
        }
        this.chunkBytes = chunkBytes;
    }

    public int chunkBytes() {
        return chunkBytes;
    }

    /** Chunks for a payload of {@code payloadLength} bytes: at least 1. */
    public int chunkCount(long payloadLength) {
        long count = Math.max(1L, (payloadLength + chunkBytes - 1) / chunkBytes);
        return Math.toIntExact(count);
    }

    /** {@link #split(KvHandoffHeader, ByteBuffer, long)} of the whole array, with a new random handoff id. */
    public List<KvMessage> split(KvHandoffHeader header, byte[] payload) {
        return split(header, ByteBuffer.wrap(payload), newHandoffId());
    }

    /** {@link #split(KvHandoffHeader, ByteBuffer, long)} with a new random handoff id. */
    public List<KvMessage> split(KvHandoffHeader header, ByteBuffer payload) {
        return split(header, payload, newHandoffId());
    }

    /**
     * The handoff's messages in send order: start, then chunks.
     *
     * @param payload the encoded cache from its position to its limit; its position is not moved
     */
    public List<KvMessage> split(KvHandoffHeader header, ByteBuffer payload, long handoffId) {
        ByteBuffer bytes = payload.slice();
        int length = bytes.remaining();
        int chunkCount = chunkCount(length);
        var messages = new ArrayList<KvMessage>(chunkCount + 1);
        messages.add(new KvHandoffStart(handoffId, length, chunkCount, header));
        for (int i = 0; i < chunkCount; i++) {
            int offset = i * chunkBytes;
            int size = Math.min(chunkBytes, length - offset);
            messages.add(KvChunk.of(header.requestId(), handoffId, i, chunkCount, offset, bytes.slice(offset, size)));
        }
        return Collections.unmodifiableList(messages);
    }

    /** A fresh random handoff id. */
    public static long newHandoffId() {
        return HANDOFF_IDS.nextLong();
    }
}
