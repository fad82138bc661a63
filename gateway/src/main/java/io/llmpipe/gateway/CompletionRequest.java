package io.llmpipe.gateway;

import io.llmpipe.protocol.AttentionSpec;
import io.llmpipe.protocol.KvCodecSpec;
import java.util.List;

/**
 * A checked, tokenized completion request, ready to queue.
 *
 * @param kind            chat or text completion (decides the response shapes)
 * @param model           the model id the client named
 * @param promptTokenIds  the prompt after the chat template, tokenized
 * @param maxTokens       most tokens to generate, >= 1
 * @param temperature     0 = greedy
 * @param topK            0 = off
 * @param topP            1 = off
 * @param seed            the client's seed, or one the gateway drew
 * @param stopTokenIds    tokens that end the generation (EOS and end-of-turn unless ignore_eos)
 * @param stopStrings     texts that end the generation (OpenAI {@code stop}); not included in the output
 * @param stream          answer with server-sent events
 * @param includeUsage    {@code stream_options.include_usage}: a last chunk with the usage
 * @param attention       prefill attention mode (extension)
 * @param kvCodec         how prefill hands the KV cache to decode (extension {@code kv_cache}, else the deployment's)
 * @param retrieval       the passages put into the prompt (extension {@code retrieval}), or null when none were asked for
 */
public record CompletionRequest(Kind kind, String model, int[] promptTokenIds, int maxTokens, float temperature, int topK,
                                float topP, long seed, int[] stopTokenIds, List<String> stopStrings, boolean stream,
                                boolean includeUsage, AttentionSpec attention, KvCodecSpec kvCodec, RetrievalResult retrieval) {

    public enum Kind {
        CHAT("chatcmpl-"), TEXT("cmpl-");

        private final String idPrefix;

        Kind(String idPrefix) {
            this.idPrefix = idPrefix;
        }

        public String idPrefix() {
            return idPrefix;
        }
    }
}
