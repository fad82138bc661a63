package io.llmpipe.engine.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.llmpipe.engine.SharedData;
import io.llmpipe.engine.attention.DenseAttention;
import io.llmpipe.engine.kv.KvCodec;
import io.llmpipe.engine.model.Model;
import io.llmpipe.engine.model.ModelLoader;
import io.llmpipe.engine.sampling.Sampler;
import io.llmpipe.engine.sampling.SamplingParams;
import io.llmpipe.engine.tensor.Parallel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Requests decoded together, joining at different times, get exactly the tokens they get alone. */
class ContinuousBatcherTest {
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

    private static int[] prompt(int salt) {
        int[] t = new int[3 + salt * 4];
        t[0] = 1;
        for (int i = 1; i < t.length; i++) {
            t[i] = 259 + (i * 17 + salt * 29) % 250;
        }
        return t;
    }

    /** Prefill as the prefill-service does, hand the cache over through a codec, and admit. */
    private static DecodeSlot prefilled(Generator g, String id, int[] prompt, SamplingParams sp, int maxTokens, KvCodec codec) {
        Sequence s = g.newSequence();
        float[] logits = g.prefill(s, prompt, DenseAttention.INSTANCE, 512);
        Sampler sampler = new Sampler(sp);
        int first = sampler.sample(logits, 0, model.config().vocabularySize(), 0);
        if (codec != null) {
            s = Generator.handOff(s, codec);
        }
        return new DecodeSlot(id, s, first, 1, sampler, maxTokens, Set.of());
    }

    @Test
    void batchedRequestsJoiningLateMatchSoloGeneration() {
        Generator g = new Generator(model, parallel);
        int n = 5;
        Map<String, int[]> expected = new HashMap<>();
        Map<String, List<Integer>> got = new HashMap<>();
        List<DecodeSlot> pending = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            SamplingParams sp = i % 2 == 0 ? SamplingParams.GREEDY : new SamplingParams(0.9f, 20, 0.95f, 100 + i);
            int max = 20 + 7 * i;
            int[] p = prompt(i);
            // one batch mixes full-precision and KIVI caches (small groups, so codes are read within a few steps)
            KvCodec codec = switch (i % 3) {
                case 0 -> KvCodec.FP32;
                case 1 -> new io.llmpipe.engine.kv.KiviCodec(2, 4, 8);
                default -> new io.llmpipe.engine.kv.KiviCodec(4, 8, 16);
            };
            expected.put("r" + i, g.generate(p, new GenerationOptions(max, sp, Set.of(), DenseAttention.INSTANCE, 512, codec),
                    TokenListener.NONE).tokens());
            DecodeSlot slot = prefilled(g, "r" + i, p, sp, max, codec);
            pending.add(slot);
            got.put(slot.id(), new ArrayList<>(List.of(slot.nextToken())));
        }
        ContinuousBatcher batcher = new ContinuousBatcher(g, 3);
        int steps = 0;
        while (!pending.isEmpty() || batcher.activeCount() > 0) {
            // join between steps, a new one every other step while there is room
            if (!pending.isEmpty() && batcher.hasRoom() && steps % 2 == 0) {
                batcher.admit(pending.removeFirst());
            }
            for (ContinuousBatcher.TokenEvent e : batcher.step()) {
                got.get(e.id()).add(e.token());
                assertEquals(got.get(e.id()).size() - 1, e.index());
            }
            steps++;
        }
        for (String id : expected.keySet()) {
            assertArrayEquals(expected.get(id), got.get(id).stream().mapToInt(Integer::intValue).toArray(), id);
        }
    }

    @Test
    void cancelledRequestLeavesAtOnce() {
        Generator g = new Generator(model, parallel);
        ContinuousBatcher batcher = new ContinuousBatcher(g, 4);
        batcher.admit(prefilled(g, "a", prompt(1), SamplingParams.GREEDY, 50, null));
        batcher.admit(prefilled(g, "b", prompt(2), SamplingParams.GREEDY, 50, null));
        assertEquals(2, batcher.step().size());
        batcher.cancel("a");
        assertFalse(batcher.isActive("a"));
        List<ContinuousBatcher.TokenEvent> events = batcher.step();
        assertEquals(1, events.size());
        assertEquals("b", events.getFirst().id());
        assertThrows(IllegalArgumentException.class, () -> batcher.admit(prefilled(g, "b", prompt(2), SamplingParams.GREEDY, 5, null)));
    }

    @Test
    void fp16HandoffKeepsGreedyTokensOnStories() {
        Generator g = new Generator(model, parallel);
        int[] p = prompt(3);
        int[] solo = g.generate(p, GenerationOptions.greedy(40, Set.of()), TokenListener.NONE).tokens();
        ContinuousBatcher batcher = new ContinuousBatcher(g, 1);
        DecodeSlot slot = prefilled(g, "x", p, SamplingParams.GREEDY, 40, KvCodec.FP16);
        List<Integer> tokens = new ArrayList<>(List.of(slot.nextToken()));
        batcher.admit(slot);
        while (batcher.activeCount() > 0) {
            batcher.step().forEach(e -> tokens.add(e.token()));
        }
        int same = 0;
        for (int i = 0; i < solo.length; i++) {
            same += solo[i] == tokens.get(i) ? 1 : 0;
        }
        assertEquals(solo.length, tokens.size());
        assertEquals(solo.length, same, "fp16 KV should not change greedy tokens of this model over 40 steps");
    }
}
