package io.llmpipe.protocol;

/**
 * A value on {@link Topics#KV}, key = {@link #requestId()}. A handoff is one {@link KvHandoffStart}
 * followed by its {@link KvChunk}s 0 .. n-1, all with the same {@link #handoffId()}, produced in that
 * order by {@link KvHandoffSplitter}. The key keeps them on one partition, where Kafka keeps their
 * order; {@link KvHandoffAssembler} rebuilds the payload.
 *
 * <p>Implementations are immutable and thread-safe.
 */
public sealed interface KvMessage permits KvHandoffStart, KvChunk {

    /** The request the handoff continues; the Kafka key. */
    String requestId();

    /**
     * Identifies one handoff attempt. A request handed off twice (prefill redone after a crash) gets a
     * new id, so chunks of the two attempts never mix.
     */
    long handoffId();
}
