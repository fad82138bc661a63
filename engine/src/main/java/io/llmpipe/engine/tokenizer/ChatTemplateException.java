package io.llmpipe.engine.tokenizer;

/**
 * A conversation that a chat template cannot render: the template rejected it (Jinja
 * {@code raise_exception}, e.g. roles that do not alternate) or failed on it. The caller's input is
 * at fault, so a server answers with a client error.
 */
public final class ChatTemplateException extends IllegalArgumentException {
    public ChatTemplateException(String message) {
        super(message);
    }

    public ChatTemplateException(String message, Throwable cause) {
        super(message, cause);
    }
}
