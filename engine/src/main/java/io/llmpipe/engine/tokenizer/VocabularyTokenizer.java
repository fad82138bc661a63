package io.llmpipe.engine.tokenizer;

import java.util.List;

/**
 * What every tokenizer answers straight from its {@link Vocabulary} (sizes, pieces, special ids,
 * stop tokens), written once; subclasses add encoding and decoding. Immutable; any thread.
 */
abstract class VocabularyTokenizer implements Tokenizer {
    protected final Vocabulary vocabulary;

    VocabularyTokenizer(Vocabulary vocabulary) {
        this.vocabulary = vocabulary;
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
