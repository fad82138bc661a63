package io.llmpipe.engine.sampling;

/**
 * How the next token is chosen from the logits.
 *
 * @param temperature 0 for greedy (argmax, first index wins ties); otherwise logits are divided by it
 * @param topK        keep only the k most likely tokens; 0 = no limit
 * @param topP        keep the smallest set of most likely tokens whose probability reaches topP; 1 = no limit
 * @param seed        same seed, same logits -> same tokens
 */
public record SamplingParams(float temperature, int topK, float topP, long seed) {
    public static final SamplingParams GREEDY = new SamplingParams(0f, 0, 1f, 0L);

    public SamplingParams {
        if (!(temperature >= 0f) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top_k must be >= 0, got " + topK);
        }
        if (!(topP > 0f && topP <= 1f)) {
            throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        }
    }

    public boolean greedy() {
        return temperature == 0f || topK == 1;
    }
}
