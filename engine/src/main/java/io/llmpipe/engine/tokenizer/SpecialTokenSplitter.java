package io.llmpipe.engine.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Splits text at literal occurrences of special tokens (longest match first), so a rendered chat
 * template's {@code <|im_start|>} becomes its id while the text around it is encoded normally.
 */
final class SpecialTokenSplitter {
    /** A piece of text: either plain text ({@code id == -1}) or one special token. */
    record Part(String text, int id) {
    }

    private final List<String> specials;
    private final List<Integer> ids;
    /** First characters of the specials: most positions are skipped with one lookup. */
    private final java.util.Set<Character> firstChars = new java.util.HashSet<>();

    SpecialTokenSplitter(Vocabulary vocab) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < vocab.size(); i++) {
            if (vocab.matchesLiterally(i)) {
                order.add(i);
            }
        }
        order.sort(Comparator.comparingInt((Integer i) -> -vocab.pieces()[i].length()));
        this.ids = order;
        this.specials = order.stream().map(i -> vocab.pieces()[i]).toList();
        specials.forEach(sp -> firstChars.add(sp.charAt(0)));
    }

    List<Part> split(String text) {
        List<Part> parts = new ArrayList<>();
        int start = 0, i = 0;
        outer:
        while (i < text.length()) {
            if (firstChars.contains(text.charAt(i))) {
                for (int s = 0; s < specials.size(); s++) {
                    if (text.startsWith(specials.get(s), i)) {
                        if (i > start) {
                            parts.add(new Part(text.substring(start, i), -1));
                        }
                        parts.add(new Part(specials.get(s), ids.get(s)));
                        i += specials.get(s).length();
                        start = i;
                        continue outer;
                    }
                }
            }
            i++;
        }
        if (start < text.length()) {
            parts.add(new Part(text.substring(start), -1));
        }
        return parts;
    }
}
