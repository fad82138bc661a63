package io.llmpipe.engine.tokenizer;

import java.util.HashMap;
import java.util.Map;

/**
 * Token pieces with their scores and types, and the reverse lookup. Immutable; any thread.
 *
 * @param pieces token strings as the model file stores them
 * @param scores merge scores (SentencePiece), or null
 * @param types  GGUF token types (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte), or null
 */
record Vocabulary(String[] pieces, float[] scores, int[] types, Map<String, Integer> ids) {
    static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;

    static Vocabulary of(String[] pieces, float[] scores, int[] types) {
        Map<String, Integer> ids = new HashMap<>(pieces.length * 2);
        for (int i = 0; i < pieces.length; i++) {
            ids.putIfAbsent(pieces[i], i);
        }
        return new Vocabulary(pieces, scores, types, ids);
    }

    int size() {
        return pieces.length;
    }

    int id(String piece) {
        Integer id = ids.get(piece);
        return id == null ? -1 : id;
    }

    int type(int id) {
        return types == null ? NORMAL : types[id];
    }

    /** Control tokens: rendered as nothing. */
    boolean isControl(int id) {
        return type(id) == CONTROL;
    }

    /** Control and user-defined tokens are matched literally in rendered templates. */
    boolean matchesLiterally(int id) {
        int t = type(id);
        return (t == CONTROL || t == USER_DEFINED) && !pieces[id].isEmpty();
    }
}
