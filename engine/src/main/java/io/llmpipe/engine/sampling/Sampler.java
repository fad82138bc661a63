package io.llmpipe.engine.sampling;

/**
 * Picks a token from logits. The random number for the token at step {@code i} of a sequence is a
 * pure function of {@code (seed, i)}, so a generation resumed or re-run from step {@code i} on
 * another machine samples exactly the same tokens; there is no hidden generator state.
 *
 * <p>Immutable; any thread. Scratch arrays are allocated per call only when sampling is not greedy.
 */
public final class Sampler {
    private final SamplingParams params;

    public Sampler(SamplingParams params) {
        this.params = params;
    }

    public SamplingParams params() {
        return params;
    }

    /** Samples from {@code logits[offset .. offset + vocab)} for generation step {@code step}. */
    public int sample(float[] logits, int offset, int vocab, int step) {
        if (params.greedy()) {
            return argmax(logits, offset, vocab);
        }
        // softmax(logits / temperature) in double, relative to the max for stability
        float max = logits[offset + argmax(logits, offset, vocab)];
        double[] probs = new double[vocab];
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            probs[i] = Math.exp((logits[offset + i] - max) / params.temperature());
            sum += probs[i];
        }
        for (int i = 0; i < vocab; i++) {
            probs[i] /= sum;
        }
        double u = uniform(params.seed(), step);
        if (params.topK() == 0 && params.topP() >= 1f) {
            return sampleFrom(probs, null, vocab, u);
        }
        int[] candidates = candidates(probs, vocab);
        int keep = candidates.length;
        if (params.topP() < 1f) {
            double cumulative = 0;
            for (int i = 0; i < candidates.length; i++) {
                cumulative += probs[candidates[i]];
                if (cumulative >= params.topP()) {
                    keep = i + 1;
                    break;
                }
            }
        }
        return sampleFrom(probs, candidates, keep, u);
    }

    /** The top-k (or, for top-p alone, every token that could make the nucleus), most likely first. */
    private int[] candidates(double[] probs, int vocab) {
        int k = params.topK() > 0 ? Math.min(params.topK(), vocab) : vocab;
        // A token below (1 - topP) / (vocab - 1) can never be in the nucleus (as llama2.c's run.c argues).
        double floor = params.topP() < 1f && vocab > 1 ? (1.0 - params.topP()) / (vocab - 1) : -1;
        java.util.PriorityQueue<Integer> heap = new java.util.PriorityQueue<>(Math.min(k, 1024) + 1,
                (a, b) -> probs[a] != probs[b] ? Double.compare(probs[a], probs[b]) : Integer.compare(b, a));
        for (int i = 0; i < vocab; i++) {
            if (probs[i] < floor) {
                continue;
            }
            heap.add(i);
            if (heap.size() > k) {
                heap.poll();
            }
        }
        int[] ids = new int[heap.size()];
        for (int i = ids.length - 1; i >= 0; i--) {
            ids[i] = heap.poll();
        }
        return ids;
    }

    /** Inverse-CDF draw over {@code ids[0..n)} (or tokens 0..n when ids is null), renormalised. */
    private static int sampleFrom(double[] probs, int[] ids, int n, double u) {
        double mass = 0;
        for (int i = 0; i < n; i++) {
            mass += probs[ids == null ? i : ids[i]];
        }
        double r = u * mass;
        double cdf = 0;
        for (int i = 0; i < n; i++) {
            int id = ids == null ? i : ids[i];
            cdf += probs[id];
            if (r < cdf) {
                return id;
            }
        }
        return ids == null ? n - 1 : ids[n - 1];
    }

    public static int argmax(float[] logits, int offset, int vocab) {
        int best = 0;
        float bestValue = logits[offset];
        for (int i = 1; i < vocab; i++) {
            if (logits[offset + i] > bestValue) {
                bestValue = logits[offset + i];
                best = i;
            }
        }
        return best;
    }

    /** A uniform double in [0, 1) from (seed, step): SplitMix64 finalizer over a combined key. */
    static double uniform(long seed, int step) {
        long z = seed * 0x9E3779B97F4A7C15L + (step + 1L) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return (z >>> 11) * 0x1.0p-53;
    }
}
