package io.llmpipe.engine.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SamplerTest {
    private static final float[] LOGITS = {1f, 3f, 2f, 3f, -1f, 0.5f};

    @Test
    void greedyTakesTheFirstMaximum() {
        assertEquals(1, new Sampler(SamplingParams.GREEDY).sample(LOGITS, 0, LOGITS.length, 0));
        assertEquals(1, new Sampler(new SamplingParams(0.7f, 1, 1f, 5)).sample(LOGITS, 0, LOGITS.length, 3), "top_k 1 is greedy");
    }

    @Test
    void topKAndTopPRestrictTheCandidates() {
        Set<Integer> topK2 = new HashSet<>();
        Set<Integer> topP = new HashSet<>();
        Sampler k2 = new Sampler(new SamplingParams(1f, 2, 1f, 11));
        // softmax of LOGITS: tokens 1 and 3 hold ~0.61 together, token 2 ~0.11 more
        Sampler p = new Sampler(new SamplingParams(1f, 0, 0.6f, 11));
        for (int step = 0; step < 2000; step++) {
            topK2.add(k2.sample(LOGITS, 0, LOGITS.length, step));
            topP.add(p.sample(LOGITS, 0, LOGITS.length, step));
        }
        assertEquals(Set.of(1, 3), topK2);
        assertEquals(Set.of(1, 3), topP);
    }

    @Test
    void frequenciesFollowTheSoftmax() {
        Sampler s = new Sampler(new SamplingParams(1f, 0, 1f, 99));
        int[] counts = new int[LOGITS.length];
        int n = 20000;
        for (int step = 0; step < n; step++) {
            counts[s.sample(LOGITS, 0, LOGITS.length, step)]++;
        }
        double sum = 0;
        for (float l : LOGITS) {
            sum += Math.exp(l);
        }
        for (int i = 0; i < LOGITS.length; i++) {
            double expected = Math.exp(LOGITS[i]) / sum;
            assertEquals(expected, counts[i] / (double) n, 0.015, "token " + i);
        }
    }

    @Test
    void sameSeedAndStepGiveTheSameToken() {
        Sampler a = new Sampler(new SamplingParams(1.3f, 0, 0.9f, 1234));
        Sampler b = new Sampler(new SamplingParams(1.3f, 0, 0.9f, 1234));
        for (int step = 0; step < 100; step++) {
            assertEquals(a.sample(LOGITS, 0, LOGITS.length, step), b.sample(LOGITS, 0, LOGITS.length, step));
        }
        assertTrue(Sampler.uniform(1, 0) != Sampler.uniform(2, 0));
    }

    @Test
    void rejectsOutOfRangeParameters() {
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(-1f, 0, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(Float.NaN, 0, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1f, -2, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1f, 0, 0f, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1f, 0, 1.5f, 0));
    }
}
