package io.llmpipe.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A literal transcription of llama2.c run.c {@code encode()} (quadratic rescans, byte fallback as
 * byte + 3), used as an oracle for the fast tokenizer on text the golden files do not cover.
 */
final class RunCReference {
    private final String[] vocab;
    private final float[] scores;
    private final Map<String, Integer> lookup = new HashMap<>();

    RunCReference(Tokenizer tokenizer, float[] scores) {
        vocab = new String[tokenizer.vocabularySize()];
        for (int i = 0; i < vocab.length; i++) {
            vocab[i] = tokenizer.piece(i);
            lookup.putIfAbsent(vocab[i], i);
        }
        this.scores = scores;
    }

    int[] encode(String text, boolean bos) {
        List<Integer> tokens = new ArrayList<>();
        if (bos) {
            tokens.add(1);
        }
        if (!text.isEmpty()) {
            tokens.add(lookup.get(" "));
        }
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        byte[] buffer = new byte[8];
        int len = 0;
        for (int c = 0; c < bytes.length; c++) {
            if ((bytes[c] & 0xC0) != 0x80) {
                len = 0;
            }
            buffer[len++] = bytes[c];
            if (c + 1 < bytes.length && (bytes[c + 1] & 0xC0) == 0x80 && len < 4) {
                continue;
            }
            Integer id = lookup.get(new String(buffer, 0, len, StandardCharsets.UTF_8));
            if (id != null) {
                tokens.add(id);
            } else {
                for (int i = 0; i < len; i++) {
                    tokens.add((buffer[i] & 0xFF) + 3);
                }
            }
            len = 0;
        }
        while (true) {
            float bestScore = -1e10f;
            int bestId = -1;
            int bestIdx = -1;
            for (int i = 0; i < tokens.size() - 1; i++) {
                Integer id = lookup.get(vocab[tokens.get(i)] + vocab[tokens.get(i + 1)]);
                if (id != null && scores[id] > bestScore) {
                    bestScore = scores[id];
                    bestId = id;
                    bestIdx = i;
                }
            }
            if (bestIdx == -1) {
                break;
            }
            tokens.set(bestIdx, bestId);
            tokens.remove(bestIdx + 1);
        }
        return tokens.stream().mapToInt(Integer::intValue).toArray();
    }
}
