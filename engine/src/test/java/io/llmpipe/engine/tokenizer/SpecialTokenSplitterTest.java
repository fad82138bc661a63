package io.llmpipe.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class SpecialTokenSplitterTest {
    private static final Vocabulary VOCABULARY = new Vocabulary("test",
            new String[] {"a", "<|x|>", "<|x|>y", "<u>", ""},
            new TokenType[] {TokenType.NORMAL, TokenType.CONTROL, TokenType.CONTROL, TokenType.USER_DEFINED, TokenType.CONTROL},
            null, -1, -1, -1, false, List.of());

    private static List<SpecialTokenSplitter.Fragment> split(String text) {
        return SpecialTokenSplitter.of(VOCABULARY, EnumSet.of(TokenType.CONTROL, TokenType.USER_DEFINED)).split(text);
    }

    private static SpecialTokenSplitter.Fragment text(String s) {
        return SpecialTokenSplitter.Fragment.ofText(s);
    }

    private static SpecialTokenSplitter.Fragment token(int id) {
        return SpecialTokenSplitter.Fragment.ofToken(id);
    }

    @Test
    void cutsTextAtSpecialPieces() {
        assertEquals(List.of(text("hi "), token(1), text(" there")), split("hi <|x|> there"));
        assertEquals(List.of(token(1), token(3), token(1)), split("<|x|><u><|x|>"));
        assertEquals(List.of(text("plain")), split("plain"));
        assertEquals(List.of(), split(""));
    }

    @Test
    void longerPiecesWin() {
        assertEquals(List.of(token(2), text("z"), token(1)), split("<|x|>yz<|x|>"));
    }

    @Test
    void onlyTheRequestedTypesAreMatched() {
        SpecialTokenSplitter userOnly = SpecialTokenSplitter.of(VOCABULARY, EnumSet.of(TokenType.USER_DEFINED));
        assertEquals(List.of(text("<|x|>"), token(3)), userOnly.split("<|x|><u>"));
    }
}
