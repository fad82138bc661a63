package io.llmpipe.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StreamingDecoderTest {
    private static final SentencePieceTokenizer TOK512 = Tokenizers.fromLlama2c(SharedModels.file("tok512.bin"), 512);
    private static final ByteLevelBpeTokenizer BPE = ByteLevelBpeTokenizerTest.tokenizer("gpt2", false);

    private static List<String> feed(StreamingDecoder decoder, int... ids) {
        List<String> out = new ArrayList<>();
        for (int id : ids) {
            out.add(decoder.accept(id));
        }
        return out;
    }

    @Test
    void holdsBackACharacterSplitAcrossByteTokens() {
        // "你" is E4 BD A0 and "好" E5 A5 BD: byte tokens are byte + 3 in tok512
        StreamingDecoder decoder = new StreamingDecoder(TOK512);
        assertEquals(List.of("", "", "你", "", "", "好"), feed(decoder, 0xE4 + 3, 0xBD + 3, 0xA0 + 3, 0xE5 + 3, 0xA5 + 3, 0xBD + 3));
        assertFalse(decoder.hasPendingBytes());
        assertEquals("", decoder.finish());
    }

    @Test
    void fourByteCharactersFromByteLevelPieces() {
        StreamingDecoder decoder = new StreamingDecoder(BPE);
        // " 🙂" is Ġ then F0 9F 99 82
        assertEquals(List.of(" ", "", "", "", "🙂", "hello"), feed(decoder, ' ', 0xF0, 0x9F, 0x99, 0x82, ByteLevelBpeTokenizerTest.HELLO));
    }

    @Test
    void dropsTheLeadingSpaceAfterBos() {
        assertEquals(List.of("", "Once", " upon"), feed(new StreamingDecoder(TOK512), 1, 403, 407));
        // streaming only the generated part, after a prompt that was just BOS
        assertEquals(List.of("Once", " upon"), feed(new StreamingDecoder(TOK512, 1), 403, 407));
        assertEquals(List.of(" Once"), feed(new StreamingDecoder(TOK512), 403));
    }

    @Test
    void anUnfinishedCharacterComesOutAsReplacementAtTheEnd() {
        StreamingDecoder decoder = new StreamingDecoder(TOK512);
        assertEquals("", decoder.accept(0xE4 + 3));
        assertTrue(decoder.hasPendingBytes());
        assertEquals("\uFFFD", decoder.finish());
        assertFalse(decoder.hasPendingBytes());
    }

    @Test
    void invalidBytesBecomeReplacementCharacters() {
        StreamingDecoder decoder = new StreamingDecoder(TOK512);
        assertEquals("\uFFFD", decoder.accept(0xBD + 3), "a stray continuation byte");
        assertEquals("", decoder.accept(0xE4 + 3));
        assertEquals("\uFFFDA", decoder.accept('A' + 3), "a lead byte followed by ASCII");
        assertEquals("\uFFFD", decoder.accept(0xFF + 3), "never valid in UTF-8");
        assertEquals("", decoder.accept(0xED + 3));
        // Java's decoder waits for a third byte before calling ED A0 (a surrogate) malformed; following it
        // keeps the pieces identical to new String(allBytes, UTF_8)
        assertEquals("", decoder.accept(0xA0 + 3));
        assertEquals("\uFFFDA", decoder.accept('A' + 3));
    }

    @Test
    void reproducesRunCsOutputTokenByToken() {
        for (JsonNode run : SharedModels.json("stories260K.golden.json").get("runs")) {
            StreamingDecoder decoder = new StreamingDecoder(TOK512);
            StringBuilder text = new StringBuilder();
            for (JsonNode id : run.get("prompt_token_ids")) {
                text.append(decoder.accept(id.asInt()));
            }
            for (JsonNode id : run.get("generated_token_ids")) {
                text.append(decoder.accept(id.asInt()));
            }
            text.append(decoder.finish());
            assertEquals(run.get("run_c_stdout").asText(), text + "\n");
        }
    }

    @Test
    void concatenationEqualsWholeSequenceDecoding() {
        Random random = new Random(7);
        for (int round = 0; round < 2000; round++) {
            int[] ids = new int[random.nextInt(12)];
            for (int i = 0; i < ids.length; i++) {
                // mostly bytes >= 0x80, so partial and broken sequences are common
                ids[i] = random.nextInt(4) == 0 ? random.nextInt(BPE.vocabularySize()) : 0x80 + random.nextInt(0x80);
            }
            StreamingDecoder decoder = new StreamingDecoder(BPE);
            StringBuilder text = new StringBuilder();
            for (int id : ids) {
                text.append(decoder.accept(id));
            }
            text.append(decoder.finish());
            assertEquals(BPE.decode(ids), text.toString(), Arrays.toString(ids));
        }
    }
}
