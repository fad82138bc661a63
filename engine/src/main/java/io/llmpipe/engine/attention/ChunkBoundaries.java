package io.llmpipe.engine.attention;

/**
 * Where DHSA cuts the key sequence into variable-length chunks. The paper trains a small predictor
 * over key windows; its weights are model-specific and not available, so {@link SimilarityDrops}
 * is a training-free rule on the same signal. Implementations must be thread-safe.
 */
@FunctionalInterface
public interface ChunkBoundaries {

    /**
     * Chunk start positions, ascending, the first one 0.
     *
     * @param keys      one KV head's keys, {@code [positions][headSize]}
     * @param chunks    how many chunks to aim for
     */
    int[] starts(float[] keys, int positions, int headSize, int chunks);

    /** The training-free rule: {@link SimilarityDrops}. */
    static ChunkBoundaries similarityDrops(int window, int suppression) {
        return new SimilarityDrops(window, suppression);
    }

    /**
     * Cuts where the keys change most. Each position t ≥ 1 scores 1 − cos(mean of the {@code window} keys
     * before t, mean of the {@code window} keys from t) ({@link #score}); a position is a candidate when its
     * score beats every earlier position and matches or beats every later one within {@code suppression − 1}
     * positions (so no two candidates are closer than {@code suppression}); the {@code chunks − 1}
     * best-scoring candidates are cut, ties taken in position order. Each step is per position or a
     * top-k, so the OpenCL backend runs the same rule on the device
     * ({@code block_sparse_attention.cl}, {@code dhsa_boundary_scores} and {@code dhsa_cuts}).
     */
    record SimilarityDrops(int window, int suppression) implements ChunkBoundaries {
        public SimilarityDrops {
            if (window < 1 || suppression < 1) {
                throw new IllegalArgumentException("bad boundary rule: window " + window + ", suppression " + suppression);
            }
        }

        @Override
        public int[] starts(float[] keys, int positions, int hs, int chunks) {
            float[] score = new float[positions];
            for (int t = 1; t < positions; t++) {
                score[t] = score(keys, positions, hs, t, window);
            }
            int candidates = 0;
            float[] candidateScore = new float[positions];
            boolean[] candidate = new boolean[positions];
            for (int t = 1; t < positions; t++) {
                if (isCandidate(score, positions, t, suppression)) {
                    candidate[t] = true;
                    candidateScore[candidates++] = score[t];
                }
            }
            int wanted = chunks - 1;
            float cut = Float.NEGATIVE_INFINITY;
            int ties = Integer.MAX_VALUE;
            if (candidates > wanted) {
                if (wanted <= 0) {
                    return new int[]{0};
                }
                java.util.Arrays.sort(candidateScore, 0, candidates);
                cut = candidateScore[candidates - wanted];
                int above = 0;
                for (int t = 1; t < positions; t++) {
                    if (candidate[t] && score[t] > cut) {
                        above++;
                    }
                }
                ties = wanted - above;
            }
            int[] starts = new int[1 + Math.min(candidates, Math.max(0, wanted))];
            int k = 1;
            for (int t = 1; t < positions && k < starts.length; t++) {
                if (candidate[t] && (score[t] > cut || (score[t] == cut && ties-- > 0))) {
                    starts[k++] = t;
                }
            }
            return starts;
        }

        /** 1 − cos(mean of keys [t − window, t), mean of keys [t, t + window)), clipped to the sequence; in float. */
        static float score(float[] keys, int positions, int hs, int t, int window) {
            int lf = Math.max(0, t - window);
            int rt = Math.min(positions, t + window);
            float dot = 0, nl = 0, nr = 0;
            for (int d = 0; d < hs; d++) {
                float l = 0, r = 0;
                for (int p = lf; p < t; p++) {
                    l += keys[p * hs + d];
                }
                for (int p = t; p < rt; p++) {
                    r += keys[p * hs + d];
                }
                l /= t - lf;
                r /= rt - t;
                dot += l * r;
                nl += l * l;
                nr += r * r;
            }
            float score = 1f - dot / (float) Math.sqrt(Math.max(nl * nr, 1e-30f));
            return score + 0f; // no negative zero: the device orders scores by their bits
        }

        static boolean isCandidate(float[] score, int positions, int t, int suppression) {
            for (int u = Math.max(1, t - suppression + 1); u < t; u++) {
                if (!(score[t] > score[u])) {
                    return false;
                }
            }
            for (int u = t + 1; u < Math.min(positions, t + suppression); u++) {
                if (!(score[t] >= score[u])) {
                    return false;
                }
            }
            return true;
        }
    }
}
