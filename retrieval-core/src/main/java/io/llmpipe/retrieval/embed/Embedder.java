package io.llmpipe.retrieval.embed;

import java.util.List;

/** Turns texts into unit-length vectors that a cosine index compares. Implementations are thread-safe. */
public interface Embedder extends AutoCloseable {

    /** The model's name, reported with results and used to key cached embeddings. */
    String name();

    /** Identifies the exact embedding function (model and how texts are prepared), to key cached embeddings. */
    default String fingerprint() {
        return name();
    }

    int dimension();

    /** The model's window in tokens, the markers it adds included: longer texts are cut to it. */
    int maxTokens();

    /** How many tokens the model reads for the text, the markers it adds included, before any cut. */
    int countTokens(String text);

    /** One unit-length embedding per text, in order; the batch runs in one call of the model where it can. */
    float[][] embed(List<String> texts);

    /** One text. */
    default float[] embed(String text) {
        return embed(List.of(text))[0];
    }

    @Override
    default void close() {
    }
}
