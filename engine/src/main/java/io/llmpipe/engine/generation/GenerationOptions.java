package io.llmpipe.engine.generation;

import io.llmpipe.engine.attention.Attention;
import io.llmpipe.engine.attention.DenseAttention;
import io.llmpipe.engine.kv.KvCodec;
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
 * @param kvCodec      how the cache is handed from prefill to decode: decode continues on what this codec
 *                     makes of the prefilled cache (exactly as after a handoff between the services)
 */
public record GenerationOptions(int maxTokens, SamplingParams sampling, Set<Integer> stopTokens, Attention attention, int prefillChunk,
                                KvCodec kvCodec) {
    public static final int DEFAULT_PREFILL_CHUNK = 512;

    public GenerationOptions {
        if (maxTokens < 0) {
            throw new IllegalArgumentException("max tokens must be >= 0, got " + maxTokens);
        }
        if (prefillChunk < 1) {
            throw new IllegalArgumentException("prefill chunk must be >= 1, got " + prefillChunk);
        }
        stopTokens = Set.copyOf(stopTokens);
        kvCodec = kvCodec == null ? KvCodec.FP32 : kvCodec;
    }

    /** Options whose cache stays full precision. */
    public GenerationOptions(int maxTokens, SamplingParams sampling, Set<Integer> stopTokens, Attention attention, int prefillChunk) {
        this(maxTokens, sampling, stopTokens, attention, prefillChunk, KvCodec.FP32);
    }

    /** These options with decode on {@code codec}'s cache. */
    public GenerationOptions withKvCodec(KvCodec codec) {
        return new GenerationOptions(maxTokens, sampling, stopTokens, attention, prefillChunk, codec);
    }

    public static GenerationOptions greedy(int maxTokens, Set<Integer> stopTokens) {
        return new GenerationOptions(maxTokens, SamplingParams.GREEDY, stopTokens, DenseAttention.INSTANCE, DEFAULT_PREFILL_CHUNK);
    }
}
