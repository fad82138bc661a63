package io.llmpipe.engine.tokenizer;

import io.llmpipe.engine.ModelFormatException;
import io.llmpipe.engine.gguf.GGUF;
import java.util.List;
import java.util.Locale;

/**
 * Turns a conversation into the prompt a chat model was trained on, and that prompt into token
 * ids. Either the model's own Jinja template (GGUF {@code tokenizer.chat_template}, rendered with
 * Jinjava as Hugging Face renders it) or a built-in {@link ChatFormat}. Implementations are
 * immutable; any thread may render.
 */
public interface ChatTemplate {
    /** GGUF metadata key of the model's Jinja chat template. */
    String GGUF_KEY = "tokenizer.chat_template";

    /** What is in use, for logs: "gguf", "jinja", a format name such as "chatml", plus why on a fallback. */
    String name();

    /**
     * The prompt text. With {@code addGenerationPrompt} it ends where the assistant's reply begins.
     *
     * @throws ChatTemplateException if the template rejects the conversation
     */
    String render(List<ChatMessage> messages, boolean addGenerationPrompt);

    /**
     * The prompt as token ids: special-token text written by the template becomes those tokens,
     * and BOS is added once (not again when the template already wrote it). Only the plain format
     * encodes as ordinary text.
     *
     * @throws ChatTemplateException if the template rejects the conversation
     */
    int[] encode(List<ChatMessage> messages, boolean addGenerationPrompt);

    /**
     * The template for a GGUF model: its {@code tokenizer.chat_template} when present and
     * renderable by Jinjava, otherwise the built-in format {@link ChatFormat#detect} picks from the
     * vocabulary (Llama 2 chat when {@code general.name} says so). A fallback's {@link #name()}
     * says why it was taken.
     */
    static ChatTemplate forModel(GGUF gguf, Tokenizer tokenizer) {
        if (gguf.has(GGUF_KEY)) {
            String source = gguf.getString(GGUF_KEY);
            try {
                return new JinjaChatTemplate("gguf", source, tokenizer);
            } catch (ModelFormatException e) {
                ChatFormat format = ChatFormat.detect(tokenizer);
                return new BuiltInChatTemplate(format, tokenizer,
                        format.name().toLowerCase(Locale.ROOT) + " (fallback: the GGUF chat template failed: " + e.getMessage() + ")");
            }
        }
        ChatFormat format = ChatFormat.detect(tokenizer);
        String modelName = gguf.getString("general.name", "").toLowerCase(Locale.ROOT);
        if (format == ChatFormat.PLAIN && modelName.matches(".*llama[- ]?2.*") && modelName.contains("chat")) {
            format = ChatFormat.LLAMA2;
        }
        return builtIn(format, tokenizer);
    }

    /** The built-in format {@link ChatFormat#detect} picks from the tokenizer's vocabulary (llama2.c models: plain). */
    static ChatTemplate forTokenizer(Tokenizer tokenizer) {
        return builtIn(ChatFormat.detect(tokenizer), tokenizer);
    }

    /**
     * A Jinja template given as text, e.g. from a tokenizer_config.json or a user override.
     *
     * @throws ModelFormatException if Jinjava cannot render it
     */
    static ChatTemplate jinja(String source, Tokenizer tokenizer) {
        return new JinjaChatTemplate("jinja", source, tokenizer);
    }

    /** A built-in format. */
    static ChatTemplate builtIn(ChatFormat format, Tokenizer tokenizer) {
        return new BuiltInChatTemplate(format, tokenizer, format.name().toLowerCase(Locale.ROOT));
    }

    /**
     * Encodes rendered template text: special tokens parsed, BOS added only if the text does not
     * already start with the BOS piece.
     */
    static int[] encodeRendered(Tokenizer tokenizer, String text) {
        int bos = tokenizer.bosId();
        boolean startsWithBos = bos >= 0 && !tokenizer.piece(bos).isEmpty() && text.startsWith(tokenizer.piece(bos));
        return tokenizer.encodeWithSpecialTokens(text, !startsWithBos);
    }
}
