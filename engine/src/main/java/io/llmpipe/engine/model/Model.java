package io.llmpipe.engine.model;

import io.llmpipe.engine.tokenizer.ChatTemplate;
import io.llmpipe.engine.tokenizer.Tokenizer;
import java.lang.foreign.Arena;

/**
 * A loaded model: configuration, weights mapped from its file, and its tokenizer. Immutable and
 * shared by all threads; closing it unmaps the file, after which no one may use it.
 *
 * @param name        a short name (the file name without extension)
 * @param chatTemplate renders conversations into prompt tokens
 * @param fingerprint identifies the exact weights and shapes, so a KV cache made by one model is
 *                    never continued by another
 */
public record Model(String name, String fingerprint, ModelConfig config, Weights weights, Tokenizer tokenizer,
                    ChatTemplate chatTemplate, Arena arena)
        implements AutoCloseable {

    @Override
    public void close() {
        arena.close();
    }
}
