package io.llmpipe.retrieval.hnsw;

/**
 * Build settings of an {@link HnswIndex}.
 *
 * @param m              links per element on the upper layers ({@code 2m} on layer 0)
 * @param efConstruction beam width when inserting
 * @param seed           seeds the level draws, so a single-threaded build is reproducible
 */
public record HnswParameters(int m, int efConstruction, long seed) {
    /** The common defaults (hnswlib's and Lucene's M 16; beam 100). */
    public static final HnswParameters DEFAULT = new HnswParameters(16, 100, 42);

    public HnswParameters {
        if (m < 2 || m > 512) {
            throw new IllegalArgumentException("m must be in [2, 512], got " + m);
        }
        if (efConstruction < 1 || efConstruction > 10_000) {
            throw new IllegalArgumentException("efConstruction must be in [1, 10000], got " + efConstruction);
        }
    }
}
