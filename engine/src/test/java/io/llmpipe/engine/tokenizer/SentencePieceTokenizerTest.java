package io.llmpipe.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmpipe.engine.ModelFormatException;
import io.llmpipe.engine.SharedData;
import io.llmpipe.engine.gguf.GGUF;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** llama2.c's run.c encodings (tokenizers.golden.json) for both vocabularies, and the GGUF form of tok512. */
class SentencePieceTokenizerTest {

    private static JsonNode golden() throws IOException {
        return new ObjectMapper().readTree(SharedData.models().resolve("tokenizers.golden.json").toFile());
    }

    private static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = a.get(i).asInt();
        }
        return r;
    }

    @Test
    void everyGoldenEncodingOfBothTokenizers() throws IOException {
        JsonNode tokenizers = golden().get("tokenizers");
        int checked = 0;
        for (String file : new String[]{"tokenizer.bin", "tok512.bin"}) {
            JsonNode t = tokenizers.get(file);
            Tokenizer tok = Tokenizers.fromLlama2c(SharedData.models().resolve(file), t.get("vocab_size").asInt());
            for (JsonNode e : t.get("encodings")) {
                String text = e.get("text").asText();
                assertArrayEquals(ints(e.get("token_ids")), tok.encode(text, true), file + ": \"" + text + "\"");
                checked++;
            }
        }
        assertEquals(22, checked);
    }

    @Test
    void ggufTokenizerOfStories260KEncodesLikeTok512() throws IOException {
        Tokenizer bin = Tokenizers.fromLlama2c(SharedData.models().resolve("tok512.bin"), 512);
        try (Arena arena = Arena.ofConfined()) {
            Tokenizer gguf = Tokenizers.fromGGUF(GGUF.open(SharedData.models().resolve("stories260K.gguf"), arena));
            for (JsonNode e : golden().get("tokenizers").get("tok512.bin").get("encodings")) {
                String text = e.get("text").asText();
                assertArrayEquals(bin.encode(text, true), gguf.encode(text, true), text);
            }
            assertEquals(1, gguf.bosId());
            assertEquals(2, gguf.eosId());
            assertTrue(gguf.stopTokenIds().contains(2));
        }
    }

    @Test
    void decodingJoinsByteTokensIntoCharacters() throws IOException {
        Tokenizer tok = Tokenizers.fromLlama2c(SharedData.models().resolve("tok512.bin"), 512);
        String text = "Lily saw 猫 and 🐈.";
        int[] ids = tok.encode(text, true);
        assertEquals(" " + text, tok.decode(Arrays.copyOfRange(ids, 1, ids.length)), "the dummy prefix is part of the first piece");
        StreamingDecoder d = new StreamingDecoder(tok, 1);
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i < ids.length; i++) {
            String piece = d.push(ids[i]);
            assertTrue(!piece.contains("\uFFFD"), "no half characters while streaming");
            sb.append(piece);
        }
        sb.append(d.flush());
        assertEquals(text, sb.toString(), "after BOS the leading space is dropped, as run.c prints");
    }

    @Test
    void encodesLongTextQuickly() throws IOException {
        Tokenizer tok = Tokenizers.fromLlama2c(SharedData.models().resolve("tokenizer.bin"), 32000);
        String book = Files.readString(SharedData.data().resolve("gutenberg/pg1342-pride-and-prejudice.txt")).substring(0, 200_000);
        long t0 = System.nanoTime();
        int[] ids = tok.encode(book, true);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ids.length > 40_000, "tokens: " + ids.length);
        assertEquals(book, tok.decode(Arrays.copyOfRange(ids, 1, ids.length)).substring(1));
        assertTrue(ms < 20_000, "200 KB took " + ms + " ms: the merge loop is not O(n log n)");
    }

    @Test
    void badTokenizerFiles(@TempDir Path dir) throws IOException {
        byte[] full = Files.readAllBytes(SharedData.models().resolve("tok512.bin"));
        Path cut = dir.resolve("cut.bin");
        Files.write(cut, Arrays.copyOf(full, full.length - 100));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Tokenizers.fromLlama2c(cut, 512));
        assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("does not match"), e.getMessage());
        e = assertThrows(ModelFormatException.class, () -> Tokenizers.fromLlama2c(SharedData.models().resolve("tokenizer.bin"), 512));
        assertTrue(e.getMessage().contains("does not match the model"), e.getMessage());
        Path junk = dir.resolve("junk.bin");
        Files.write(junk, new byte[]{(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0x7f, 1, 2});
        e = assertThrows(ModelFormatException.class, () -> Tokenizers.fromLlama2c(junk, 512));
        assertTrue(e.getMessage().contains("absurd"), e.getMessage());
    }
}
