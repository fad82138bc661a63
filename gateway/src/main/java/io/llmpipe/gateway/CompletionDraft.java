package io.llmpipe.gateway;

import io.llmpipe.protocol.AttentionSpec;
import io.llmpipe.protocol.KvCodecSpec;
import java.util.List;
import java.util.OptionalInt;

/**
 * A completion request with every field checked but its prompt not yet encoded, since retrieved
 * passages may still go into it ({@link RequestReader#complete}). Immutable.
 *
 * @param prompt         the prompt as sent
 * @param retrieval      the {@code retrieval} extension, or null
 * @param maxTokensField {@code max_tokens} or {@code max_completion_tokens}, whichever the client used (named in errors)
 * @param maxTokens      the client's limit (>= 1), or empty for the default (the rest of the context, 16 for completions)
 * @see CompletionRequest for the other fields
 */
public record CompletionDraft(CompletionRequest.Kind kind, String model, ClientPrompt prompt, RetrievalSpec retrieval,
                              String maxTokensField, OptionalInt maxTokens, float temperature, int topK, float topP, long seed,
                              int[] stopTokenIds, List<String> stopStrings, boolean stream, boolean includeUsage,
                              AttentionSpec attention, KvCodecSpec kvCodec) {
}
