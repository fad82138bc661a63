package io.llmpipe.engine.generation;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Continuous batching for decode: every active request advances one token per {@link #step()} in
 * one batched forward pass (weights read once per step for the whole batch); requests join with
 * {@link #admit} and leave when they finish or are cancelled, between steps.
 *
 * <p>Confined to one thread (the decode loop); {@link #cancel} must be called from that thread too
 * (queue cancellations and apply them between steps).
 */
public final class ContinuousBatcher {

    /** What happened to one request in a step. */
    public record TokenEvent(String id, int token, int index, FinishReason finishReason) {
    }

    private final Generator generator;
    private final int maxBatch;
    private final Map<String, DecodeSlot> active = new LinkedHashMap<>();
    private float[] logits = new float[0];

    public ContinuousBatcher(Generator generator, int maxBatch) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("max batch must be >= 1, got " + maxBatch);
        }
        this.generator = generator;
        this.maxBatch = maxBatch;
    }

    public int maxBatch() {
        return maxBatch;
    }

    public int activeCount() {
        return active.size();
    }

    public boolean hasRoom() {
        return active.size() < maxBatch;
    }

    public boolean isActive(String id) {
        return active.containsKey(id);
    }

    /** Adds a prefilled request; it takes part from the next step. */
    public void admit(DecodeSlot slot) {
        if (!hasRoom()) {
            throw new IllegalStateException("batch is full (" + maxBatch + ")");
        }
        if (active.putIfAbsent(slot.id(), slot) != null) {
            throw new IllegalArgumentException("request " + slot.id() + " is already active");
        }
    }

    /** Removes a request; its cache is dropped. Returns false when it was not active. */
    public boolean cancel(String id) {
        return active.remove(id) != null;
    }

    /**
     * Feeds every active request its pending token, samples the next one, and returns one event per
     * request; finished requests (stop token, token limit, full context) leave the batch.
     */
    public List<TokenEvent> step() {
        if (active.isEmpty()) {
            return List.of();
        }
        List<DecodeSlot> slots = new ArrayList<>(active.values());
        List<Sequence> sequences = new ArrayList<>(slots.size());
        int[] tokens = new int[slots.size()];
        for (int i = 0; i < slots.size(); i++) {
            sequences.add(slots.get(i).sequence());
            tokens[i] = slots.get(i).nextToken();
        }
        int vocab = generator.model().config().vocabularySize();
        if (logits.length < slots.size() * vocab) {
            logits = new float[slots.size() * vocab];
        }
        generator.decode(sequences, tokens, logits);
        List<TokenEvent> events = new ArrayList<>(slots.size());
        for (int i = 0; i < slots.size(); i++) {
            DecodeSlot s = slots.get(i);
            int token = s.sampler().sample(logits, i * vocab, vocab, s.sampled());
            int sampled = s.sampled() + 1;
            FinishReason finish = null;
            if (s.stopTokens().contains(token)) {
                finish = FinishReason.STOP;
            } else if (sampled >= s.maxTokens() || s.sequence().remaining() < 1) {
                finish = FinishReason.LENGTH;
            }
            events.add(new TokenEvent(s.id(), token, sampled - 1, finish));
            if (finish != null) {
                active.remove(s.id());
            } else {
                active.put(s.id(), new DecodeSlot(s.id(), s.sequence(), token, sampled, s.sampler(), s.maxTokens(), s.stopTokens()));
            }
        }
        return events;
    }

    /** Ids of the active requests, in admission order. */
    public List<String> activeIds() {
        return List.copyOf(active.keySet());
    }
}
