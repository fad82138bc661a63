package io.llmpipe.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;

/** Byte-level BPE on a small vocabulary built here, and the pre-tokenizer patterns. */
class ByteLevelBpeTokenizerTest {

    /** GPT-2's byte-to-character map, computed independently of the tokenizer. */
    static String byteChar(int b) {
        int n = 0;
        for (int x = 0; x < 256; x++) {
            boolean printable = (x >= 33 && x <= 126) || (x >= 161 && x <= 172) || (x >= 174);
            if (x == b) {
                return String.valueOf((char) (printable ? x : 256 + n));
            }
            if (!printable) {
                n++;
            }
        }
        throw new AssertionError();
    }

    static final String[] EXTRA = {"he", "ll", "hell", "hello", "\u0120w", "\u0120wor", "<|im_start|>", "<|im_end|>"};
    static final String[] MERGES = {"h e", "l l", "he ll", "hell o", "\u0120 w", "\u0120w o", "\u0120wo r"};

    static ByteLevelBpeTokenizer tokenizer() {
        List<String> tokens = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            tokens.add(byteChar(b));
        }
        tokens.addAll(List.of(EXTRA));
        tokens.add("\u0120wo");
        int[] types = new int[tokens.size()];
        java.util.Arrays.fill(types, 1);
        types[256 + 6] = 3;
        types[256 + 7] = 3;
        String[] merges = {"h e", "l l", "he ll", "hell o", "\u0120 w", "\u0120w o", "\u0120wo r"};
        return new ByteLevelBpeTokenizer(tokens.toArray(String[]::new), types, merges,
                ByteLevelBpeTokenizer.PreTokenizer.GPT2, -1, 256 + 7, false, List.of());
    }

    @Test
    void mergesByRankWithinPreTokens() {
        ByteLevelBpeTokenizer t = tokenizer();
        int hello = 256 + 3, wo = 264; // "Ġwo" appended last
        // "hello world" -> "hello" | " world" -> [hello] [Ġwor? no: "Ġwo r" needs "Ġwor" in vocab -> yes (index 256+5)]
        int[] ids = t.encode("hello world", false);
        assertArrayEquals(new int[]{hello, 256 + 5, 'l', 'd'}, ids);
        assertEquals("hello world", t.decode(ids));
        // bytes outside ASCII round-trip through the byte map
        int[] u = t.encode("h\u00e9!", false);
        assertEquals("h\u00e9!", t.decode(u));
        assertEquals(wo, t.tokenId("\u0120wo"));
    }

    @Test
    void specialTokensAreMatchedOnlyWhenAsked() {
        ByteLevelBpeTokenizer t = tokenizer();
        int[] special = t.encodeWithSpecialTokens("<|im_start|>hello<|im_end|>", false);
        assertArrayEquals(new int[]{256 + 6, 256 + 3, 256 + 7}, special);
        int[] plain = t.encode("<|im_start|>", false);
        assertEquals("<|im_start|>", t.decode(plain));
        assertEquals(true, plain.length > 1, "user text never becomes a control token");
        assertEquals("", t.decode(256 + 7), "control tokens decode to nothing");
        assertEquals(List.of(256 + 7), t.stopTokenIds());
    }

    private static List<String> split(ByteLevelBpeTokenizer.PreTokenizer pre, String text) {
        Matcher m = pre.pattern.matcher(text);
        List<String> parts = new ArrayList<>();
        while (m.find()) {
            parts.add(m.group());
        }
        return parts;
    }

    @Test
    void preTokenizerPatterns() {
        assertEquals(List.of("I", "'m", " ", "123", "45", " cats", "\n\n", "yes"),
                split(ByteLevelBpeTokenizer.PreTokenizer.LLAMA3, "I'm 12345 cats\n\nyes"));
        assertEquals(List.of("I", "'M", " ", "1", "2", "3", " cats"),
                split(ByteLevelBpeTokenizer.PreTokenizer.QWEN2, "I'M 123 cats"));
        assertEquals(List.of("I", "'m", " 12345", " cats", "  ", " x"),
                split(ByteLevelBpeTokenizer.PreTokenizer.GPT2, "I'm 12345 cats   x"));
        // Unicode white space counts as space (Python's \s)
        assertEquals(List.of("a", "\u3000", "b"), split(ByteLevelBpeTokenizer.PreTokenizer.GPT2, "a\u3000b"));
    }
}
