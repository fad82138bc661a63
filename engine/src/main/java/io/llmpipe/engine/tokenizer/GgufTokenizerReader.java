package io.llmpipe.engine.tokenizer;

import io.llmpipe.engine.ModelFormatException;
import io.llmpipe.engine.gguf.GGUF;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Builds a tokenizer from GGUF {@code tokenizer.ggml.*} metadata: SentencePiece BPE for
 * {@code tokenizer.ggml.model = "llama"}, byte-level BPE for {@code "gpt2"}. Defaults follow
 * llama.cpp: Llama vocabularies have BOS 1, EOS 2, unknown 0 and add BOS; byte-level ones have no
 * default ids and add BOS only for the Llama 3 pre-tokenizer, unless
 * {@code tokenizer.ggml.add_bos_token} says otherwise. Stateless.
 */
final class GgufTokenizerReader {
    static final String MODEL = "tokenizer.ggml.model";
    static final String PRE = "tokenizer.ggml.pre";
    static final String TOKENS = "tokenizer.ggml.tokens";
    static final String SCORES = "tokenizer.ggml.scores";
    static final String TOKEN_TYPE = "tokenizer.ggml.token_type";
    static final String MERGES = "tokenizer.ggml.merges";
    static final String BOS_ID = "tokenizer.ggml.bos_token_id";
    static final String EOS_ID = "tokenizer.ggml.eos_token_id";
    static final String UNKNOWN_ID = "tokenizer.ggml.unknown_token_id";
    static final String EOT_ID = "tokenizer.ggml.eot_token_id";
    static final String EOM_ID = "tokenizer.ggml.eom_token_id";
    static final String ADD_BOS = "tokenizer.ggml.add_bos_token";
    static final String ADD_SPACE_PREFIX = "tokenizer.ggml.add_space_prefix";

    private GgufTokenizerReader() {}

    static Tokenizer read(GGUF gguf) {
        String source = gguf.source();
        if (!gguf.has(MODEL)) {
            throw new ModelFormatException(source + ": no tokenizer in the file (metadata '" + MODEL + "' is missing)");
        }
        String model = gguf.getString(MODEL);
        return switch (model) {
            case "llama" -> readSentencePiece(gguf);
            case "gpt2" -> readByteLevelBpe(gguf);
            default -> throw new ModelFormatException(source + ": tokenizer model '" + model
                    + "' is not supported (supported: 'llama' SentencePiece BPE, 'gpt2' byte-level BPE)");
        };
    }

    private static SentencePieceTokenizer readSentencePiece(GGUF gguf) {
        String[] tokens = tokens(gguf);
        if (!gguf.has(SCORES)) {
            throw new ModelFormatException(gguf.source() + ": SentencePiece tokenizer without '" + SCORES + "'");
        }
        float[] scores = gguf.getFloatArray(SCORES);
        if (scores.length != tokens.length) {
            throw new ModelFormatException(gguf.source() + ": '" + SCORES + "' has " + scores.length
                    + " entries but '" + TOKENS + "' has " + tokens.length);
        }
        TokenType[] types = types(gguf, tokens.length);
        int bos = specialId(gguf, BOS_ID, 1, tokens.length);
        int eos = specialId(gguf, EOS_ID, 2, tokens.length);
        int unknown = specialId(gguf, UNKNOWN_ID, 0, tokens.length);
        boolean addBos = gguf.getBoolean(ADD_BOS, true);
        Vocabulary vocabulary = new Vocabulary(gguf.source(), tokens, types, scores, bos, eos, unknown, addBos, extraStopIds(gguf, tokens.length));
        return new SentencePieceTokenizer(vocabulary, "\u2581", gguf.getBoolean(ADD_SPACE_PREFIX, true));
    }

    private static ByteLevelBpeTokenizer readByteLevelBpe(GGUF gguf) {
        String[] tokens = tokens(gguf);
        if (!gguf.has(MERGES)) {
            throw new ModelFormatException(gguf.source() + ": byte-level BPE tokenizer without '" + MERGES + "'");
        }
        String[] merges = gguf.getStringArray(MERGES);
        TokenType[] types = types(gguf, tokens.length);
        PreTokenizer pre = PreTokenizer.forName(gguf.has(PRE) ? gguf.getString(PRE) : null, gguf.source());
        int bos = specialId(gguf, BOS_ID, -1, tokens.length);
        int eos = specialId(gguf, EOS_ID, -1, tokens.length);
        int unknown = specialId(gguf, UNKNOWN_ID, -1, tokens.length);
        boolean addBos = gguf.getBoolean(ADD_BOS, pre.ignoreMerges() && bos >= 0); // llama.cpp: Llama 3 adds BOS by default
        Vocabulary vocabulary = new Vocabulary(gguf.source(), tokens, types, null, bos, eos, unknown, addBos, extraStopIds(gguf, tokens.length));
        return new ByteLevelBpeTokenizer(vocabulary, merges, pre);
    }

    private static String[] tokens(GGUF gguf) {
        if (!gguf.has(TOKENS)) {
            throw new ModelFormatException(gguf.source() + ": tokenizer without '" + TOKENS + "'");
        }
        String[] tokens = gguf.getStringArray(TOKENS);
        if (tokens.length == 0) {
            throw new ModelFormatException(gguf.source() + ": '" + TOKENS + "' is empty");
        }
        return tokens;
    }

    /** Token types, all NORMAL when the file has none. */
    private static TokenType[] types(GGUF gguf, int count) {
        TokenType[] types = new TokenType[count];
        if (!gguf.has(TOKEN_TYPE)) {
            Arrays.fill(types, TokenType.NORMAL);
            return types;
        }
        int[] ids = gguf.getIntArray(TOKEN_TYPE);
        if (ids.length != count) {
            throw new ModelFormatException(gguf.source() + ": '" + TOKEN_TYPE + "' has " + ids.length
                    + " entries but '" + TOKENS + "' has " + count);
        }
        for (int i = 0; i < count; i++) {
            types[i] = TokenType.fromId(ids[i]);
            if (types[i] == null) {
                throw new ModelFormatException(gguf.source() + ": token " + i + " has unknown token type " + ids[i] + " (0 to 6 allowed)");
            }
        }
        return types;
    }

    /** A special id from metadata (which must lie in the vocabulary), else the default if that does. */
    private static int specialId(GGUF gguf, String key, int defaultId, int count) {
        if (!gguf.has(key)) {
            return defaultId < count ? defaultId : -1;
        }
        long id = gguf.getLong(key);
        if (id < 0 || id >= count) {
            throw new ModelFormatException(gguf.source() + ": '" + key + "' = " + id + " is outside the vocabulary of " + count + " tokens");
        }
        return (int) id;
    }

    private static List<Integer> extraStopIds(GGUF gguf, int count) {
        List<Integer> ids = new ArrayList<>();
        ids.add(specialId(gguf, EOT_ID, -1, count));
        ids.add(specialId(gguf, EOM_ID, -1, count));
        return ids;
    }
}
