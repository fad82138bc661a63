package io.llmpipe.retrieval.store;

/**
 * One indexed chunk of a document with its embeddings: the passage itself, each of its sentences (none
 * when it is one sentence) and the document's title (null when it has none).
 */
public record Passage(String documentId, int index, String text, float[] vector, float[][] sentences, float[] title) {

    /** The id results carry: {@code "{document id}#{chunk index}"}. */
    public String id() {
        return documentId + "#" + index;
    }
}
