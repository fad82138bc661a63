package io.llmpipe.engine.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/**
 * SentencePiece-style BPE with byte fallback (Llama 1/2, llama2.c, GGUF "llama"), encoding exactly
 * as llama2.c's run.c: a dummy-prefix space for non-empty text, one symbol per UTF-8 character (or
 * its bytes as {@code <0xHH>} tokens when the character is not in the vocabulary), then repeatedly
 * merge the adjacent pair whose concatenation has the highest score, leftmost first on ties.
 * Merges run through a priority queue, so long texts encode in O(n log n).
 *
 * <p>Pieces are kept with spaces (GGUF's '▁' is translated on load). Immutable; any thread.
 */
public final class SentencePieceTokenizer implements Tokenizer {
    static final char SPM_SPACE = '\u2581';

    private final Vocabulary vocab;
    private final String[] text; // piece with spaces
    private final byte[][] bytes;
    private final int[] byteTokens = new int[256];
    private final int bos, eos, unk;
    private final List<Integer> stops;
    private final SpecialTokenSplitter specials;

    /**
     * @param pieces token pieces; '▁' stands for a space (GGUF) or spaces are literal (llama2.c)
     * @param scores merge scores, one per piece
     * @param types  GGUF token types, or null to infer (byte pieces "<0xHH>", control for bos/eos/unk)
     */
    public SentencePieceTokenizer(String[] pieces, float[] scores, int[] types, int bos, int eos, int unk, List<Integer> extraStops) {
        if (scores.length != pieces.length) {
            throw new IllegalArgumentException(pieces.length + " tokens but " + scores.length + " scores");
        }
        int[] t = types != null ? types : inferTypes(pieces, bos, eos, unk);
        if (t.length != pieces.length) {
            throw new IllegalArgumentException(pieces.length + " tokens but " + t.length + " token types");
        }
        this.text = new String[pieces.length];
        this.bytes = new byte[pieces.length][];
        java.util.Arrays.fill(byteTokens, -1);
        for (int i = 0; i < pieces.length; i++) {
            text[i] = pieces[i].replace(SPM_SPACE, ' ');
            if (t[i] == Vocabulary.BYTE || isBytePiece(pieces[i])) {
                int b = Integer.parseInt(pieces[i].substring(3, 5), 16);
                bytes[i] = new byte[]{(byte) b};
                if (byteTokens[b] < 0) {
                    byteTokens[b] = i;
                }
            } else if (t[i] == Vocabulary.CONTROL) {
                bytes[i] = new byte[0];
            } else {
                bytes[i] = text[i].getBytes(StandardCharsets.UTF_8);
            }
        }
        this.vocab = Vocabulary.of(text, scores, t);
        this.bos = bos;
        this.eos = eos;
        this.unk = unk;
        List<Integer> s = new ArrayList<>();
        if (eos >= 0) {
            s.add(eos);
        }
        for (int id : extraStops) {
            if (!s.contains(id)) {
                s.add(id);
            }
        }
        this.stops = List.copyOf(s);
        // llama2.c files store control pieces as "\n<s>\n": templates write them as "<s>"
        String[] literal = new String[pieces.length];
        for (int i = 0; i < pieces.length; i++) {
            literal[i] = t[i] == Vocabulary.CONTROL ? pieces[i].strip() : pieces[i];
        }
        this.specials = new SpecialTokenSplitter(Vocabulary.of(literal, scores, t));
    }

    static boolean isBytePiece(String p) {
        return p.length() == 6 && p.startsWith("<0x") && p.endsWith(">")
                && Character.digit(p.charAt(3), 16) >= 0 && Character.digit(p.charAt(4), 16) >= 0;
    }

    private static int[] inferTypes(String[] pieces, int bos, int eos, int unk) {
        int[] t = new int[pieces.length];
        for (int i = 0; i < pieces.length; i++) {
            t[i] = i == unk ? Vocabulary.UNKNOWN : i == bos || i == eos ? Vocabulary.CONTROL
                    : isBytePiece(pieces[i]) ? Vocabulary.BYTE : Vocabulary.NORMAL;
        }
        return t;
    }

    @Override
    public int vocabularySize() {
        return text.length;
    }

    @Override
    public boolean addsDummyPrefix() {
        return true;
    }

    @Override
    public int[] encode(String s, boolean addBos) {
        List<Integer> out = new ArrayList<>();
        if (addBos && bos >= 0) {
            out.add(bos);
        }
        encodePlain(s, true, out);
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public int[] encodeWithSpecialTokens(String s, boolean addBos) {
        List<Integer> out = new ArrayList<>();
        if (addBos && bos >= 0) {
            out.add(bos);
        }
        boolean first = true;
        for (SpecialTokenSplitter.Part part : specials.split(s)) {
            if (part.id() >= 0) {
                out.add(part.id());
            } else {
                encodePlain(part.text(), first, out);
            }
            first = false;
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** run.c's encode for one run of plain text. */
    private void encodePlain(String s, boolean dummyPrefix, List<Integer> out) {
        if (s.isEmpty()) {
            return;
        }
        List<Integer> symbols = new ArrayList<>();
        if (dummyPrefix) {
            int space = vocab.id(" ");
            if (space >= 0) {
                symbols.add(space);
            }
        }
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            String ch = new String(Character.toChars(cp));
            int id = vocab.id(ch);
            if (id >= 0) {
                symbols.add(id);
            } else {
                for (byte b : ch.getBytes(StandardCharsets.UTF_8)) {
                    int bt = byteTokens[b & 0xFF];
                    symbols.add(bt >= 0 ? bt : unk);
                }
            }
            i += Character.charCount(cp);
        }
        merge(symbols, out);
    }

    /** A candidate merge of the symbol at {@code left} with its right neighbour. */
    private record Pair(float score, int left, int leftId, int rightId, int merged) {
    }

    private void merge(List<Integer> symbols, List<Integer> out) {
        int n = symbols.size();
        int[] id = new int[n];
        int[] next = new int[n];
        int[] prev = new int[n];
        for (int i = 0; i < n; i++) {
            id[i] = symbols.get(i);
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
        PriorityQueue<Pair> queue = new PriorityQueue<>((a, b) -> a.score() != b.score()
                ? Float.compare(b.score(), a.score()) : Integer.compare(a.left(), b.left()));
        for (int i = 0; i + 1 < n; i++) {
            offer(queue, i, id[i], id[i + 1]);
        }
        boolean[] dead = new boolean[n];
        while (!queue.isEmpty()) {
            Pair p = queue.poll();
            int l = p.left();
            int r = next[l] < 0 ? -1 : next[l];
            // stale: a side was merged away or changed since this pair was queued
            if (dead[l] || r < 0 || id[l] != p.leftId() || id[r] != p.rightId()) {
                continue;
            }
            id[l] = p.merged();
            dead[r] = true;
            next[l] = next[r];
            if (next[r] >= 0) {
                prev[next[r]] = l;
            }
            if (prev[l] >= 0) {
                offer(queue, prev[l], id[prev[l]], id[l]);
            }
            if (next[l] >= 0) {
                offer(queue, l, id[l], id[next[l]]);
            }
        }
        for (int i = 0; i >= 0 && n > 0; i = next[i]) {
            out.add(id[i]);
        }
    }

    private void offer(PriorityQueue<Pair> queue, int left, int leftId, int rightId) {
        int merged = vocab.id(text[leftId] + text[rightId]);
        if (merged >= 0) {
            queue.add(new Pair(vocab.scores()[merged], left, leftId, rightId, merged));
        }
    }

    @Override
    public String decode(int id) {
        return new String(bytes[id], StandardCharsets.UTF_8);
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int id : ids) {
            out.writeBytes(bytes[id]);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public byte[] bytes(int id) {
        return bytes[id];
    }

    @Override
    public String piece(int id) {
        return vocab.pieces()[id];
    }

    @Override
    public int tokenId(String piece) {
        return vocab.id(piece.replace(SPM_SPACE, ' '));
    }

    @Override
    public int bosId() {
        return bos;
    }

    @Override
    public int eosId() {
        return eos;
    }

    @Override
    public List<Integer> stopTokenIds() {
        return stops;
    }

    @Override
    public boolean isSpecial(int id) {
        return vocab.isControl(id);
    }
}
