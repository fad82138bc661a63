package io.llmpipe.engine.tokenizer;

import io.llmpipe.engine.ModelFormatException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The token table a tokenizer works from: each id's piece, type and (for SentencePiece) merge
 * score, the piece-to-id index, and the special ids. Built once by a loader and checked there;
 * immutable afterwards, so any thread may read it.
 */
final class Vocabulary {
    /**
     * Pieces that end a turn or a document in common chat models; generation stops on them as it
     * does in llama.cpp, which also finds them by their text.
     */
    private static final Set<String> END_OF_GENERATION_PIECES = Set.of(
            "<|eot_id|>", "<|eom_id|>", "<|end_of_text|>", "<|im_end|>", "<|endoftext|>", "<|end|>",
            "<end_of_turn>", "<EOT>");

    private final String source;
    private final String[] pieces;
    private final TokenType[] types;
    private final float[] scores;
    private final Map<String, Integer> idsByPiece;
    private final int bosId;
    private final int eosId;
    private final int unknownId;
    private final boolean addBos;
    private final List<Integer> stopIds;

    /**
     * @param scores merge scores, or null for vocabularies without them (byte-level BPE)
     * @param extraStopIds ids besides EOS that end generation (e.g. tokenizer.ggml.eot_token_id), -1 entries ignored
     */
    Vocabulary(String source, String[] pieces, TokenType[] types, float[] scores,
            int bosId, int eosId, int unknownId, boolean addBos, List<Integer> extraStopIds) {
        this.source = source;
        int n = pieces.length;
        if (n == 0) {
            throw new ModelFormatException(source + ": the tokenizer vocabulary is empty");
        }
        if (types.length != n) {
            throw new ModelFormatException(source + ": " + n + " tokens but " + types.length + " token types");
        }
        if (scores != null && scores.length != n) {
            throw new ModelFormatException(source + ": " + n + " tokens but " + scores.length + " scores");
        }
        checkId("BOS", bosId, n);
        checkId("EOS", eosId, n);
        checkId("unknown-token", unknownId, n);
        if (addBos && bosId < 0) {
            throw new ModelFormatException(source + ": the tokenizer asks for a BOS token but has no BOS id");
        }
        this.pieces = pieces.clone();
        this.types = types.clone();
        this.scores = scores == null ? null : scores.clone();
        this.bosId = bosId;
        this.eosId = eosId;
        this.unknownId = unknownId;
        this.addBos = addBos;
        Map<String, Integer> index = HashMap.newHashMap(n);
        for (int id = 0; id < n; id++) {
            if (pieces[id] == null) {
                throw new ModelFormatException(source + ": token " + id + " has no text");
            }
            if (types[id] == null) {
                throw new ModelFormatException(source + ": token " + id + " has no type");
            }
            index.putIfAbsent(pieces[id], id); // the first id wins, as a sorted-vocabulary lookup would find it
        }
        this.idsByPiece = index;
        this.stopIds = List.copyOf(stopIds(extraStopIds));
    }

    private void checkId(String what, int id, int n) {
        if (id < -1 || id >= n) {
            throw new ModelFormatException(source + ": " + what + " id " + id + " is outside the vocabulary of " + n + " tokens");
        }
    }

    private Set<Integer> stopIds(List<Integer> extra) {
        Set<Integer> ids = new LinkedHashSet<>();
        if (eosId >= 0) {
            ids.add(eosId);
        }
        for (int id : extra) {
            if (id >= 0) {
                checkId("stop-token", id, pieces.length);
                ids.add(id);
            }
        }
        for (int id = 0; id < pieces.length; id++) {
            if (END_OF_GENERATION_PIECES.contains(pieces[id])) {
                ids.add(id);
            }
        }
        return ids;
    }

    String source() {
        return source;
    }

    int size() {
        return pieces.length;
    }

    String piece(int id) {
        checkRange(id);
        return pieces[id];
    }

    TokenType type(int id) {
        checkRange(id);
        return types[id];
    }

    float score(int id) {
        return scores == null ? 0f : scores[id];
    }

    /** Any token whose piece is exactly {@code piece}, or -1. */
    int id(String piece) {
        Integer id = idsByPiece.get(piece);
        return id == null ? -1 : id;
    }

    /** The token for {@code text} if ordinary text may produce it (not control, unknown or byte), else -1. */
    int textId(String text) {
        Integer id = idsByPiece.get(text);
        return id != null && types[id].isText() ? id : -1;
    }

    int bosId() {
        return bosId;
    }

    int eosId() {
        return eosId;
    }

    int unknownId() {
        return unknownId;
    }

    boolean addBos() {
        return addBos;
    }

    List<Integer> stopIds() {
        return stopIds;
    }

    /** Ids of the tokens of the given types whose piece is non-empty, for literal matching in text. */
    List<Integer> idsOfType(Set<TokenType> wanted) {
        List<Integer> ids = new ArrayList<>();
        for (int id = 0; id < pieces.length; id++) {
            if (wanted.contains(types[id]) && !pieces[id].isEmpty()) {
                ids.add(id);
            }
        }
        return ids;
    }

    void checkRange(int id) {
        if (id < 0 || id >= pieces.length) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + pieces.length + ")");
        }
    }

    /** The byte a {@code <0xHH>} piece stands for, or -1 if {@code piece} is not of that form. */
    static int byteValue(String piece) {
        if (piece.length() != 6 || !piece.startsWith("<0x") || piece.charAt(5) != '>') {
            return -1;
        }
        int hi = Character.digit(piece.charAt(3), 16);
        int lo = Character.digit(piece.charAt(4), 16);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }

    /** The {@code <0xHH>} piece for a byte, upper-case hex as SentencePiece writes it. */
    static String bytePiece(int b) {
        return String.format("<0x%02X>", b & 0xFF);
    }
}
