package io.llmpipe.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * How tokens are sampled; the same values as the engine's {@code SamplingParams}, which the services
 * build from this. The gateway always fills {@code seed} (it picks one when the client gave none), so a
 * request regenerated after a crash samples the same tokens.
 *
 * <p>JSON: {@code {"temperature":0.7,"topK":40,"topP":0.95,"seed":1234}}, all fields required.
 * Immutable and thread-safe.
 *
 * @param temperature 0 for greedy; otherwise logits are divided by it; finite, >= 0
 * @param topK        keep the k most likely tokens; 0 = no limit
 * @param topP        nucleus: keep the most likely tokens up to this probability mass; in (0, 1]
 * @param seed        the sampler's seed; step i's random number is a function of (seed, i)
 */
public record SamplingParameters(
        @JsonProperty(required = true) float temperature,
        @JsonProperty(required = true) int topK,
        @JsonProperty(required = true) float topP,
        @JsonProperty(required = true) long seed) {

    /** Greedy decoding, seed 0. */
    public static final SamplingParameters GREEDY = new SamplingParameters(0f, 0, 1f, 0L);

    public SamplingParameters {
        if (!(temperature >= 0f) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
        }
        Checks.atLeast(topK, 0, "topK");
        if (!(topP > 0f && topP <= 1f)) {
            throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        }
    }
}
