package io.llmpipe.protocol;

import io.llmpipe.protocol.KvHandoffException.Code;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Consumer side of a KV handoff: feed it every {@link KvMessage} read from {@link Topics#KV}, in the
 * order read; it returns the {@link KvHandoff} when a handoff's last chunk arrives.
 *
 * <p>What it tolerates, because Kafka does it: handoffs of different requests interleaved; records
 * delivered again after a rebalance or restart (a duplicate of a start or chunk already taken is
 * checked against the first copy and ignored); chunks whose start it never saw, or of an attempt that a
 * newer start for the same request replaced (ignored, see {@link #ignoredMessages()}). A new start for
 * a request whose handoff is in progress replaces it: prefill redid the request.
 *
 * <p>What it rejects, by throwing {@link KvHandoffException}, after which it holds nothing of that
 * request: a chunk whose CRC32C fails, a gap in the chunk sequence, chunks that disagree with their
 * start, a start for another model, a payload larger than allowed, a duplicate that differs from the
 * first copy. {@link #expire(Duration)} reports handoffs that stalled.
 *
 * <p>It forgets a handoff once it has returned it, so a handoff delivered again in full (after a
 * rebalance) is assembled again: the service decides, by request id, whether it is still running it.
 *
 * <p>Memory: the payload is written straight into one array of the announced length, allocated when
 * the start arrives; no chunk is kept. Not thread-safe: use one assembler per consumer thread (a
 * request's records all come from one partition, so they reach one consumer).
 */
public final class KvHandoffAssembler {

    /** Largest payload accepted unless configured: the largest byte array Java allocates. */
    public static final long DEFAULT_MAX_PAYLOAD_BYTES = Integer.MAX_VALUE - 8;

    private final String modelFingerprint;
    private final long maxPayloadBytes;
    private final InstantSource clock;
    private final Map<String, Assembly> inProgress = new HashMap<>();
    private long ignoredMessages;

    /** An assembler for caches of the model with {@code modelFingerprint}, with the defaults. */
    public KvHandoffAssembler(String modelFingerprint) {
        this(modelFingerprint, DEFAULT_MAX_PAYLOAD_BYTES, InstantSource.system());
    }

    /**
     * @param modelFingerprint the fingerprint of the model this decode instance runs
     * @param maxPayloadBytes  larger payloads are refused ({@link Code#PAYLOAD_TOO_LARGE})
     * @param clock            tells when a handoff started, for {@link #expire(Duration)}
     */
    public KvHandoffAssembler(String modelFingerprint, long maxPayloadBytes, InstantSource clock) {
        this.modelFingerprint = Checks.name(modelFingerprint, "modelFingerprint");
        if (maxPayloadBytes < 0 || maxPayloadBytes > DEFAULT_MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException("maxPayloadBytes must be in [0, " + DEFAULT_MAX_PAYLOAD_BYTES + "], got "
                    + maxPayloadBytes);
        }
        this.maxPayloadBytes = maxPayloadBytes;
        this.clock = Checks.required(clock, "clock");
    }

    /**
     * Takes the next record's value.
     *
     * @return the complete handoff when {@code message} completed one, else empty
     * @throws KvHandoffException when the request's handoff cannot complete; the assembler then holds
     *                            nothing of that request
     */
    public Optional<KvHandoff> accept(KvMessage message) {
        return switch (message) {
            case KvHandoffStart start -> {
                acceptStart(start);
                yield Optional.empty();
            }
            case KvChunk chunk -> acceptChunk(chunk);
        };
    }

    private void acceptStart(KvHandoffStart start) {
        String requestId = start.requestId();
        Assembly current = inProgress.get(requestId);
        if (current != null && current.start.handoffId() == start.handoffId()) {
            if (!current.start.equals(start)) {
                throw fail(Code.DUPLICATE_CONFLICT, requestId, "a start delivered again differs from the first");
            }
            ignoredMessages++;
            return;
        }
        if (!start.header().modelFingerprint().equals(modelFingerprint)) {
            throw fail(Code.MODEL_MISMATCH, requestId, "the cache is of model " + start.header().modelFingerprint()
                    + ", this instance runs " + modelFingerprint);
        }
        if (start.payloadLength() > maxPayloadBytes) {
            throw fail(Code.PAYLOAD_TOO_LARGE, requestId, start.payloadLength() + " bytes, at most " + maxPayloadBytes
                    + " accepted");
        }
        // A different attempt for the same request replaces the one in progress: prefill redid it.
        inProgress.put(requestId, new Assembly(start, new byte[(int) start.payloadLength()], clock.instant()));
    }

    private Optional<KvHandoff> acceptChunk(KvChunk chunk) {
        String requestId = chunk.requestId();
        Assembly assembly = inProgress.get(requestId);
        if (assembly == null || assembly.start.handoffId() != chunk.handoffId()) {
            // Its start came before the committed offset, was refused, or a newer attempt replaced it.
            ignoredMessages++;
            return Optional.empty();
        }
        if (!chunk.checksumMatches()) {
            throw fail(Code.CHECKSUM_MISMATCH, requestId, "chunk " + chunk.chunkIndex() + " of " + chunk.chunkCount());
        }
        if (chunk.chunkCount() != assembly.start.chunkCount()) {
            throw fail(Code.CHUNK_MISMATCH, requestId, "chunk " + chunk.chunkIndex() + " counts " + chunk.chunkCount()
                    + " chunks, the start " + assembly.start.chunkCount());
        }
        if (chunk.chunkIndex() < assembly.nextChunk) {
            if (!assembly.holds(chunk)) {
                throw fail(Code.DUPLICATE_CONFLICT, requestId, "chunk " + chunk.chunkIndex() + " delivered again differs from the first");
            }
            ignoredMessages++;
            return Optional.empty();
        }
        if (chunk.chunkIndex() > assembly.nextChunk) {
            throw fail(Code.MISSING_CHUNK, requestId, "chunk " + chunk.chunkIndex() + " arrived while chunk "
                    + assembly.nextChunk + " was expected");
        }
        if (chunk.payloadOffset() != assembly.filled
                || chunk.payloadOffset() + chunk.payloadLength() > assembly.payload.length) {
            throw fail(Code.CHUNK_MISMATCH, requestId, "chunk " + chunk.chunkIndex() + " covers bytes "
                    + chunk.payloadOffset() + ".." + (chunk.payloadOffset() + chunk.payloadLength()) + ", expected from "
                    + assembly.filled + " within " + assembly.payload.length);
        }
        chunk.payload().get(assembly.payload, (int) assembly.filled, chunk.payloadLength());
        assembly.filled += chunk.payloadLength();
        assembly.nextChunk++;
        if (assembly.nextChunk < assembly.start.chunkCount()) {
            return Optional.empty();
        }
        if (assembly.filled != assembly.payload.length) {
            throw fail(Code.CHUNK_MISMATCH, requestId, "the chunks hold " + assembly.filled + " bytes, the start announced "
                    + assembly.payload.length);
        }
        inProgress.remove(requestId);
        return Optional.of(new KvHandoff(assembly.start.handoffId(), assembly.start.header(), ByteBuffer.wrap(assembly.payload)));
    }

    /**
     * Drops the handoffs that started more than {@code maxAge} ago and are still incomplete, and
     * returns a {@link Code#MISSING_CHUNK} failure for each. Call it now and then (say, every few
     * seconds) with a limit well above a handoff's normal transfer time.
     */
    public List<KvHandoffException> expire(Duration maxAge) {
        Instant cutoff = clock.instant().minus(maxAge);
        var expired = new ArrayList<KvHandoffException>();
        var it = inProgress.entrySet().iterator();
        while (it.hasNext()) {
            var entry = it.next();
            Assembly assembly = entry.getValue();
            if (assembly.startedAt.isBefore(cutoff)) {
                it.remove();
                expired.add(new KvHandoffException(Code.MISSING_CHUNK, entry.getKey(), "incomplete after " + maxAge
                        + ": " + assembly.nextChunk + " of " + assembly.start.chunkCount() + " chunks arrived"));
            }
        }
        return expired;
    }

    /** Drops the handoff of {@code requestId} in progress, if any (the request was cancelled). */
    public boolean abandon(String requestId) {
        return inProgress.remove(requestId) != null;
    }

    /** Drops every handoff in progress (the consumer lost its partitions). */
    public void clear() {
        inProgress.clear();
    }

    /** Handoffs started and not yet complete. */
    public int inProgressCount() {
        return inProgress.size();
    }

    /** Messages ignored so far: duplicates, and chunks without a matching start. */
    public long ignoredMessages() {
        return ignoredMessages;
    }

    private KvHandoffException fail(Code code, String requestId, String detail) {
        inProgress.remove(requestId);
        return new KvHandoffException(code, requestId, detail);
    }

    /** One handoff being filled in. */
    private static final class Assembly {
        final KvHandoffStart start;
        final byte[] payload; // [start.payloadLength()]: chunks are written at their offsets
        final Instant startedAt;
        int nextChunk;
        long filled;

        Assembly(KvHandoffStart start, byte[] payload, Instant startedAt) {
            this.start = start;
            this.payload = payload;
            this.startedAt = startedAt;
        }

        /** Whether {@code chunk}'s bytes are already in the payload at its offset. */
        boolean holds(KvChunk chunk) {
            long end = chunk.payloadOffset() + chunk.payloadLength();
            return end <= filled
                    && ByteBuffer.wrap(payload, (int) chunk.payloadOffset(), chunk.payloadLength()).equals(chunk.payload());
        }
    }
}
