package io.llmpipe.retrieval.rerank;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.llmpipe.retrieval.rerank.TinyCrossEncoders.Head;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real ONNX Runtime on tiny models that count the query word's token in the passage segment, with
 * all-MiniLM-L6-v2's real tokenizer.json, so pair encoding, truncation, padding and batching are the
 * production ones and every score is known exactly.
 */
class OnnxCrossEncoderRerankerTest {
    private static final String QUERY = "Where is Paris?";

    @TempDir
    static Path dir;
    static Path tokenizerJson;
    static long parisId;

    @BeforeAll
    static void tokenizer() throws IOException {
        tokenizerJson = TinyCrossEncoders.miniLmTokenizer(dir);
        try (HuggingFaceTokenizer t = HuggingFaceTokenizer.newInstance(tokenizerJson)) {
            long[] ids = t.encode("paris", false, false).getIds();
            assertEquals(1, ids.length, "paris is one word piece");
            parisId = ids[0];
        }
    }

    private static Reranker.Candidate candidate(String id, String text) {
        return new Reranker.Candidate(0, id, text, null, null, null);
    }

    private static List<String> ids(List<Reranker.Ranked> ranked) {
        return ranked.stream().map(r -> r.candidate().id()).toList();
    }

    @Test
    void ordersPassagesByTheModelsScoreWhateverOrderTheyArriveIn() throws IOException {
        Path model = TinyCrossEncoders.write(dir, "count-paris", parisId, Head.ONE_LOGIT);
        List<Reranker.Candidate> candidates = List.of(
                candidate("d0", "Paris, Paris and Paris."),
                candidate("d1", "Lyon is not Paris."),
                candidate("d2", "Lyon and Marseille."),
                candidate("d3", "Paris is Paris."),
                candidate("d4", "Paris again."),
                candidate("d5", ""));
        try (var reranker = OnnxCrossEncoderReranker.fromFiles(model, tokenizerJson, 128)) {
            List<Reranker.Ranked> ranked = reranker.rerank(null, QUERY, candidates);
            // the query's own "Paris" is in segment 0 and does not count; d1 and d4 tie and fall to the id
            assertEquals(List.of("d0", "d3", "d1", "d4", "d2", "d5"), ids(ranked));
            assertArrayEquals(new double[]{3, 2, 1, 1, 0, 0}, ranked.stream().mapToDouble(Reranker.Ranked::score).toArray());
            for (Reranker.Ranked r : ranked) {
                assertArrayEquals(new double[]{r.score()}, r.views());
            }
            Random random = new Random(7);
            for (int round = 0; round < 5; round++) {
                List<Reranker.Candidate> shuffled = new ArrayList<>(candidates);
                Collections.shuffle(shuffled, random);
                assertEquals(ids(ranked), ids(reranker.rerank(null, QUERY, shuffled)));
            }
            assertEquals(List.of(), reranker.rerank(null, QUERY, List.of()));
        }
    }

    @Test
    void batchesScoreLikeOnePairAtATimeAndFromManyThreads() throws Exception {
        Path model = TinyCrossEncoders.write(dir, "count-paris-batched", parisId, Head.ONE_LOGIT);
        Random random = new Random(3);
        List<String> passages = new ArrayList<>();
        double[] expected = new double[40];
        for (int i = 0; i < expected.length; i++) {
            StringBuilder text = new StringBuilder();
            int words = 1 + random.nextInt(30); // unequal lengths, so batches pad
            for (int w = 0; w < words; w++) {
                boolean paris = random.nextInt(4) == 0;
                expected[i] += paris ? 1 : 0;
                text.append(paris ? "Paris " : "river ");
            }
            passages.add(text.toString());
        }
        try (var batched = OnnxCrossEncoderReranker.fromFiles(model, tokenizerJson, 128, 16);
             var single = OnnxCrossEncoderReranker.fromFiles(model, tokenizerJson, 128, 1)) {
            assertEquals(16, batched.batchSize());
            double[] scores = batched.score(QUERY, passages);
            assertArrayEquals(expected, scores);
            assertArrayEquals(scores, single.score(QUERY, passages));
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<double[]>> concurrent = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    concurrent.add(pool.submit(() -> batched.score(QUERY, passages)));
                }
                for (Future<double[]> f : concurrent) {
                    assertArrayEquals(expected, f.get());
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void pairsAreCutAtMaxTokensFromThePassagesTail() throws IOException {
        Path model = TinyCrossEncoders.write(dir, "count-paris-window", parisId, Head.ONE_LOGIT);
        // [CLS] where is paris ? [SEP] = 6 word pieces; with 16 the passage keeps its first 9
        String passage = "Paris" + " river".repeat(30) + " Paris Paris";
        try (var window16 = OnnxCrossEncoderReranker.fromFiles(model, tokenizerJson, 16);
             var window128 = OnnxCrossEncoderReranker.fromFiles(model, tokenizerJson, 128)) {
            assertEquals(16, window16.maxTokens());
            assertArrayEquals(new double[]{1}, window16.score(QUERY, List.of(passage)));
            assertArrayEquals(new double[]{3}, window128.score(QUERY, List.of(passage)));
        }
    }

    @Test
    void aTwoClassHeadScoresTheRelevantLogitMinusTheOther() throws IOException {
        Path model = TinyCrossEncoders.write(dir, "two-class", parisId, Head.TWO_CLASSES);
        try (var reranker = OnnxCrossEncoderReranker.fromFiles(model, tokenizerJson, 128)) {
            // logits (-count, count): the log-odds of "relevant" is 2 * count
            assertArrayEquals(new double[]{4, 0, 2}, reranker.score(QUERY, List.of("Paris Paris", "Lyon", "Paris")));
            assertEquals(List.of("a", "c", "b"), ids(reranker.rerank(null, QUERY,
                    List.of(candidate("a", "Paris Paris"), candidate("b", "Lyon"), candidate("c", "Paris")))));
        }
    }

    @Test
    void aModelWithoutTokenTypesIsFedNone() throws IOException {
        Path model = TinyCrossEncoders.write(dir, "no-token-types", parisId, Head.ONE_LOGIT, false, true);
        try (var reranker = OnnxCrossEncoderReranker.fromFiles(model, tokenizerJson, 128)) {
            // without segment ids the model counts the query's "Paris" too
            assertArrayEquals(new double[]{3, 1}, reranker.score(QUERY, List.of("Paris Paris", "Lyon")));
        }
    }

    @Test
    void badFilesAndCandidatesAreRefusedWithTheReason() throws IOException {
        Path model = TinyCrossEncoders.write(dir, "count-paris-errors", parisId, Head.ONE_LOGIT);
        Path missing = dir.resolve("missing.onnx");
        assertMessage(List.of(missing.toString(), "does not exist"),
                () -> OnnxCrossEncoderReranker.fromFiles(missing, tokenizerJson, 128));
        Path missingTokenizer = dir.resolve("missing-tokenizer.json");
        assertMessage(List.of(missingTokenizer.toString(), "does not exist"),
                () -> OnnxCrossEncoderReranker.fromFiles(model, missingTokenizer, 128));

        Path noMask = TinyCrossEncoders.write(dir, "no-mask", parisId, Head.ONE_LOGIT, true, false);
        assertMessage(List.of(noMask.toString(), "no attention_mask input"),
                () -> OnnxCrossEncoderReranker.fromFiles(noMask, tokenizerJson, 128));
        Path threeClasses = TinyCrossEncoders.write(dir, "three-classes", parisId, Head.THREE_CLASSES);
        assertMessage(List.of(threeClasses.toString(), "expected [batch, 1] or [batch, 2]"),
                () -> OnnxCrossEncoderReranker.fromFiles(threeClasses, tokenizerJson, 128));

        Path notOnnx = Files.writeString(dir.resolve("not-a-model.onnx"), "not a model");
        assertMessage(List.of(notOnnx.toString(), "cannot be loaded"),
                () -> OnnxCrossEncoderReranker.fromFiles(notOnnx, tokenizerJson, 128));
        Path notJson = Files.writeString(dir.resolve("not-a-tokenizer.json"), "{ not json");
        assertMessage(List.of(notJson.toString(), "cannot be loaded"),
                () -> OnnxCrossEncoderReranker.fromFiles(model, notJson, 128));
        assertMessage(List.of("maxTokens"), () -> OnnxCrossEncoderReranker.fromFiles(model, tokenizerJson, 4));

        try (var reranker = OnnxCrossEncoderReranker.fromFiles(model, tokenizerJson, 128)) {
            assertMessage(List.of("candidate d1 has no text"), () -> reranker.rerank(null, QUERY,
                    List.of(candidate("d0", "Paris"), candidate("d1", null))));
            assertMessage(List.of("query text"), () -> reranker.rerank(null, null, List.of(candidate("d0", "Paris"))));
        }
    }

    private static void assertMessage(List<String> parts, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + e.getMessage() + "' should say " + part);
        }
    }
}
