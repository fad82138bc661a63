package io.llmpipe.retrieval.hnsw;

/**
 * One result of a search.
 *
 * @param ordinal the element's ordinal in the index
 * @param score   its {@link Similarity#score similarity} to the query, higher is closer
 */
public record SearchHit(int ordinal, float score) {
}
