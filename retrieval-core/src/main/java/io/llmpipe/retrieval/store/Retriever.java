package io.llmpipe.retrieval.store;

import io.llmpipe.retrieval.embed.Embedder;
import io.llmpipe.retrieval.rerank.Reranker;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A search over a collection: the query embedded (unless a vector is given), the HNSW index searched
 * with the metadata filter, and, when asked, a wider set of candidates reranked and cut to {@code k}.
 */
public final class Retriever {

    /**
     * @param query  the query's text (needed to embed it when there is no vector, and to rerank)
     * @param vector the query's vector, or null to embed the text
     */
    public record Query(String query, float[] vector, int k, int ef, MetadataFilter filter, boolean rerank) {
        public Query {
            if (k < 1) {
                throw new IllegalArgumentException("k must be at least 1, got " + k);
            }
            if ((query == null || query.isBlank()) && vector == null) {
                throw new IllegalArgumentException("a search needs a query text or a vector");
            }
            if (rerank && (query == null || query.isBlank())) {
                throw new IllegalArgumentException("reranking reads the query text: give 'query'");
            }
            filter = filter == null ? MetadataFilter.NONE : filter;
        }
    }

    /** One result: a passage, its document's metadata, its score (similarity, or the reranker's fused score). */
    public record Result(Passage passage, Map<String, Object> metadata, double score) {
    }

    private final Embedder embedder;
    private final Function<Collection, Reranker> rerankers;
    private final int rerankCandidates;

    /**
     * @param rerankers        the reranker to use for a collection
     * @param rerankCandidates how many first-stage results a rerank reads (at least {@code k})
     */
    public Retriever(Embedder embedder, Function<Collection, Reranker> rerankers, int rerankCandidates) {
        this.embedder = embedder;
        this.rerankers = rerankers;
        this.rerankCandidates = rerankCandidates;
    }

    public List<Result> search(Collection collection, Query q) {
        float[] vector = q.vector() != null ? q.vector() : embedder.embed(q.query());
        // the rerank reads the collection's lexical statistics by ordinal: the same state as the search
        return collection.read(() -> search(collection, q, vector));
    }

    private List<Result> search(Collection collection, Query q, float[] vector) {
        int firstStage = q.rerank() ? Math.max(q.k(), rerankCandidates) : q.k();
        List<Collection.Hit> hits = collection.search(vector, firstStage, Math.max(q.ef(), firstStage), q.filter());
        List<Result> out = new ArrayList<>(Math.min(q.k(), hits.size()));
        if (!q.rerank()) {
            for (Collection.Hit h : hits) {
                out.add(new Result(h.passage(), h.metadata(), h.score()));
            }
            return out;
        }
        Map<Integer, Collection.Hit> byOrdinal = new HashMap<>();
        List<Reranker.Candidate> candidates = new ArrayList<>(hits.size());
        for (Collection.Hit h : hits) {
            byOrdinal.put(h.ordinal(), h);
            candidates.add(Collection.candidate(h));
        }
        for (Reranker.Ranked r : rerankers.apply(collection).rerank(vector, q.query(), candidates)) {
            if (out.size() == q.k()) {
                break;
            }
            Collection.Hit h = byOrdinal.get(r.candidate().ordinal());
            out.add(new Result(h.passage(), h.metadata(), r.score()));
        }
        return out;
    }
}
