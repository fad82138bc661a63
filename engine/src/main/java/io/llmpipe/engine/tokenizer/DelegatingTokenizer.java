package io.llmpipe.engine.tokenizer;

import java.util.List;

/** Forwards every call to another tokenizer; subclasses override what differs. */
class DelegatingTokenizer implements Tokenizer {
    private final Tokenizer t;

    DelegatingTokenizer(Tokenizer t) {
        this.t = t;
    }

    @Override public int vocabularySize() { return t.vocabularySize(); }
    @Override public int[] encode(String text, boolean addBos) { return t.encode(text, addBos); }
    @Override public int[] encodeWithSpecialTokens(String text, boolean addBos) { return t.encodeWithSpecialTokens(text, addBos); }
    @Override public String decode(int id) { return t.decode(id); }
    @Override public String decode(int[] ids) { return t.decode(ids); }
    @Override public byte[] bytes(int id) { return t.bytes(id); }
    @Override public boolean addsDummyPrefix() { return t.addsDummyPrefix(); }
    @Override public boolean addBosByDefault() { return t.addBosByDefault(); }
    @Override public String piece(int id) { return t.piece(id); }
    @Override public int tokenId(String piece) { return t.tokenId(piece); }
    @Override public int bosId() { return t.bosId(); }
    @Override public int eosId() { return t.eosId(); }
    @Override public List<Integer> stopTokenIds() { return t.stopTokenIds(); }
    @Override public boolean isSpecial(int id) { return t.isSpecial(id); }
}
