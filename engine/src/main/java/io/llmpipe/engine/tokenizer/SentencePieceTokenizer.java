package io.llmpipe.engine.tokenizer;

import io.llmpipe.engine.ModelFormatException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.PriorityQueue;

/**
 * SentencePiece-style BPE with byte fallback, as Llama 2 and llama2.c models use it. Encoding
 * reproduces llama2.c {@code run.c encode(text, bos, eos=0)}: a dummy-prefix space before non-empty
 * text, one token per UTF-8 code point (or its {@code <0xHH>} bytes when the code point is not in
 * the vocabulary), then repeatedly merging the adjacent pair whose merged piece has the highest
 * score, the leftmost pair winning ties. A priority queue over a linked list of symbols does this
 * in O(n log n) instead of run.c's rescans.
 *
 * <p>Two details differ from run.c on purpose and cannot change its results for ordinary
 * vocabularies: BOS takes no part in merges, and merges and code-point lookups only produce
 * text tokens (never control, unknown or byte tokens), so typed text such as {@code <s>} stays text.
 * User-defined tokens are matched literally, as llama.cpp does.
 *
 * <p>Immutable; any thread may encode and decode concurrently.
 */
public final class SentencePieceTokenizer extends VocabularyTokenizer {
    /** run.c's starting best score: a pair whose merged piece scores no higher never merges. */
    private static final float MIN_MERGE_SCORE = -1e10f;

    private final String spaceSymbol;
    private final boolean addSpacePrefix;
    private final int[] byteIds = new int[256];
    private final byte[][] tokenBytes;

    /**
     * @param spaceSymbol how the vocabulary writes a space: {@code " "} in llama2.c files, {@code "▁"} in GGUF
     * @param addSpacePrefix whether text gets SentencePiece's dummy-prefix space (true for Llama)
     */
    SentencePieceTokenizer(Vocabulary vocabulary, String spaceSymbol, boolean addSpacePrefix) {
        super(vocabulary);
        this.spaceSymbol = spaceSymbol;
        this.addSpacePrefix = addSpacePrefix;
        for (int b = 0; b < 256; b++) {
            byteIds[b] = vocabulary.id(Vocabulary.bytePiece(b));
        }
        this.tokenBytes = new byte[vocabulary.size()][];
        for (int id = 0; id < tokenBytes.length; id++) {
            tokenBytes[id] = bytesOfPiece(id);
        }
    }

    private byte[] bytesOfPiece(int id) {
        String piece = vocabulary.piece(id);
        return switch (vocabulary.type(id)) {
            case CONTROL, UNKNOWN -> new byte[0];
            case BYTE -> {
                int b = Vocabulary.byteValue(piece);
                if (b < 0) {
                    throw new ModelFormatException(vocabulary.source() + ": byte token " + id + " is '" + piece + "', not <0xHH>");
                }
                yield new byte[] {(byte) b};
            }
            case USER_DEFINED -> piece.getBytes(StandardCharsets.UTF_8); // llama.cpp copies these verbatim
            default -> piece.replace(spaceSymbol, " ").getBytes(StandardCharsets.UTF_8);
        };
    }

    /** run.c's encoding of one stretch of plain text, appended to {@code out}. */
    // llama.cpp: the dummy prefix goes before the first text and before text following a special token
    @Override
    void encodeText(String text, boolean afterSpecial, IntArrayBuilder out) {
        String normalized = addSpacePrefix && afterSpecial ? " " + text : text;
        if (!spaceSymbol.equals(" ")) {
            normalized = normalized.replace(" ", spaceSymbol);
        }
        IntArrayBuilder symbols = new IntArrayBuilder(normalized.length() + 1);
        for (int i = 0; i < normalized.length(); ) {
            int cp = normalized.codePointAt(i);
            int end = i + Character.charCount(cp);
            String codePoint = normalized.substring(i, end);
            int id = vocabulary.textId(codePoint);
            if (id >= 0) {
                symbols.add(id);
            } else {
                for (byte b : codePoint.getBytes(StandardCharsets.UTF_8)) {
                    // without byte pieces the unknown token stands in; without that too, the byte is dropped
                    int byteId = byteIds[b & 0xFF] >= 0 ? byteIds[b & 0xFF] : vocabulary.unknownId();
                    if (byteId >= 0) {
                        symbols.add(byteId);
                    }
                }
            }
            i = end;
        }
        int[] ids = symbols.toArray();
        for (int id : mergeSymbols(ids)) {
            out.add(id);
        }
    }

    /** A possible merge of the symbols at {@code left} and {@code right}, valid while both still hold the ids seen. */
    private record Candidate(float score, int left, int right, int leftId, int rightId, int mergedId) {}

    private int[] mergeSymbols(int[] ids) {
        int n = ids.length;
        if (n < 2) {
            return ids;
        }
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        boolean[] merged = new boolean[n];
        // Highest score first; among equal scores the leftmost pair, as run.c's strict '>' scan picks.
        // Plain float comparison so that -0.0 and 0.0 tie as they do in C.
        PriorityQueue<Candidate> queue = new PriorityQueue<>(n, (a, b) -> {
            if (a.score() != b.score()) {
                return a.score() > b.score() ? -1 : 1;
            }
            return Integer.compare(a.left(), b.left());
        });
        for (int i = 0; i + 1 < n; i++) {
            offer(queue, ids, i, i + 1);
        }
        int remaining = n;
        while (!queue.isEmpty()) {
            Candidate c = queue.poll();
            int l = c.left();
            int r = c.right();
            if (merged[l] || merged[r] || next[l] != r || ids[l] != c.leftId() || ids[r] != c.rightId()) {
                continue; // stale: one side has merged since this pair was queued
            }
            ids[l] = c.mergedId();
            merged[r] = true;
            remaining--;
            next[l] = next[r];
            if (next[r] >= 0) {
                prev[next[r]] = l;
            }
            if (prev[l] >= 0) {
                offer(queue, ids, prev[l], l);
            }
            if (next[l] >= 0) {
                offer(queue, ids, l, next[l]);
            }
        }
        int[] result = new int[remaining];
        int k = 0;
        for (int i = 0; i != -1; i = next[i]) {
            result[k++] = ids[i]; // symbol 0 is never merged away: merges keep the left symbol
        }
        return result;
    }

    private void offer(PriorityQueue<Candidate> queue, int[] ids, int left, int right) {
        int mergedId = vocabulary.textId(vocabulary.piece(ids[left]) + vocabulary.piece(ids[right]));
        if (mergedId >= 0) {
            float score = vocabulary.score(mergedId);
            if (score > MIN_MERGE_SCORE) {
                queue.add(new Candidate(score, left, right, ids[left], ids[right], mergedId));
            }
        }
    }

    @Override
    public String decode(int id) {
        vocabulary.checkRange(id);
        return new String(tokenBytes[id], StandardCharsets.UTF_8);
    }

    @Override
    public byte[] decodeBytes(int previousId, int id) {
        vocabulary.checkRange(id);
        byte[] bytes = tokenBytes[id];
        // run.c: the piece right after BOS loses its leading space (the dummy prefix)
        if (previousId >= 0 && previousId == vocabulary.bosId() && bytes.length > 0 && bytes[0] == ' '
                && vocabulary.type(id) != TokenType.BYTE) {
            return Arrays.copyOfRange(bytes, 1, bytes.length);
        }
        return bytes.clone();
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(ids.length * 4);
        int previous = -1;
        for (int id : ids) {
            bytes.writeBytes(decodeBytes(previous, id));
            previous = id;
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** The merge score of token {@code id}. */
    public float score(int id) {
        vocabulary.checkRange(id);
        return vocabulary.score(id);
    }
}
