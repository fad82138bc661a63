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
        return split(header, payload, handoffId, Long.MAX_VALUE);
    }

    /**
     * The handoff's messages with no chunk crossing a multiple of {@code sectionBytes}: with the bytes of
     * one layer, each chunk holds part of one layer only, so a chunk can be checked and placed knowing
     * which layer it carries.
     *
     * @param payload      the encoded cache from its position to its limit; its position is not moved
     * @param sectionBytes >= 1
     */
    public List<KvMessage> split(KvHandoffHeader header, ByteBuffer payload, long handoffId, long sectionBytes) {
        if (sectionBytes < 1) {
            throw new IllegalArgumentException("sectionBytes must be >= 1, got " + sectionBytes);
        }
        ByteBuffer bytes = payload.slice();
        int length = bytes.remaining();
        var bounds = new ArrayList<int[]>();
        int offset = 0;
        do {
            long sectionEnd = Math.min(length, (offset / sectionBytes + 1) * sectionBytes);
            int size = (int) Math.min(chunkBytes, sectionEnd - offset);
            bounds.add(new int[]{offset, size});
            offset += size;
        } while (offset < length);
        int chunkCount = bounds.size();
        var messages = new ArrayList<KvMessage>(chunkCount + 1);
        messages.add(new KvHandoffStart(handoffId, length, chunkCount, header));
        for (int i = 0; i < chunkCount; i++) {
            int[] b = bounds.get(i);
            messages.add(KvChunk.of(header.requestId(), handoffId, i, chunkCount, b[0], bytes.slice(b[0], b[1])));
        }
        return Collections.unmodifiableList(messages);
    }

    /** A fresh random handoff id. */
    public static long newHandoffId() {
        return HANDOFF_IDS.nextLong();
    }
}
