package io.llmpipe.engine.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GPT-2 style byte-level BPE (GGUF "gpt2": Llama 3, Qwen2, SmolLM2): the text is split by the model's
 * pre-tokenizer regex, each piece's UTF-8 bytes are mapped to printable characters (GPT-2's
 * bytes_to_unicode), then merged by rank (lowest first) using the model's merge list.
 *
 * <p>Immutable apart from a bounded cache of encoded pieces; any thread.
 */
public final class ByteLevelBpeTokenizer implements Tokenizer {

    /** Pre-tokenizer patterns by GGUF {@code tokenizer.ggml.pre}, as llama.cpp's vocabulary code uses them. */
    public enum PreTokenizer {
        GPT2("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"),
        LLAMA3("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
        QWEN2("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");

        final Pattern pattern;

        PreTokenizer(String regex) {
            // \s must mean Unicode white space, as in the Python regex module the patterns come from
            this.pattern = Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
        }

        /** The pattern for a GGUF pre-tokenizer name; unknown names get GPT-2's. */
        public static PreTokenizer forName(String name) {
            if (name == null) {
                return GPT2;
            }
            return switch (name) {
                case "llama3", "llama-bpe", "llama-v3", "smaug-bpe" -> LLAMA3;
                case "qwen2", "deepseek-r1-qwen" -> QWEN2;
                default -> GPT2;
            };
        }
    }

    private static final int CACHE_LIMIT = 1 << 16;
    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final Map<Character, Integer> CHAR_TO_BYTE = new HashMap<>();

    static {
        // GPT-2 bytes_to_unicode: printable bytes map to themselves, the rest to 256 + n
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            BYTE_TO_CHAR[b] = printable ? (char) b : (char) (256 + n++);
            CHAR_TO_BYTE.put(BYTE_TO_CHAR[b], b);
        }
    }

    private final Vocabulary vocab;
    private final Map<String, Integer> mergeRanks;
    private final PreTokenizer pre;
    private final byte[][] bytes;
    private final int bos, eos;
    private final boolean addBosByDefault;
    private final List<Integer> stops;
    private final SpecialTokenSplitter specials;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * @param tokens token strings in byte-level form
     * @param types  GGUF token types, or null (all normal)
     * @param merges merge rules "left right", highest priority first
     */
    public ByteLevelBpeTokenizer(String[] tokens, int[] types, String[] merges, PreTokenizer pre, int bos, int eos,
                                 boolean addBos, List<Integer> extraStops) {
        if (types != null && types.length != tokens.length) {
            throw new IllegalArgumentException(tokens.length + " tokens but " + types.length + " token types");
        }
        this.vocab = Vocabulary.of(tokens, null, types);
        this.mergeRanks = new HashMap<>(merges.length * 2);
        for (int i = 0; i < merges.length; i++) {
            mergeRanks.putIfAbsent(merges[i], i);
        }
        this.pre = pre;
        this.bos = bos;
        this.eos = eos;
        this.addBosByDefault = addBos;
        this.bytes = new byte[tokens.length][];
        for (int i = 0; i < tokens.length; i++) {
            bytes[i] = vocab.isControl(i) ? new byte[0] : toBytes(tokens[i]);
        }
        LinkedHashMap<Integer, Boolean> s = new LinkedHashMap<>();
        if (eos >= 0) {
            s.put(eos, true);
        }
        extraStops.forEach(id -> s.put(id, true));
        this.stops = List.copyOf(s.keySet());
        this.specials = new SpecialTokenSplitter(vocab);
    }

    @Override
    public boolean addBosByDefault() {
        return addBosByDefault;
    }

    private static byte[] toBytes(String token) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(token.length());
        for (int i = 0; i < token.length(); i++) {
            Integer b = CHAR_TO_BYTE.get(token.charAt(i));
            if (b == null) {
                // not byte-level (an added token written as plain text): take its UTF-8
                return token.getBytes(StandardCharsets.UTF_8);
            }
            out.write(b);
        }
        return out.toByteArray();
    }

    @Override
    public int vocabularySize() {
        return vocab.size();
    }

    @Override
    public int[] encode(String text, boolean addBos) {
        List<Integer> out = new ArrayList<>();
        if (addBos && bos >= 0) {
            out.add(bos);
        }
        encodePlain(text, out);
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public int[] encodeWithSpecialTokens(String text, boolean addBos) {
        List<Integer> out = new ArrayList<>();
        if (addBos && bos >= 0) {
            out.add(bos);
        }
        for (SpecialTokenSplitter.Part part : specials.split(text)) {
            if (part.id() >= 0) {
                out.add(part.id());
            } else {
                encodePlain(part.text(), out);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private void encodePlain(String text, List<Integer> out) {
        Matcher m = pre.pattern.matcher(text);
        while (m.find()) {
            String piece = m.group();
            int[] ids = cache.get(piece);
            if (ids == null) {
                ids = bpe(piece);
                if (cache.size() < CACHE_LIMIT) {
                    cache.put(piece, ids);
                }
            }
            for (int id : ids) {
                out.add(id);
            }
        }
    }

    /** Merges one pre-token's byte characters by rank, lowest rank first (leftmost on ties). */
    private int[] bpe(String piece) {
        byte[] utf8 = piece.getBytes(StandardCharsets.UTF_8);
        List<String> symbols = new ArrayList<>(utf8.length);
        for (byte b : utf8) {
            symbols.add(String.valueOf(BYTE_TO_CHAR[b & 0xFF]));
        }
        while (symbols.size() > 1) {
            int best = -1, bestRank = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                Integer rank = mergeRanks.get(symbols.get(i) + " " + symbols.get(i + 1));
                if (rank != null && rank < bestRank) {
                    bestRank = rank;
                    best = i;
                }
            }
            if (best < 0) {
                break;
            }
            symbols.set(best, symbols.get(best) + symbols.remove(best + 1));
        }
        int[] ids = new int[symbols.size()];
        for (int i = 0; i < ids.length; i++) {
            int id = vocab.id(symbols.get(i));
            if (id < 0) {
                throw new IllegalStateException("byte-level symbol '" + symbols.get(i) + "' is not in the vocabulary");
            }
            ids[i] = id;
        }
        return ids;
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
        return vocab.id(piece);
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
