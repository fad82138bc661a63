package io.llmpipe.engine.tokenizer;

import io.llmpipe.engine.ModelFormatException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * GPT-2-style byte-level BPE (Llama 3, Qwen2, SmolLM): text is split into words by a
 * {@link PreTokenizer}, each word's UTF-8 bytes are written in GPT-2's byte-to-character form,
 * and adjacent symbols are merged by merge rank (lowest first, leftmost on ties) until no listed
 * merge applies, as llama.cpp's BPE session does. Special tokens written in text are matched
 * literally first: user-defined ones always, control ones only in {@link #encodeWithSpecialTokens}.
 *
 * <p>Immutable; any thread may encode and decode concurrently.
 */
public final class ByteLevelBpeTokenizer extends VocabularyTokenizer {
    /** Merge rank by the merge's own text, {@code "left right"}: byte-level pieces never hold a space. */
    private final Map<String, Integer> mergeRanks;
    private final PreTokenizer preTokenizer;
    private final byte[][] tokenBytes;

    /** @param merges the merges in rank order, each {@code "left right"} */
    ByteLevelBpeTokenizer(Vocabulary vocabulary, String[] merges, PreTokenizer preTokenizer) {
        super(vocabulary);
        this.preTokenizer = preTokenizer;
        this.mergeRanks = HashMap.newHashMap(merges.length);
        for (int rank = 0; rank < merges.length; rank++) {
            String merge = merges[rank];
            int space = merge.indexOf(' ', 1);
            if (space < 0 || space == merge.length() - 1) {
                throw new ModelFormatException(vocabulary.source() + ": merge " + rank + " '" + merge + "' is not two pieces separated by a space");
            }
            mergeRanks.putIfAbsent(merge, rank);
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
            case USER_DEFINED -> piece.getBytes(StandardCharsets.UTF_8); // stored as plain text, not byte-mapped
            case BYTE -> {
                int b = Vocabulary.byteValue(piece);
                yield b >= 0 ? new byte[] {(byte) b} : ByteLevelEncoding.decode(piece);
            }
            default -> ByteLevelEncoding.decode(piece);
        };
    }

    /** The name of the pre-tokenizer in use, e.g. "llama-bpe". */
    public String preTokenizerName() {
        return preTokenizer.name();
    }

    /** A possible merge of the symbols at {@code left} and {@code right}, valid while their lengths are unchanged. */
    private record Candidate(int rank, int left, int right, int length) {}

    /** BPE over one pre-tokenized word, already in byte-mapped form (one char per byte). */
    @Override
    void encodeText(String text, boolean afterSpecial, IntArrayBuilder out) {
        for (String word : preTokenizer.split(text)) {
            encodeWord(ByteLevelEncoding.encode(word), out);
        }
    }

    private void encodeWord(String word, IntArrayBuilder out) {
        if (preTokenizer.ignoreMerges()) {
            int whole = vocabulary.textId(word);
            if (whole >= 0) {
                out.add(whole);
                return;
            }
        }
        int n = word.length();
        int[] start = new int[n];
        int[] length = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            start[i] = i;
            length[i] = 1;
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        PriorityQueue<Candidate> queue = new PriorityQueue<>(Math.max(n, 1), (a, b) ->
                a.rank() != b.rank() ? Integer.compare(a.rank(), b.rank()) : Integer.compare(a.left(), b.left()));
        for (int i = 0; i + 1 < n; i++) {
            offer(queue, word, start, length, i, i + 1);
        }
        while (!queue.isEmpty()) {
            Candidate c = queue.poll();
            int l = c.left();
            int r = c.right();
            if (length[l] == 0 || length[r] == 0 || next[l] != r || length[l] + length[r] != c.length()) {
                continue; // stale: a side has merged since this pair was queued
            }
            length[l] += length[r];
            length[r] = 0;
            next[l] = next[r];
            if (next[r] >= 0) {
                prev[next[r]] = l;
            }
            if (prev[l] >= 0) {
                offer(queue, word, start, length, prev[l], l);
            }
            if (next[l] >= 0) {
                offer(queue, word, start, length, l, next[l]);
            }
        }
        for (int i = 0; i != -1 && n > 0; i = next[i]) {
            String symbol = word.substring(start[i], start[i] + length[i]);
            int id = vocabulary.textId(symbol);
            if (id >= 0) {
                out.add(id);
            } else {
                // no token for the merged symbol: fall back to its single bytes, skipping any the vocabulary lacks
                for (int k = 0; k < symbol.length(); k++) {
                    int byteId = vocabulary.textId(String.valueOf(symbol.charAt(k)));
                    if (byteId >= 0) {
                        out.add(byteId);
                    }
                }
            }
        }
    }

    private void offer(PriorityQueue<Candidate> queue, String word, int[] start, int[] length, int left, int right) {
        String key = word.substring(start[left], start[left] + length[left]) + ' '
                + word.substring(start[right], start[right] + length[right]);
        Integer rank = mergeRanks.get(key);
        if (rank != null) {
            queue.add(new Candidate(rank, left, right, length[left] + length[right]));
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
        return tokenBytes[id].clone();
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(ids.length * 4);
        for (int id : ids) {
            vocabulary.checkRange(id);
            bytes.writeBytes(tokenBytes[id]);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
