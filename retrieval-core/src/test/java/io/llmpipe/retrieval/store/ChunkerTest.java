package io.llmpipe.retrieval.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Passages fit the budget, keep sentences whole where they can, and together hold every word in order. */
class ChunkerTest {
    /** Words plus two markers, like [CLS] and [SEP]. */
    private static int words(String s) {
        String t = s.strip();
        return (t.isEmpty() ? 0 : t.split("\\s+").length) + 2;
    }

    @Test
    void aShortTextIsOnePassage() {
        assertEquals(List.of("Just one. Or two sentences."), new Chunker(64, ChunkerTest::words).split("  Just one. Or two sentences. "));
    }

    @Test
    void longTextsSplitAtSentencesWithinTheBudget() {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            text.append("Sentence number ").append(i).append(" has exactly seven words here. ");
        }
        List<String> passages = new Chunker(32, ChunkerTest::words).split(text.toString());
        // 30 words fit in 32 tokens: three sentences of eight words per passage
        assertEquals(14, passages.size());
        for (String p : passages) {
            assertTrue(words(p) <= 32, p);
            assertTrue(p.endsWith("here."), "a passage ends at a sentence end: " + p);
        }
        assertEquals(text.toString().strip(), String.join(" ", passages));
    }

    @Test
    void aSentenceLongerThanTheWindowIsCutAtWords() {
        String longSentence = "word ".repeat(100).strip() + ".";
        List<String> passages = new Chunker(22, ChunkerTest::words).split("Short start here for once. " + longSentence);
        for (String p : passages) {
            assertTrue(words(p) <= 22, p);
        }
        assertEquals(("Short start here for once. " + longSentence), String.join(" ", passages));
    }
}
