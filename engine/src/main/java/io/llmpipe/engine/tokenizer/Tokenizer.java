package io.llmpipe.engine.tokenizer;

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
     * for user input). Adds the model's BOS token first when {@code addBos} and the model has one.
     */
    int[] encode(String text, boolean addBos);

    /**
     * Encodes text in which special tokens (e.g. {@code <|im_start|>}, {@code <s>}) written literally
     * become their ids: used for rendered chat templates.
     */
    int[] encodeWithSpecialTokens(String text, boolean addBos);

    /** The bytes token {@code id} stands for, as UTF-8 text; special/control tokens give "". */
    String decode(int id);

    /** Decodes a sequence, joining byte-fallback pieces into whole UTF-8 characters. */
    String decode(int[] ids);

    /** The bytes token {@code id} stands for (a byte-fallback token is one raw byte); empty for special tokens. */
    byte[] bytes(int id);

    /**
     * True when encoding prepends a space to the text (SentencePiece's dummy prefix): the first piece
     * after BOS then starts with a space that display drops.
     */
    default boolean addsDummyPrefix() {
        return false;
    }

    /** The raw piece of a token as stored in the vocabulary (for debugging and templates). */
    String piece(int id);

    /** The id of a token whose piece is exactly {@code piece}, or -1. */
    int tokenId(String piece);

    /** Whether prompts should start with BOS (GGUF tokenizer.ggml.add_bos_token; true for llama2.c). */
    default boolean addBosByDefault() {
        return bosId() >= 0;
    }

    /** Begin-of-sequence id, or -1 when the model has none. */
    int bosId();

    /** End-of-sequence id, or -1. */
    int eosId();

    /** Ids that end generation (EOS, end-of-turn tokens such as {@code <|eot_id|>}). */
    List<Integer> stopTokenIds();

    /** True for control/special tokens, which decode to "". */
    boolean isSpecial(int id);
}
