package io.llmpipe.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmpipe.engine.gguf.GGUF;
import java.lang.foreign.Arena;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SentencePieceTokenizerTest {
    private static final SentencePieceTokenizer TOK512 = Tokenizers.fromLlama2c(SharedModels.file("tok512.bin"), 512);
    private static final SentencePieceTokenizer LLAMA2 = Tokenizers.fromLlama2c(SharedModels.file("tokenizer.bin"), 32000);

    private static SentencePieceTokenizer byFile(String file) {
        return file.equals("tok512.bin") ? TOK512 : LLAMA2;
    }

    @ParameterizedTest
    @ValueSource(strings = {"tok512.bin", "tokenizer.bin"})
    void encodesEveryGoldenStringLikeRunC(String file) {
        JsonNode golden = SharedModels.json("tokenizers.golden.json").get("tokenizers").get(file);
        SentencePieceTokenizer tokenizer = byFile(file);
        assertEquals(golden.get("vocab_size").asInt(), tokenizer.vocabularySize());
        assertEquals(11, golden.get("encodings").size());
        for (JsonNode encoding : golden.get("encodings")) {
            String text = encoding.get("text").asText();
            assertArrayEquals(SharedModels.ints(encoding.get("token_ids")), tokenizer.encode(text, true), () -> file + ": " + text);
        }
    }

    @Test
    void encodesTheStories260kPromptsLikeRunC() {
        for (JsonNode run : SharedModels.json("stories260K.golden.json").get("runs")) {
            String prompt = run.get("prompt").asText();
            assertArrayEquals(SharedModels.ints(run.get("prompt_token_ids")), TOK512.encode(prompt, true), prompt);
        }
    }

    @Test
    void decodesTheStories260kRunsToRunCsOutput() {
        for (JsonNode run : SharedModels.json("stories260K.golden.json").get("runs")) {
            int[] prompt = SharedModels.ints(run.get("prompt_token_ids"));
            int[] generated = SharedModels.ints(run.get("generated_token_ids"));
            int[] all = IntStream.concat(Arrays.stream(prompt), Arrays.stream(generated)).toArray();
            // run.c echoes the prompt pieces, then the generated ones, then a newline
            assertEquals(run.get("run_c_stdout").asText(), TOK512.decode(all) + "\n", run.get("prompt").asText());
        }
    }

    @Test
    void ggufVocabularyEncodesLikeTheLlama2cFile() {
        try (Arena arena = Arena.ofConfined()) {
            Tokenizer fromGguf = Tokenizers.fromGGUF(GGUF.open(SharedModels.file("stories260K.gguf"), arena));
            assertTrue(fromGguf instanceof SentencePieceTokenizer);
            assertEquals(512, fromGguf.vocabularySize());
            assertEquals(1, fromGguf.bosId());
            assertEquals(2, fromGguf.eosId());
            assertEquals("\u2581t", fromGguf.piece(259));
            JsonNode golden = SharedModels.json("tokenizers.golden.json").get("tokenizers").get("tok512.bin");
            for (JsonNode encoding : golden.get("encodings")) {
                String text = encoding.get("text").asText();
                assertArrayEquals(SharedModels.ints(encoding.get("token_ids")), fromGguf.encode(text, true), text);
                assertArrayEquals(TOK512.encode(text, true), fromGguf.encode(text, true), text);
            }
            int[] ids = TOK512.encode("Once upon a time, 你好!", true);
            assertEquals(TOK512.decode(ids), fromGguf.decode(ids));
            assertEquals("Once upon a time, 你好!", fromGguf.decode(ids));
            for (int id = 0; id < 512; id++) {
                assertEquals(TOK512.decode(id), fromGguf.decode(id), "token " + id);
                assertEquals(TOK512.isSpecial(id), fromGguf.isSpecial(id), "token " + id);
            }
            assertEquals(List.of(2), fromGguf.stopTokenIds());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tok512.bin", "tokenizer.bin"})
    void matchesALiteralRunCTranscriptionOnRandomText(String file) {
        SentencePieceTokenizer tokenizer = byFile(file);
        float[] scores = new float[tokenizer.vocabularySize()];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = tokenizer.score(i);
        }
        RunCReference reference = new RunCReference(tokenizer, scores);
        String[] parts = {"the", " ", "  ", "cat", "Once", "upon", "a", "time", ",", ".", "\n", "\t", "é", "你好", "🙂",
            "ing", "ed", "Lily", "x", "123", "<s>", "</s>", "<0x41>", "\u2581", "'s", "Ω"};
        Random random = new Random(42);
        for (int round = 0; round < 300; round++) {
            StringBuilder text = new StringBuilder();
            int words = random.nextInt(40);
            for (int w = 0; w < words; w++) {
                text.append(parts[random.nextInt(parts.length)]);
            }
            String s = text.toString();
            assertArrayEquals(reference.encode(s, true), tokenizer.encode(s, true), () -> file + ": " + s);
        }
    }

    @Test
    void encodesLongTextQuickly() {
        String paragraph = SharedModels.json("stories260K.golden.json").get("runs").get(0).get("generated_text").asText();
        String text = paragraph.repeat(300); // about 200,000 characters, 40,000+ tokens
        int[] ids = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> LLAMA2.encode(text, true));
        assertTrue(ids.length > 40_000, "tokens: " + ids.length);
        assertEquals(text, LLAMA2.decode(ids));
        int[] small = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> TOK512.encode(text, true));
        assertTrue(small.length > 50_000, "tokens: " + small.length);
        assertEquals(text, TOK512.decode(small));
    }

    @Test
    void emptyTextIsJustBos() {
        assertArrayEquals(new int[] {1}, TOK512.encode("", true));
        assertArrayEquals(new int[0], TOK512.encode("", false));
        assertArrayEquals(new int[] {403, 407, 261, 378}, TOK512.encode("Once upon a time", false));
    }

    @Test
    void decodesSinglePieces() {
        assertEquals(" t", TOK512.decode(259));
        assertEquals(" ", TOK512.decode(410));
        assertEquals("A", TOK512.decode(0x41 + 3));
        assertEquals("\n", TOK512.decode(13));
        assertEquals("\uFFFD", TOK512.decode(0xE4 + 3), "a lone lead byte is not text");
        assertEquals("", TOK512.decode(1), "BOS");
        assertEquals("", TOK512.decode(2), "EOS");
        assertEquals("", TOK512.decode(0), "unknown");
        assertEquals("\n<s>\n", TOK512.piece(1));
        assertThrows(IllegalArgumentException.class, () -> TOK512.decode(512));
        assertThrows(IllegalArgumentException.class, () -> TOK512.decode(-1));
    }

    @Test
    void dropsTheLeadingSpaceOnlyRightAfterBos() {
        int[] withBos = TOK512.encode("Once upon a time", true);
        assertEquals("Once upon a time", TOK512.decode(withBos));
        int[] withoutBos = TOK512.encode("Once upon a time", false);
        assertEquals(" Once upon a time", TOK512.decode(withoutBos));
        assertArrayEquals(new byte[] {'O', 'n', 'c', 'e'}, TOK512.decodeBytes(1, 403));
        assertArrayEquals(new byte[] {' ', 'O', 'n', 'c', 'e'}, TOK512.decodeBytes(-1, 403));
        assertArrayEquals(new byte[] {' '}, TOK512.decodeBytes(1, 0x20 + 3), "a byte piece keeps its space, as in run.c");
    }

    @Test
    void joinsByteFallbackPiecesIntoCharacters() {
        int[] ids = TOK512.encode("Tom said 你好 to", true);
        assertArrayEquals(new int[] {1, 274, 287, 336, 410, 231, 192, 163, 232, 168, 192, 267}, ids);
        assertEquals("Tom said 你好 to", TOK512.decode(ids));
        assertEquals("🙂", TOK512.decode(Arrays.copyOfRange(TOK512.encode("🙂", true), 2, 6)));
    }

    @Test
    void specialTokenTextStaysTextUnlessAsked() {
        SentencePieceTokenizer tokenizer = LLAMA2;
        int[] plain = tokenizer.encode("<unk>", false);
        assertFalse(Arrays.stream(plain).anyMatch(tokenizer::isSpecial));
        assertEquals(" <unk>", tokenizer.decode(plain));
        // encodeWithSpecialTokens matches the literal piece of a control token
        int[] special = tokenizer.encodeWithSpecialTokens("a\n</s>\nb", false);
        assertTrue(Arrays.stream(special).anyMatch(id -> id == 2), Arrays.toString(special));
        assertEquals(" a b", tokenizer.decode(special).replace("\n", ""));
    }

    @Test
    void reportsSpecialIdsAndStopTokens() {
        assertEquals(1, LLAMA2.bosId());
        assertEquals(2, LLAMA2.eosId());
        assertTrue(LLAMA2.addsBos());
        assertEquals(List.of(2, 1), LLAMA2.stopTokenIds(), "run.c stops on BOS; EOS ends a text");
        assertTrue(LLAMA2.isSpecial(1));
        assertTrue(LLAMA2.isSpecial(0));
        assertFalse(LLAMA2.isSpecial(3));
        assertEquals(TokenType.BYTE, LLAMA2.tokenType(3));
        assertEquals(29871, LLAMA2.tokenId(" "));
        assertEquals(-1, LLAMA2.tokenId("no such piece"));
    }
}
