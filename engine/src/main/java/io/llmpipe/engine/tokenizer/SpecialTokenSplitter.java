package io.llmpipe.engine.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * Cuts text at literal occurrences of special-token pieces, so that {@code "<|im_start|>user"}
 * becomes the token {@code <|im_start|>} followed by the text {@code "user"}. Longer pieces are
 * matched first, each over all remaining text, as llama.cpp partitions text. Immutable; any thread.
 */
final class SpecialTokenSplitter {
    /** A piece of the input: either text still to be tokenized or one special token. */
    record Fragment(String text, int tokenId) {
        static Fragment ofText(String text) {
            return new Fragment(text, -1);
        }

        static Fragment ofToken(int id) {
            return new Fragment(null, id);
        }

        boolean isToken() {
            return tokenId >= 0;
        }
    }

    private final String[] pieces;
    private final int[] ids;

    private SpecialTokenSplitter(String[] pieces, int[] ids) {
        this.pieces = pieces;
        this.ids = ids;
    }

    /** Matches the tokens of {@code vocabulary} whose type is one of {@code types}. */
    static SpecialTokenSplitter of(Vocabulary vocabulary, Set<TokenType> types) {
        List<Integer> found = new ArrayList<>(vocabulary.idsOfType(types));
        // longest first; ties by id so the result does not depend on map order
        found.sort(Comparator.comparingInt((Integer id) -> -vocabulary.piece(id).length()).thenComparingInt(id -> id));
        String[] pieces = new String[found.size()];
        int[] ids = new int[found.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = found.get(i);
            pieces[i] = vocabulary.piece(ids[i]);
        }
        return new SpecialTokenSplitter(pieces, ids);
    }

    /** The fragments of {@code text} in order; empty text gives no fragments. */
    List<Fragment> split(String text) {
        List<Fragment> fragments = new ArrayList<>();
        if (text.isEmpty()) {
            return fragments;
        }
        fragments.add(Fragment.ofText(text));
        for (int t = 0; t < ids.length; t++) {
            String piece = pieces[t];
            if (!text.contains(piece)) {
                continue; // cheap check over the whole input before touching the fragment list
            }
            List<Fragment> next = new ArrayList<>(fragments.size() + 4);
            for (Fragment fragment : fragments) {
                if (fragment.isToken()) {
                    next.add(fragment);
                } else {
                    splitOn(fragment.text(), piece, ids[t], next);
                }
            }
            fragments = next;
        }
        return fragments;
    }

    private static void splitOn(String text, String piece, int id, List<Fragment> out) {
        int start = 0;
        int match;
        while ((match = text.indexOf(piece, start)) >= 0) {
            if (match > start) {
                out.add(Fragment.ofText(text.substring(start, match)));
            }
            out.add(Fragment.ofToken(id));
            start = match + piece.length();
        }
        if (start < text.length()) {
            out.add(Fragment.ofText(start == 0 ? text : text.substring(start)));
        }
    }
}
