package io.llmpipe.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmpipe.engine.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class TokenizersTest {
    @TempDir
    Path temp;

    /** GGUF metadata for the synthetic byte-level vocabulary of {@link ByteLevelBpeTokenizerTest}. */
    private static GgufBytes gpt2Gguf() {
        return new GgufBytes()
                .put("general.architecture", "qwen2")
                .put("tokenizer.ggml.model", "gpt2")
                .put("tokenizer.ggml.pre", "qwen2")
                .put("tokenizer.ggml.tokens", ByteLevelBpeTokenizerTest.tokens())
                .put("tokenizer.ggml.token_type", ByteLevelBpeTokenizerTest.tokenTypes())
                .put("tokenizer.ggml.merges", ByteLevelBpeTokenizerTest.MERGES)
                .put("tokenizer.ggml.bos_token_id", ByteLevelBpeTokenizerTest.BEGIN)
                .put("tokenizer.ggml.eos_token_id", ByteLevelBpeTokenizerTest.BEGIN)
                .put("tokenizer.ggml.add_bos_token", false);
    }

    /** A tiny SentencePiece vocabulary in GGUF form. */
    private static GgufBytes llamaGguf() {
        String[] tokens = {"<unk>", "<s>", "</s>", "<0x41>", "\u2581", "a", "\u2581a", "<|eot_id|>"};
        return new GgufBytes()
                .put("tokenizer.ggml.model", "llama")
                .put("tokenizer.ggml.tokens", tokens)
                .put("tokenizer.ggml.scores", new float[] {0, 0, 0, 0, -1, -2, -3, 0})
                .put("tokenizer.ggml.token_type", new int[] {2, 3, 3, 6, 1, 1, 1, 3});
    }

    private static void assertFormatError(Executable load, String... fragments) {
        ModelFormatException e = assertThrows(ModelFormatException.class, load);
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), () -> "'" + e.getMessage() + "' should mention '" + fragment + "'");
        }
    }

    @Test
    void buildsByteLevelBpeFromGguf() {
        Tokenizer tokenizer = Tokenizers.fromGGUF(gpt2Gguf().parse());
        ByteLevelBpeTokenizer bpe = assertInstanceOf(ByteLevelBpeTokenizer.class, tokenizer);
        assertEquals("qwen2", bpe.preTokenizerName());
        assertFalse(tokenizer.addsBos());
        assertArrayEquals(new int[] {ByteLevelBpeTokenizerTest.HELLO, ByteLevelBpeTokenizerTest.G_THE}, tokenizer.encode("hello the", true));
        assertArrayEquals(new int[] {ByteLevelBpeTokenizerTest.IM_START, ByteLevelBpeTokenizerTest.HELLO},
                tokenizer.encodeWithSpecialTokens("<|im_start|>hello", true));
        assertEquals(List.of(ByteLevelBpeTokenizerTest.BEGIN, ByteLevelBpeTokenizerTest.IM_END), tokenizer.stopTokenIds(),
                "EOS, then <|im_end|> found by its text");
    }

    @Test
    void llama3PreTokenizerAddsBosByDefault() {
        Tokenizer tokenizer = Tokenizers.fromGGUF(gpt2Gguf().put("tokenizer.ggml.pre", "llama-bpe").remove("tokenizer.ggml.add_bos_token").parse());
        assertTrue(tokenizer.addsBos());
        assertEquals(ByteLevelBpeTokenizerTest.BEGIN, tokenizer.encode("hello", true)[0]);
    }

    @Test
    void buildsSentencePieceFromGguf() {
        Tokenizer tokenizer = Tokenizers.fromGGUF(llamaGguf().put("tokenizer.ggml.eot_token_id", 7).parse());
        assertInstanceOf(SentencePieceTokenizer.class, tokenizer);
        assertEquals(1, tokenizer.bosId(), "llama default");
        assertEquals(2, tokenizer.eosId(), "llama default");
        assertArrayEquals(new int[] {1, 6, 4, 3}, tokenizer.encode("a A", true), "▁a ▁ then A by byte fallback");
        assertEquals("a A", tokenizer.decode(tokenizer.encode("a A", true)));
        assertEquals(List.of(2, 7), tokenizer.stopTokenIds());
        assertArrayEquals(new int[] {7, 6}, tokenizer.encodeWithSpecialTokens("<|eot_id|>a", false), "a space prefix follows a special token");
        Tokenizer noBos = Tokenizers.fromGGUF(llamaGguf().put("tokenizer.ggml.add_bos_token", false).parse());
        assertArrayEquals(new int[] {6}, noBos.encode("a", true));
        Tokenizer noPrefix = Tokenizers.fromGGUF(llamaGguf().put("tokenizer.ggml.add_space_prefix", false).parse());
        assertArrayEquals(new int[] {5}, noPrefix.encode("a", false));
    }

    @Test
    void refusesBadGgufMetadata() {
        assertFormatError(() -> Tokenizers.fromGGUF(gpt2Gguf().remove("tokenizer.ggml.model").parse()), "test.gguf", "tokenizer.ggml.model");
        assertFormatError(() -> Tokenizers.fromGGUF(gpt2Gguf().put("tokenizer.ggml.model", "t5").parse()), "'t5'", "not supported");
        assertFormatError(() -> Tokenizers.fromGGUF(gpt2Gguf().remove("tokenizer.ggml.tokens").parse()), "tokenizer.ggml.tokens");
        assertFormatError(() -> Tokenizers.fromGGUF(gpt2Gguf().put("tokenizer.ggml.tokens", new String[0]).parse()), "empty");
        assertFormatError(() -> Tokenizers.fromGGUF(gpt2Gguf().remove("tokenizer.ggml.merges").parse()), "tokenizer.ggml.merges");
        assertFormatError(() -> Tokenizers.fromGGUF(gpt2Gguf().put("tokenizer.ggml.merges", new String[] {"ab"}).parse()), "merge 0", "'ab'");
        assertFormatError(() -> Tokenizers.fromGGUF(gpt2Gguf().put("tokenizer.ggml.pre", "klingon").parse()), "'klingon'");
        assertFormatError(() -> Tokenizers.fromGGUF(gpt2Gguf().put("tokenizer.ggml.token_type", new int[] {1, 1}).parse()),
                "token_type", "2 entries", "267");
        int[] badType = ByteLevelBpeTokenizerTest.tokenTypes();
        badType[5] = 9;
        assertFormatError(() -> Tokenizers.fromGGUF(gpt2Gguf().put("tokenizer.ggml.token_type", badType).parse()), "token 5", "type 9");
        assertFormatError(() -> Tokenizers.fromGGUF(gpt2Gguf().put("tokenizer.ggml.eos_token_id", 999).parse()), "eos_token_id", "999");
        assertFormatError(() -> Tokenizers.fromGGUF(gpt2Gguf().remove("tokenizer.ggml.bos_token_id").put("tokenizer.ggml.add_bos_token", true).parse()),
                "BOS");
        assertFormatError(() -> Tokenizers.fromGGUF(llamaGguf().put("tokenizer.ggml.scores", new float[] {0, 0}).parse()),
                "tokenizer.ggml.scores", "2 entries", "8");
        assertFormatError(() -> Tokenizers.fromGGUF(llamaGguf().remove("tokenizer.ggml.scores").parse()), "tokenizer.ggml.scores");
        assertFormatError(() -> Tokenizers.fromGGUF(llamaGguf().put("tokenizer.ggml.scores", "high").parse()), "tokenizer.ggml.scores");
        assertFormatError(() -> Tokenizers.fromGGUF(llamaGguf().put("tokenizer.ggml.token_type", new int[] {2, 3, 3, 7, 1, 1, 1, 3}).parse()), "token 3");
    }

    @Test
    void readsLlama2cFilesToTheEnd() {
        SentencePieceTokenizer tokenizer = Tokenizers.fromLlama2c(SharedModels.file("tok512.bin"));
        assertEquals(512, tokenizer.vocabularySize());
        assertDoesNotThrow(() -> Tokenizers.checkMatches(tokenizer, 512, "stories260K.bin"));
    }

    @Test
    void refusesALlama2cTokenizerOfAnotherModel() {
        assertFormatError(() -> Tokenizers.fromLlama2c(SharedModels.file("tok512.bin"), 32000), "tok512.bin", "truncated at token 512 of 32000");
        assertFormatError(() -> Tokenizers.fromLlama2c(SharedModels.file("tokenizer.bin"), 512), "tokenizer.bin", "bytes remain", "512");
        assertFormatError(() -> Tokenizers.fromLlama2c(SharedModels.file("tokenizer.bin"), 0), "not positive");
    }

    @Test
    void checkMatchesNamesBothSizes() {
        SentencePieceTokenizer tokenizer = Tokenizers.fromLlama2c(SharedModels.file("tok512.bin"), 512);
        assertFormatError(() -> Tokenizers.checkMatches(tokenizer, 32000, "stories15M.bin"), "stories15M.bin", "512", "32000", "different model");
    }

    @Test
    void refusesCorruptLlama2cFiles() throws IOException {
        byte[] good = Files.readAllBytes(SharedModels.file("tok512.bin"));
        Path truncated = temp.resolve("truncated.bin");
        Files.write(truncated, Arrays.copyOf(good, good.length - 3));
        assertFormatError(() -> Tokenizers.fromLlama2c(truncated, 512), "truncated.bin", "token 511");
        assertFormatError(() -> Tokenizers.fromLlama2c(truncated), "truncated.bin", "token 511");

        Path empty = temp.resolve("empty.bin");
        Files.write(empty, new byte[0]);
        assertFormatError(() -> Tokenizers.fromLlama2c(empty, 512), "empty.bin", "empty or truncated");

        Path absurd = temp.resolve("absurd.bin");
        byte[] bad = good.clone();
        bad[3] = 0x7F; // max_token_length becomes huge
        Files.write(absurd, bad);
        assertFormatError(() -> Tokenizers.fromLlama2c(absurd, 512), "max_token_length");

        Path longToken = temp.resolve("long.bin");
        byte[] tooLong = good.clone();
        tooLong[8] = 100; // token 0's length: more than max_token_length 7
        Files.write(longToken, tooLong);
        assertFormatError(() -> Tokenizers.fromLlama2c(longToken, 512), "token 0", "length 100");

        assertFormatError(() -> Tokenizers.fromLlama2c(temp.resolve("missing.bin"), 512), "missing.bin");
    }
}
