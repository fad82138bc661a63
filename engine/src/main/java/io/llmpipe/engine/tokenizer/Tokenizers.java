package io.llmpipe.engine.tokenizer;

import io.llmpipe.engine.gguf.GGUF;
import java.nio.file.Path;
import java.util.List;

/** TEMPORARY stub until the tokenizer branch is merged. */
public final class Tokenizers {
    public static Tokenizer fromLlama2c(Path p, int vocab) { return stub(vocab); }
    public static Tokenizer fromGGUF(GGUF g) { return stub(g.getStringArray("tokenizer.ggml.tokens").length); }
    private static Tokenizer stub(int vocab) {
        return new Tokenizer() {
            public int vocabularySize() { return vocab; }
            public int[] encode(String t, boolean b) { throw new UnsupportedOperationException(); }
            public int[] encodeWithSpecialTokens(String t, boolean b) { throw new UnsupportedOperationException(); }
            public String decode(int id) { return ""; }
            public String decode(int[] ids) { return ""; }
            public String piece(int id) { return ""; }
            public int tokenId(String p) { return -1; }
            public int bosId() { return 1; }
            public int eosId() { return 2; }
            public List<Integer> stopTokenIds() { return List.of(2); }
            public boolean isSpecial(int id) { return false; }
        };
    }
}
