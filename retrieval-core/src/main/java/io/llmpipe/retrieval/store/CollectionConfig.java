package io.llmpipe.retrieval.store;

import io.llmpipe.retrieval.hnsw.HnswParameters;
import io.llmpipe.retrieval.hnsw.Similarity;
import java.util.regex.Pattern;

/**
 * What a collection is fixed to when it is created: its name, how vectors compare, the embedding model
 * its passages were embedded with (vectors of another model are meaningless to it), the index settings
 * and the passage size in tokens.
 */
public record CollectionConfig(String name, Similarity similarity, String embeddingModel, String embeddingFingerprint,
                               int dimension, HnswParameters hnsw, int passageTokens) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    public CollectionConfig {
        checkName(name);
        if (dimension < 1) {
            throw new IllegalArgumentException("dimension must be positive, got " + dimension);
        }
        if (passageTokens < 8) {
            throw new IllegalArgumentException("passages need at least 8 tokens, got " + passageTokens);
        }
    }

    /** Collection names are directory names too: letters, digits, {@code _ . -}, at most 64, not starting with a symbol. */
    public static void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("collection name '" + name + "' must be 1 to 64 letters, digits, '_', '.' or '-',"
                    + " starting with a letter or digit");
        }
    }
}
