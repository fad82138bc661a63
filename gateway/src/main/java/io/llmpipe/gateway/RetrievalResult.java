package io.llmpipe.gateway;

import java.util.List;

/**
 * Passages of one collection, best first: what a search found, or (on a {@link CompletionRequest})
 * those that went into the prompt. Immutable.
 */
public record RetrievalResult(String collection, List<Passage> passages) {
    public RetrievalResult {
        passages = List.copyOf(passages);
    }
}
