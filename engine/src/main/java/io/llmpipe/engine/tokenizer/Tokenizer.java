package io.llmpipe.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Text to token ids and back, for one model's vocabulary. Implementations are immutable; any
 * thread may call any method.
 */
public interface Tokenizer {

    /** Number of tokens in the vocabulary. */
    int vocabularySize();

    /**
     * Encodes plain text: special-token text inside {@code text} is treated as ordinary text (safe
     * for user input: control tokens are never produced; user-defined added tokens, GGUF token type
     * 4, are still matched, as llama.cpp and Hugging Face do). Adds the model's BOS token first when
     * {@code addBos} and the model has one and uses it ({@link #addsBos()}).
     */
    int[] encode(String text, boolean addBos);

    /**
     * Encodes text in which special tokens (e.g. {@code <|im_start|>}, {@code <s>}) written literally
     * become their ids: used for rendered chat templates.
     */
    int[] encodeWithSpecialTokens(String text, boolean addBos);

    /**
     * The bytes token {@code id} stands for, as UTF-8 text; special/control tokens give "". A lone
     * byte-fallback token of a multi-byte character is not text by itself and gives U+FFFD: use
     * {@link #decode(int[])}, {@link #decodeBytes} or {@link StreamingDecoder} to join such bytes.
     */
    String decode(int id);

    /**
     * The raw bytes token {@code id} adds to the output when it follows {@code previousId} (-1 at the
     * start). A byte-fallback token gives its one byte, which may be part of a multi-byte UTF-8
     * character; control tokens give none. SentencePiece tokenizers drop the leading space of the
     * piece right after BOS (the llama2.c run.c display rule). Returns a fresh array.
     */
    default byte[] decodeBytes(int previousId, int id) {
        return decode(id).getBytes(StandardCharsets.UTF_8);
    }

    /** Decodes a sequence, joining byte-fallback pieces into whole UTF-8 characters. */
    String decode(int[] ids);

    /** The raw piece of a token as stored in the vocabulary (for debugging and templates). */
    String piece(int id);

    /** The id of a token whose piece is exactly {@code piece}, or -1. */
    int tokenId(String piece);

    /** Begin-of-sequence id, or -1 when the model has none. */
    int bosId();

    /**
     * Whether {@code encode(text, true)} really prepends BOS: the model has one and its metadata asks
     * for it (GGUF {@code tokenizer.ggml.add_bos_token}; Qwen2, for one, says no).
     */
    default boolean addsBos() {
        return bosId() >= 0;
    }

    /** End-of-sequence id, or -1. */
    int eosId();

    /** Ids that end generation (EOS, end-of-turn tokens such as {@code <|eot_id|>}). */
    List<Integer> stopTokenIds();

    /** True for control/special tokens, which decode to "". */
    boolean isSpecial(int id);
}
