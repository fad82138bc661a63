package io.llmpipe.engine.generation;

import io.llmpipe.engine.sampling.Sampler;
import java.util.Set;

/**
 * One request being decoded inside a {@link ContinuousBatcher}: its sequence (already prefilled),
 * the token to feed next, its sampler and limits.
 *
 * @param id          the request id, unique among active slots
 * @param sequence    the prefilled sequence; owned by the batcher from admission until it finishes
 * @param nextToken   the last sampled token, not yet fed to the model
 * @param sampled     tokens sampled so far (the first token counts): the sampler's step index
 * @param maxTokens   most tokens to sample in total
 * @param stopTokens  ids that finish the request
 */
public record DecodeSlot(String id, Sequence sequence, int nextToken, int sampled, Sampler sampler, int maxTokens, Set<Integer> stopTokens) {
}
