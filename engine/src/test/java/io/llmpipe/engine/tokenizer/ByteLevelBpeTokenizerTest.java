package io.llmpipe.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A hand-made byte-level vocabulary: ids 0..255 are the single bytes (id = byte value, written
 * in GPT-2's byte-to-character form), then a few merged pieces and special tokens. Expected ids
 * are worked out by hand in the comments.
 */
class ByteLevelBpeTokenizerTest {
    static final int HE = 256;        // "h e"
    static final int LL = 257;        // "l l"
    static final int G_T = 258;       // "Ġ t"
    static final int G_THE = 259;     // "Ġt he"
    static final int HELL = 260;      // "he ll"
    static final int HELLO = 261;     // "hell o"
    static final int G_WORLD = 262;   // no merge leads here: reachable only by Llama 3's whole-word lookup
    static final int BEGIN = 263;     // <|begin_of_text|>, control
    static final int IM_START = 264;  // <|im_start|>, control
    static final int IM_END = 265;    // <|im_end|>, control
    static final int THINK = 266;     // <think>, user-defined
    static final String[] MERGES = {"h e", "l l", "Ġ t", "Ġt he", "he ll", "hell o", "a b"}; // "ab" is no token

    static String[] tokens() {
        List<String> tokens = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            tokens.add(String.valueOf(ByteLevelEncoding.charOf(b)));
        }
        tokens.addAll(List.of("he", "ll", "Ġt", "Ġthe", "hell", "hello", "Ġworld",
                "<|begin_of_text|>", "<|im_start|>", "<|im_end|>", "<think>"));
        return tokens.toArray(String[]::new);
    }

    static int[] tokenTypes() {
        int[] types = new int[tokens().length];
        Arrays.fill(types, 1);
        types[BEGIN] = 3;
        types[IM_START] = 3;
        types[IM_END] = 3;
        types[THINK] = 4;
        return types;
    }

    static ByteLevelBpeTokenizer tokenizer(String pre, boolean addBos) {
        String[] tokens = tokens();
        TokenType[] types = Arrays.stream(tokenTypes()).mapToObj(TokenType::fromId).toArray(TokenType[]::new);
        Vocabulary vocabulary = new Vocabulary("synthetic", tokens, types, null, BEGIN, IM_END, -1, addBos, List.of());
        return new ByteLevelBpeTokenizer(vocabulary, MERGES, PreTokenizer.forName(pre, "synthetic"));
    }

    private static final ByteLevelBpeTokenizer GPT2 = tokenizer("gpt2", false);
    private static final ByteLevelBpeTokenizer LLAMA3 = tokenizer("llama-bpe", true);

    @Test
    void mergesByRank() {
        // "hello": h e l l o -> (h,e) rank 0 -> he l l o -> (l,l) rank 1 -> he ll o -> (he,ll) rank 4 -> hell o -> hello
        // " the": Ġ t h e -> (h,e) rank 0 -> Ġ t he -> (Ġ,t) rank 2 -> Ġt he -> (Ġt,he) rank 3 -> Ġthe
        assertArrayEquals(new int[] {HELLO, G_THE}, GPT2.encode("hello the", false));
        // "hhe": (h,h) is no merge, (h,e) is -> h he
        assertArrayEquals(new int[] {'h', HE}, GPT2.encode("hhe", false));
        // "hellll": he ll ll -> (he,ll) merges the left pair first -> hell ll
        assertArrayEquals(new int[] {HELL, LL}, GPT2.encode("hellll", false));
        // " t" alone: Ġt
        assertArrayEquals(new int[] {G_T}, GPT2.encode(" t", false));
    }

    @Test
    void aMergedPieceMissingFromTheVocabularyFallsBackToBytes() {
        // merge "a b" exists but "ab" is no token
        assertArrayEquals(new int[] {'a', 'b'}, GPT2.encode("ab", false));
    }

    @Test
    void encodesBytesOfNonAsciiText() {
        // é is C3 A9; each byte is its own token (id = byte value)
        assertArrayEquals(new int[] {0xC3, 0xA9}, GPT2.encode("é", false));
        // " 🙂" is Ġ then F0 9F 99 82
        assertArrayEquals(new int[] {' ', 0xF0, 0x9F, 0x99, 0x82}, GPT2.encode(" 🙂", false));
        assertEquals("é 🙂", GPT2.decode(GPT2.encode("é 🙂", false)));
    }

    @Test
    void llama3TakesWholeWordsFromTheVocabulary() {
        // " world" is the piece Ġworld, which no merge reaches
        assertArrayEquals(new int[] {BEGIN, HELLO, G_WORLD}, LLAMA3.encode("hello world", true));
        // GPT-2 rules merge: no merges apply inside " world", so it stays bytes
        int[] gpt2 = GPT2.encode(" world", false);
        assertArrayEquals(new int[] {' ', 'w', 'o', 'r', 'l', 'd'}, gpt2);
    }

    @Test
    void bosOnlyWhenTheModelAddsIt() {
        assertTrue(LLAMA3.addsBos());
        assertFalse(GPT2.addsBos());
        assertArrayEquals(new int[] {HELLO}, GPT2.encode("hello", true), "Qwen-style: add_bos_token false");
        assertArrayEquals(new int[] {BEGIN, HELLO}, LLAMA3.encode("hello", true));
        assertArrayEquals(new int[] {HELLO}, LLAMA3.encode("hello", false));
    }

    @Test
    void matchesSpecialTokensOnlyWhenAsked() {
        String text = "<|im_start|>hello<|im_end|>";
        assertArrayEquals(new int[] {IM_START, HELLO, IM_END}, GPT2.encodeWithSpecialTokens(text, false));
        int[] plain = GPT2.encode(text, false);
        assertFalse(Arrays.stream(plain).anyMatch(id -> id >= BEGIN), Arrays.toString(plain));
        assertEquals(text, GPT2.decode(plain));
        // "<|", "im", "_", "start", "|>", "hello", ... by the GPT-2 pre-tokenizer: first word "<|"
        assertArrayEquals(new int[] {'<', '|'}, Arrays.copyOf(plain, 2));
    }

    @Test
    void userDefinedTokensAreAlwaysMatched() {
        assertArrayEquals(new int[] {THINK, HELLO}, GPT2.encode("<think>hello", false));
        assertEquals("<think>hello", GPT2.decode(new int[] {THINK, HELLO}));
    }

    @Test
    void longerSpecialTokensWinOverShorterOnes() {
        String[] tokens = Arrays.copyOf(tokens(), tokens().length + 1);
        tokens[tokens.length - 1] = "<|im_start|>user";
        TokenType[] types = new TokenType[tokens.length];
        Arrays.fill(types, TokenType.NORMAL);
        types[IM_START] = TokenType.CONTROL;
        types[tokens.length - 1] = TokenType.CONTROL;
        Vocabulary vocabulary = new Vocabulary("synthetic", tokens, types, null, -1, -1, -1, false, List.of());
        ByteLevelBpeTokenizer tokenizer = new ByteLevelBpeTokenizer(vocabulary, MERGES, PreTokenizer.forName("gpt2", "t"));
        assertArrayEquals(new int[] {tokens.length - 1, IM_START}, tokenizer.encodeWithSpecialTokens("<|im_start|>user<|im_start|>", false));
    }

    @Test
    void decodesPieces() {
        assertEquals(" the", GPT2.decode(G_THE));
        assertEquals("", GPT2.decode(IM_START));
        assertEquals("<think>", GPT2.decode(THINK));
        assertEquals("\uFFFD", GPT2.decode(0xC3), "a lone lead byte is not text");
        assertEquals("hello the", GPT2.decode(new int[] {HELLO, G_THE}));
        assertEquals("hello", GPT2.decode(new int[] {IM_START, HELLO, IM_END}));
        assertArrayEquals(new byte[] {(byte) 0xC3}, GPT2.decodeBytes(-1, 0xC3));
        assertArrayEquals(" the".getBytes(), GPT2.decodeBytes(BEGIN, G_THE), "no leading-space rule for byte-level BPE");
        assertEquals("Ġthe", GPT2.piece(G_THE));
        assertEquals(G_THE, GPT2.tokenId("Ġthe"));
    }

    @Test
    void reportsSpecialTokensAndStops() {
        assertTrue(GPT2.isSpecial(IM_START));
        assertFalse(GPT2.isSpecial(THINK));
        assertFalse(GPT2.isSpecial(HELLO));
        assertEquals(List.of(IM_END), GPT2.stopTokenIds(), "EOS, which is also <|im_end|>");
        assertEquals(BEGIN, GPT2.bosId());
        assertEquals(IM_END, GPT2.eosId());
        assertEquals(267, GPT2.vocabularySize());
        assertEquals("gpt2", GPT2.preTokenizerName());
    }

    @Test
    void encodesLongTextQuickly() {
        String text = "hello the hellll world, 12345 naïve 🙂\n".repeat(5_000) + "hello".repeat(20_000);
        int[] ids = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> LLAMA3.encode(text, false));
        assertTrue(ids.length > 100_000, "tokens: " + ids.length);
        assertEquals(text, LLAMA3.decode(ids));
    }

    @Test
    void roundTripsArbitraryText() {
        String text = "Grüße, 世界! \t\n  code: x += 1;\r\n🙂🙂 <|im_end|> don't 12345";
        assertEquals(text, GPT2.decode(GPT2.encode(text, false)));
        assertEquals(text, LLAMA3.decode(LLAMA3.encode(text, false)));
        assertEquals(text, tokenizer("qwen2", false).decode(tokenizer("qwen2", false).encode(text, false)));
    }
}
