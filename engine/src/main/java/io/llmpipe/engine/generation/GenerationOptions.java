package io.llmpipe.engine.generation;

import io.llmpipe.engine.attention.Attention;
import io.llmpipe.engine.attention.DenseAttention;
import io.llmpipe.engine.sampling.SamplingParams;
import java.util.Set;

/**
 * What a generation should do.
 *
 * @param maxTokens    most tokens to generate (the context length caps it too)
 * @param sampling     how tokens are picked
 * @param stopTokens   ids that end generation (reported, not part of the text); usually the tokenizer's
 * @param attention    prefill attention mode
 * @param prefillChunk prompt tokens per forward pass during prefill (bounds activation memory)
 */
public record GenerationOptions(int maxTokens, SamplingParams sampling, Set<Integer> stopTokens, Attention attention, int prefillChunk) {
    public static final int DEFAULT_PREFILL_CHUNK = 512;

    public GenerationOptions {
        if (maxTokens < 0) {
            throw new IllegalArgumentException("max tokens must be >= 0, got " + maxTokens);
        }
        if (prefillChunk < 1) {
            throw new IllegalArgumentException("prefill chunk must be >= 1, got " + prefillChunk);
        }
        stopTokens = Set.copyOf(stopTokens);
    }

    public static GenerationOptions greedy(int maxTokens, Set<Integer> stopTokens) {
        return new GenerationOptions(maxTokens, SamplingParams.GREEDY, stopTokens, DenseAttention.INSTANCE, DEFAULT_PREFILL_CHUNK);
    }
}
