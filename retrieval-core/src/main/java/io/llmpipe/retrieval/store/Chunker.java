package io.llmpipe.retrieval.store;

import io.llmpipe.retrieval.rerank.Sentences;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * Splits a text into passages that fit the embedding model's window: whole sentences are packed while
 * they fit; a sentence longer than the window is cut at word boundaries. Counting tokens with the
 * model's own tokenizer keeps every word of a passage inside what the model reads.
 */
public final class Chunker {
    private final int maxTokens;
    private final ToIntFunction<String> tokens;

    /**
     * @param maxTokens the budget of one passage, as {@code tokens} counts (markers included)
     * @param tokens    how many tokens a text takes
     */
    public Chunker(int maxTokens, ToIntFunction<String> tokens) {
        if (maxTokens < 8) {
            throw new IllegalArgumentException("a passage needs at least 8 tokens, got " + maxTokens);
        }
        this.maxTokens = maxTokens;
        this.tokens = tokens;
    }

    public List<String> split(String text) {
        String stripped = text.strip();
        if (tokens.applyAsInt(stripped) <= maxTokens) {
            return List.of(stripped);
        }
        // Counts add up over whitespace-separated pieces for word-piece tokenizers, so each sentence
        // (and each word of an over-long one) is counted once: linear in the text's length.
        int markers = tokens.applyAsInt("");
        int budget = maxTokens - markers;
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int used = 0;
        for (String sentence : Sentences.of(stripped)) {
            int cost = tokens.applyAsInt(sentence) - markers;
            if (!current.isEmpty() && used + cost > budget) {
                out.add(current.toString());
                current.setLength(0);
                used = 0;
            }
            if (cost <= budget) {
                append(current, sentence);
                used += cost;
                continue;
            }
            for (String word : sentence.split("\\s+")) {
                int wordCost = tokens.applyAsInt(word) - markers;
                if (!current.isEmpty() && used + wordCost > budget) {
                    out.add(current.toString());
                    current.setLength(0);
                    used = 0;
                }
                append(current, word); // a single word beyond the window is left for the model to cut
                used += wordCost;
            }
        }
        if (!current.isEmpty()) {
            out.add(current.toString());
        }
        return out;
    }

    private static void append(StringBuilder passage, String piece) {
        if (!passage.isEmpty()) {
            passage.append(' ');
        }
        passage.append(piece);
    }
}
