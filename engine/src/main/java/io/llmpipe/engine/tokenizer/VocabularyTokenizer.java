package io.llmpipe.engine.tokenizer;

import java.util.EnumSet;
import java.util.List;

/**
 * What every tokenizer answers straight from its {@link Vocabulary} (sizes, pieces, special ids,
 * stop tokens) and the shape of encoding (BOS, then text split at special tokens), written once;
 * subclasses encode runs of plain text and decode. Immutable; any thread.
 */
abstract class VocabularyTokenizer implements Tokenizer {
    protected final Vocabulary vocabulary;
    /** User text: only user-defined tokens are matched literally. */
    private final SpecialTokenSplitter userDefinedTokens;
    /** Rendered templates: control tokens are matched too. */
    private final SpecialTokenSplitter allSpecialTokens;

    VocabularyTokenizer(Vocabulary vocabulary) {
        this.vocabulary = vocabulary;
        this.userDefinedTokens = SpecialTokenSplitter.of(vocabulary, EnumSet.of(TokenType.USER_DEFINED));
        this.allSpecialTokens = SpecialTokenSplitter.of(vocabulary,
                EnumSet.of(TokenType.USER_DEFINED, TokenType.CONTROL, TokenType.UNKNOWN));
    }

    /** Appends the ids of a run of plain text; {@code afterSpecial}: it starts the text or follows a special token. */
    abstract void encodeText(String text, boolean afterSpecial, IntArrayBuilder out);

    @Override
    public int[] encode(String text, boolean addBos) {
        return encode(userDefinedTokens, text, addBos);
    }

    @Override
    public int[] encodeWithSpecialTokens(String text, boolean addBos) {
        return encode(allSpecialTokens, text, addBos);
    }

    private int[] encode(SpecialTokenSplitter splitter, String text, boolean addBos) {
        IntArrayBuilder out = new IntArrayBuilder(text.length() / 3 + 2);
        if (addBos && vocabulary.addBos()) {
            out.add(vocabulary.bosId());
        }
        boolean afterSpecial = true;
        for (SpecialTokenSplitter.Fragment fragment : splitter.split(text)) {
            if (fragment.isToken()) {
                out.add(fragment.tokenId());
                afterSpecial = true;
            } else {
                encodeText(fragment.text(), afterSpecial, out);
                afterSpecial = false;
            }
        }
        return out.toArray();
    }

    @Override
    public int vocabularySize() {
        return vocabulary.size();
    }

    @Override
    public String piece(int id) {
        return vocabulary.piece(id);
    }

    @Override
    public int tokenId(String piece) {
        return vocabulary.id(piece);
    }

    @Override
    public int bosId() {
        return vocabulary.bosId();
    }

    @Override
    public int eosId() {
        return vocabulary.eosId();
    }

    @Override
    public boolean addsBos() {
        return vocabulary.addBos();
    }

    @Override
    public List<Integer> stopTokenIds() {
        return vocabulary.stopIds();
    }

    @Override
    public boolean isSpecial(int id) {
        return vocabulary.type(id).isSpecial();
    }

    /** The type of token {@code id}. */
    public TokenType tokenType(int id) {
        return vocabulary.type(id);
    }
}
