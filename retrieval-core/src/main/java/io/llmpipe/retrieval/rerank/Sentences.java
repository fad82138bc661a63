package io.llmpipe.retrieval.rerank;

import java.util.ArrayList;
import java.util.List;

/** Splits passages into sentences for the sentence view: at . ! ? followed by space; short pieces join the next. */
public final class Sentences {
    private static final int MIN_CHARS = 40;

    private Sentences() {
    }

    public static List<String> of(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean end = (c == '.' || c == '!' || c == '?') && (i + 1 == text.length() || Character.isWhitespace(text.charAt(i + 1)));
            if (end || i + 1 == text.length()) {
                current.append(text, start, i + 1);
                start = i + 1;
                if (current.length() >= MIN_CHARS || i + 1 == text.length()) {
                    String s = current.toString().strip();
                    if (!s.isEmpty()) {
                        out.add(s);
                    }
                    current.setLength(0);
                }
            }
        }
        return out;
    }
}
