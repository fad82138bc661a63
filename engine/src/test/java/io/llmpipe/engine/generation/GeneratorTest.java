package io.llmpipe.engine.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmpipe.engine.SharedData;
import io.llmpipe.engine.attention.DenseAttention;
import io.llmpipe.engine.model.Model;
import io.llmpipe.engine.model.ModelLoader;
import io.llmpipe.engine.sampling.SamplingParams;
import io.llmpipe.engine.tensor.Parallel;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Batching, chunking and sampling invariants of the generator on stories260K. */
class GeneratorTest {
    private static Model model;
    private static Parallel parallel;

    @BeforeAll
    static void load() {
        model = ModelLoader.load(new ModelLoader.Options(SharedData.models().resolve("stories260K.bin"),
                SharedData.models().resolve("tok512.bin"), 512));
        parallel = new Parallel(2);
    }

    @AfterAll
    static void close() {
        parallel.close();
        model.close();
    }

    private static int[] prompt(int n, int salt) {
        int[] t = new int[n];
        t[0] = 1;
        for (int i = 1; i < n; i++) {
            t[i] = 259 + (i * 31 + salt * 7) % 250;
        }
        return t;
    }

    /** A warm-up leaves nothing behind: the same prompt gives the same logits before and after it. */
    @Test
    void warmUpChangesNothing() {
        Generator g = new Generator(model, parallel);
        int[] p = prompt(20, 3);
        float[] before = g.prefill(g.newSequence(), p, DenseAttention.INSTANCE, 512);
        assertTrue(g.warmUp() >= 0);
        float[] after = g.prefill(g.newSequence(), p, DenseAttention.INSTANCE, 512);
        // not bit for bit: compiled and interpreted Vector API code may sum lanes in other orders
        assertClose(before, 0, after, 0, model.config().vocabularySize(), 1e-5f);
    }

    @Test
    void chunkedPrefillGivesTheSameLogitsAsOnePass() {
        Generator g = new Generator(model, parallel);
        int[] p = prompt(100, 1);
        float[] whole = g.prefill(g.newSequence(), p, DenseAttention.INSTANCE, 512);
        float[] chunked = g.prefill(g.newSequence(), p, DenseAttention.INSTANCE, 7);
        assertClose(whole, 0, chunked, 0, model.config().vocabularySize(), 1e-4f);
    }

    @Test
    void batchedDecodeEqualsDecodingEachSequenceAlone() {
        Generator g = new Generator(model, parallel);
        int vocab = model.config().vocabularySize();
        int batch = 4;
        List<Sequence> together = new ArrayList<>();
        List<Sequence> alone = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            int[] p = prompt(5 + 9 * b, b); // different lengths: different positions in one step
            Sequence s1 = g.newSequence();
            Sequence s2 = g.newSequence();
            g.prefill(s1, p, DenseAttention.INSTANCE, 512);
            g.prefill(s2, p, DenseAttention.INSTANCE, 512);
            together.add(s1);
            alone.add(s2);
        }
        int[] tokens = {300, 301, 302, 303};
        for (int step = 0; step < 3; step++) {
            float[] batched = new float[batch * vocab];
            g.decode(together, tokens, batched);
            for (int b = 0; b < batch; b++) {
                float[] single = new float[vocab];
                g.decode(List.of(alone.get(b)), new int[]{tokens[b]}, single);
                assertClose(single, 0, batched, b * vocab, vocab, 1e-4f);
            }
            for (int b = 0; b < batch; b++) {
                tokens[b] = 260 + (tokens[b] + step * 13) % 240;
            }
        }
    }

    @Test
    void sameSeedSameTokensDifferentSeedDifferentTokens() {
        Generator g = new Generator(model, parallel);
        int[] p = prompt(4, 3);
        GenerationOptions a = new GenerationOptions(60, new SamplingParams(1.0f, 0, 1f, 42), Set.of(), DenseAttention.INSTANCE, 512);
        GenerationOptions b = new GenerationOptions(60, new SamplingParams(1.0f, 0, 1f, 43), Set.of(), DenseAttention.INSTANCE, 512);
        int[] first = g.generate(p, a, TokenListener.NONE).tokens();
        int[] again = g.generate(p, a, TokenListener.NONE).tokens();
        int[] other = g.generate(p, b, TokenListener.NONE).tokens();
        assertArrayEquals(first, again);
        assertTrue(!java.util.Arrays.equals(first, other), "a different seed should give a different sample");
    }

    @Test
    void stopsOnStopTokenLimitAndCancel() {
        Generator g = new Generator(model, parallel);
        int[] p = prompt(4, 0);
        GenerationResult greedy = g.generate(p, GenerationOptions.greedy(20, Set.of()), TokenListener.NONE);
        assertEquals(20, greedy.tokens().length);
        assertEquals(FinishReason.LENGTH, greedy.finishReason());

        int stopAt = greedy.tokens()[5];
        GenerationResult stopped = g.generate(p, GenerationOptions.greedy(20, Set.of(stopAt)), TokenListener.NONE);
        assertEquals(FinishReason.STOP, stopped.finishReason());
        assertEquals(stopAt, stopped.tokens()[stopped.tokens().length - 1]);

        int[] seen = {0};
        GenerationResult cancelled = g.generate(p, GenerationOptions.greedy(20, Set.of()), t -> ++seen[0] < 3);
        assertEquals(FinishReason.CANCELLED, cancelled.finishReason());
        assertEquals(3, cancelled.tokens().length);
    }

    @Test
    void contextLimitEndsGenerationAndRejectsLongPrompts() {
        Generator g = new Generator(model, parallel);
        int ctx = model.config().contextLength();
        GenerationResult r = g.generate(prompt(ctx - 10, 0), GenerationOptions.greedy(100, Set.of()), TokenListener.NONE);
        assertEquals(11, r.tokens().length, "positions left after the prompt, plus the last sampled token");
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertThrows(IllegalArgumentException.class,
                () -> g.generate(prompt(ctx + 1, 0), GenerationOptions.greedy(1, Set.of()), TokenListener.NONE));
    }

    static void assertClose(float[] expected, int eo, float[] actual, int ao, int n, float tol) {
        for (int i = 0; i < n; i++) {
            float e = expected[eo + i], a = actual[ao + i];
            assertTrue(Math.abs(e - a) <= tol * Math.max(1f, Math.abs(e)), "index " + i + ": " + a + " vs " + e);
        }
    }
}
