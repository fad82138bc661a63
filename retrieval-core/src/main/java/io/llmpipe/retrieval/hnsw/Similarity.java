package io.llmpipe.retrieval.hnsw;

/**
 * How vectors compare. Internally every similarity is a score where higher is closer; {@link #score}
 * is what searches report: cosine and dot product as they are, Euclidean as {@code 1 / (1 + d²)}
 * (Lucene's convention, in (0, 1]).
 */
public enum Similarity {
    /** Cosine: vectors are normalized when stored and queried, then compared by dot product. */
    COSINE,
    /**
     * Dot product of the vectors as given: for vectors of one length (unit embeddings), as Lucene's
     * DOT_PRODUCT. Vectors of very different lengths make a poor graph (the dot product is not a metric).
     */
    DOT_PRODUCT,
    /** Euclidean (L2) distance. */
    EUCLIDEAN;

    /** The internal score: higher is closer. */
    float compare(float[] a, int ao, float[] b, int bo, int dim) {
        return this == EUCLIDEAN ? -VectorKernels.squareDistance(a, ao, b, bo, dim) : VectorKernels.dot(a, ao, b, bo, dim);
    }

    /**
     * {@link #compare}, except that a result below {@code floor} may come back as any value below it
     * (Euclidean stops summing once the distance is certain to be too large).
     */
    float compareAbove(float[] a, int ao, float[] b, int bo, int dim, float floor) {
        return this == EUCLIDEAN ? -VectorKernels.squareDistanceBounded(a, ao, b, bo, dim, -floor)
                : VectorKernels.dot(a, ao, b, bo, dim);
    }

    /** The reported score of an internal one. */
    public float score(float internal) {
        return this == EUCLIDEAN ? 1f / (1f - internal) : internal;
    }

    /** The name in configuration and APIs: {@code cosine}, {@code dot}, {@code l2}. */
    public String wireName() {
        return switch (this) {
            case COSINE -> "cosine";
            case DOT_PRODUCT -> "dot";
            case EUCLIDEAN -> "l2";
        };
    }

    /** Also takes {@code euclidean} for {@code l2}. */
    public static Similarity fromWireName(String name) {
        if ("euclidean".equals(name)) {
            return EUCLIDEAN;
        }
        for (Similarity s : values()) {
            if (s.wireName().equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown similarity '" + name + "' (cosine, dot, l2 or euclidean)");
    }
}
