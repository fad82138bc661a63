package io.llmpipe.gateway;

/**
 * One passage the retrieval-service found: a chunk of a document, as its search answers it.
 *
 * @param id         {@code "{document id}#{chunk index}"}
 * @param documentId the document the chunk belongs to
 * @param score      the search (or rerank) score; higher is better
 * @param text       the chunk's text, put into the prompt
 */
public record Passage(String id, String documentId, double score, String text) {
}
