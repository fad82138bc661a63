package io.llmpipe.engine.tokenizer;

/**
 * What a vocabulary entry is, numbered as GGUF's {@code tokenizer.ggml.token_type} numbers them
 * (the values come from SentencePiece's piece types).
 */
public enum TokenType {
    /** Type 0: not stated; treated like {@link #NORMAL}. */
    UNDEFINED,
    /** Type 1: ordinary text. */
    NORMAL,
    /** Type 2: the unknown-token placeholder, e.g. {@code <unk>}. */
    UNKNOWN,
    /** Type 3: control tokens such as BOS, EOS, {@code <|im_start|>}; they stand for no text. */
    CONTROL,
    /** Type 4: added tokens matched literally in text, e.g. {@code <think>}. */
    USER_DEFINED,
    /** Type 5: reserved, never produced from text. */
    UNUSED,
    /** Type 6: byte-fallback pieces {@code <0xHH>}. */
    BYTE;

    /** The type with GGUF id {@code id}, or null for an id outside 0..6. */
    public static TokenType fromId(int id) {
        TokenType[] all = values();
        return id >= 0 && id < all.length ? all[id] : null;
    }

    /** Control and unknown tokens decode to no text and are matched in text only on request. */
    boolean isSpecial() {
        return this == CONTROL || this == UNKNOWN;
    }

    /** Types whose piece may be produced from ordinary text by lookup or merging. */
    boolean isText() {
        return this == NORMAL || this == UNDEFINED || this == USER_DEFINED || this == UNUSED;
    }
}
