package io.llmpipe.retrieval.rerank;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Text to index terms for the lexical view: lower case, runs of letters and digits, English stop words
 * dropped, plurals folded (Harman's S-stemmer: "studies" → "study", "cells" → "cell").
 */
public final class Terms {
    private static final Set<String> STOP = Set.of("a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if",
            "in", "into", "is", "it", "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there",
            "these", "they", "this", "to", "was", "will", "with", "what", "which", "who", "whom", "how", "do", "does",
            "did", "has", "have", "had", "were", "been", "being", "from", "than", "its", "can", "we", "our", "i", "you");

    private Terms() {
    }

    public static List<String> of(String text) {
        List<String> out = new ArrayList<>();
        String lower = text.toLowerCase(Locale.ROOT);
        int i = 0, n = lower.length();
        while (i < n) {
            while (i < n && !Character.isLetterOrDigit(lower.charAt(i))) {
                i++;
            }
            int start = i;
            while (i < n && Character.isLetterOrDigit(lower.charAt(i))) {
                i++;
            }
            if (i > start) {
                String t = lower.substring(start, i);
                if (!STOP.contains(t)) {
                    out.add(stem(t));
                }
            }
        }
        return out;
    }

    /** Harman's S-stemmer. */
    static String stem(String t) {
        int n = t.length();
        if (n < 4 || !t.endsWith("s")) {
            return t;
        }
        if (t.endsWith("ies") && !t.endsWith("eies") && !t.endsWith("aies")) {
            return t.substring(0, n - 3) + "y";
        }
        if (t.endsWith("es") && !t.endsWith("aes") && !t.endsWith("ees") && !t.endsWith("oes")) {
            return t.substring(0, n - 1);
        }
        if (!t.endsWith("us") && !t.endsWith("ss")) {
            return t.substring(0, n - 1);
        }
        return t;
    }
}
