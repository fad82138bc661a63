package io.llmpipe.engine;

/**
 * A model or tokenizer file that cannot be used: truncated, wrong magic, absurd sizes, an unknown
 * tensor type, a tokenizer that does not fit the model. The message names the file and what is wrong.
 */
public final class ModelFormatException extends RuntimeException {
    public ModelFormatException(String message) {
        super(message);
    }

    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
