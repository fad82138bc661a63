package io.llmpipe.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ByteLevelEncodingTest {
    @Test
    void mapsBytesAsGpt2Does() {
        assertEquals('Ġ', ByteLevelEncoding.charOf(' '));      // U+0120
        assertEquals('Ċ', ByteLevelEncoding.charOf('\n'));     // U+010A
        assertEquals('ĉ', ByteLevelEncoding.charOf('\t'));     // U+0109
        assertEquals('Ā', ByteLevelEncoding.charOf(0));        // U+0100: the first unprintable byte
        assertEquals('a', ByteLevelEncoding.charOf('a'));
        assertEquals('é', ByteLevelEncoding.charOf(0xE9));     // printable Latin-1 maps to itself
        assertEquals('Ń', ByteLevelEncoding.charOf(0xAD));     // soft hyphen, the last remapped byte: U+0143
        assertEquals("ĠHelloĊ", ByteLevelEncoding.encode(" Hello\n"));
        assertEquals("Ã©", ByteLevelEncoding.encode("é"));      // C3 A9
    }

    @Test
    void isABijectionOnAllBytes() {
        Set<Character> seen = new HashSet<>();
        byte[] all = new byte[256];
        for (int b = 0; b < 256; b++) {
            seen.add(ByteLevelEncoding.charOf(b));
            all[b] = (byte) b;
        }
        assertEquals(256, seen.size());
        StringBuilder piece = new StringBuilder();
        for (int b = 0; b < 256; b++) {
            piece.append(ByteLevelEncoding.charOf(b));
        }
        assertArrayEquals(all, ByteLevelEncoding.decode(piece.toString()));
    }

    @Test
    void keepsCharactersOutsideTheMappingAsUtf8() {
        assertArrayEquals("<think>".getBytes(StandardCharsets.US_ASCII), ByteLevelEncoding.decode("<think>"));
        assertArrayEquals("日".getBytes(StandardCharsets.UTF_8), ByteLevelEncoding.decode("日"));
    }
}
