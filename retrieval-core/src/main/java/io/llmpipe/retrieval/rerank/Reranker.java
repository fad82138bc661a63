package io.llmpipe.retrieval.rerank;

import java.util.List;

/** Orders first-stage candidates for a query, best first. Implementations are thread-safe. */
public interface Reranker {

    /**
     * A first-stage result with what rerankers read: its text, passage embedding, sentence and title
     * embeddings. The ordinal keys it in the collection's lexical index.
     */
    record Candidate(int ordinal, String id, String text, float[] passage, float[][] sentences, float[] title) {
        public Candidate {
            sentences = sentences == null ? new float[0][] : sentences;
        }
    }

    /** A reranked candidate with its fused score and each view's anchored score. */
    record Ranked(Candidate candidate, double score, double[] views) {
    }

    List<Ranked> rerank(float[] queryEmbedding, String queryText, List<Candidate> candidates);
}
