package io.llmpipe.engine.tokenizer;

import io.llmpipe.engine.ModelFormatException;
import io.llmpipe.engine.gguf.GGUF;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Builds the right tokenizer for a model file. */
public final class Tokenizers {
    /** End-of-turn tokens that end generation when present as control tokens (as llama.cpp's EOG set). */
    static final List<String> END_OF_TURN = List.of("<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|end_of_text|>", "<|endoftext|>", "<end_of_turn>", "</s>");

    private Tokenizers() {
    }

    /**
     * A llama2.c tokenizer file: int32 max_token_length, then per token float32 score, int32 length,
     * bytes. BOS = 1, EOS = 2, UNK = 0 by llama2.c convention; generation stops on EOS and, as in run.c, BOS.
     */
    public static Tokenizer fromLlama2c(Path path, int vocabSize) {
        byte[] data;
        try {
            data = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new ModelFormatException("cannot read tokenizer " + path + ": " + e.getMessage(), e);
        }
        ByteBuffer in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        if (in.remaining() < 4) {
            throw new ModelFormatException(path + ": too short for a llama2.c tokenizer");
        }
        int maxLen = in.getInt();
        if (maxLen <= 0 || maxLen > 1 << 16) {
            throw new ModelFormatException(path + ": max token length " + maxLen + " is absurd: not a llama2.c tokenizer");
        }
        List<String> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        while (in.remaining() > 0 && pieces.size() < vocabSize) {
            if (in.remaining() < 8) {
                throw new ModelFormatException(path + ": truncated after " + pieces.size() + " tokens");
            }
            float score = in.getFloat();
            int len = in.getInt();
            if (len < 0 || len > maxLen || len > in.remaining()) {
                throw new ModelFormatException(path + ": token " + pieces.size() + " has length " + len
                        + " (max " + maxLen + ", " + in.remaining() + " bytes left): truncated or not a llama2.c tokenizer");
            }
            byte[] b = new byte[len];
            in.get(b);
            pieces.add(new String(b, StandardCharsets.UTF_8));
            scores.add(score);
        }
        if (pieces.size() != vocabSize || in.remaining() > 0) {
            throw new ModelFormatException("tokenizer " + path + " does not match the model: the model has " + vocabSize
                    + " tokens but the tokenizer " + (in.remaining() > 0 ? "has more" : "has " + pieces.size()));
        }
        float[] s = new float[scores.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = scores.get(i);
        }
        return new SentencePieceTokenizer(pieces.toArray(String[]::new), s, null, 1, 2, 0, List.of(1));
    }

    /** The tokenizer a GGUF file declares in its {@code tokenizer.ggml.*} metadata. */
    public static Tokenizer fromGGUF(GGUF g) {
        String model = g.getString("tokenizer.ggml.model");
        String[] tokens = g.getStringArray("tokenizer.ggml.tokens");
        int[] types = g.has("tokenizer.ggml.token_type") ? g.getIntArray("tokenizer.ggml.token_type") : null;
        if (types != null && types.length != tokens.length) {
            throw new ModelFormatException(g.source() + ": " + tokens.length + " tokens but " + types.length + " token types");
        }
        int n = tokens.length;
        int bos = tokenId(g, "tokenizer.ggml.bos_token_id", n);
        int eos = tokenId(g, "tokenizer.ggml.eos_token_id", n);
        List<Integer> stops = new ArrayList<>();
        for (String key : List.of("tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id")) {
            int id = tokenId(g, key, n);
            if (id >= 0) {
                stops.add(id);
            }
        }
        for (int i = 0; i < n; i++) {
            if (END_OF_TURN.contains(tokens[i]) && (types == null || types[i] == Vocabulary.CONTROL || types[i] == Vocabulary.USER_DEFINED)) {
                stops.add(i);
            }
        }
        try {
            return switch (model) {
                case "llama" -> {
                    if (!g.has("tokenizer.ggml.scores")) {
                        throw new ModelFormatException(g.source() + ": a 'llama' tokenizer needs tokenizer.ggml.scores");
                    }
                    float[] scores = g.getFloatArray("tokenizer.ggml.scores");
                    if (scores.length != n) {
                        throw new ModelFormatException(g.source() + ": " + n + " tokens but " + scores.length + " scores");
                    }
                    int unk = tokenId(g, "tokenizer.ggml.unknown_token_id", n);
                    SentencePieceTokenizer t = new SentencePieceTokenizer(tokens, scores, types, bos, eos, unk, stops);
                    yield g.getBoolean("tokenizer.ggml.add_bos_token", true) ? t : withoutDefaultBos(t);
                }
                case "gpt2" -> {
                    String[] merges = g.getStringArray("tokenizer.ggml.merges");
                    var pre = ByteLevelBpeTokenizer.PreTokenizer.forName(g.getString("tokenizer.ggml.pre", "gpt2"));
                    yield new ByteLevelBpeTokenizer(tokens, types, merges, pre, bos, eos,
                            g.getBoolean("tokenizer.ggml.add_bos_token", false), stops);
                }
                default -> throw new ModelFormatException(g.source() + ": tokenizer model '" + model
                        + "' is not supported (supported: llama, gpt2)");
            };
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(g.source() + ": " + e.getMessage(), e);
        }
    }

    private static int tokenId(GGUF g, String key, int vocab) {
        if (!g.has(key)) {
            return -1;
        }
        long id = g.getLong(key);
        if (id < 0 || id >= vocab) {
            throw new ModelFormatException(g.source() + ": " + key + " = " + id + " is outside the vocabulary of " + vocab);
        }
        return (int) id;
    }

    /** The same tokenizer, reporting that prompts should not get BOS. */
    private static Tokenizer withoutDefaultBos(Tokenizer t) {
        return new DelegatingTokenizer(t) {
            @Override
            public boolean addBosByDefault() {
                return false;
            }
        };
    }

    /** Checks that a tokenizer fits a model's embedding. */
    public static void checkMatches(Tokenizer t, int modelVocabularySize, String source) {
        if (t.vocabularySize() != modelVocabularySize) {
            throw new ModelFormatException(source + ": the tokenizer has " + t.vocabularySize()
                    + " tokens but the model has " + modelVocabularySize);
        }
    }
}
