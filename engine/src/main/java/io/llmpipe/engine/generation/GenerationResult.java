package io.llmpipe.engine.generation;

/**
 * A finished generation.
 *
 * @param promptTokens  the prompt as fed
 * @param tokens        generated ids, including a final stop token when {@code finishReason} is STOP
 * @param finishReason  why it ended
 * @param prefillNanos  time to first token (prefill plus first sample)
 * @param decodeNanos   time for the remaining tokens
 */
public record GenerationResult(int[] promptTokens, int[] tokens, FinishReason finishReason, long prefillNanos, long decodeNanos) {

    public double prefillTokensPerSecond() {
        return prefillNanos == 0 ? 0 : promptTokens.length * 1e9 / prefillNanos;
    }

    /** Decode speed over the tokens after the first. */
    public double decodeTokensPerSecond() {
        return tokens.length <= 1 || decodeNanos == 0 ? 0 : (tokens.length - 1) * 1e9 / decodeNanos;
    }
}
