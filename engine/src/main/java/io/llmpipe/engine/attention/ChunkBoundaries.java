package io.llmpipe.engine.attention;

/**
 * Where DHSA cuts the key sequence into variable-length chunks. The paper trains a small predictor
 * over key windows; its weights are model-specific and not available, so {@link #similarityDrops}
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

    /**
     * Cuts where the keys change most: for each position, 1 - cos(mean of the {@code window} keys before
     * it, mean of the {@code window} keys from it), then the highest scores with non-maximum suppression
     * (no two cuts within {@code suppression} positions) until {@code chunks - 1} cuts.
     */
    static ChunkBoundaries similarityDrops(int window, int suppression) {
        return (keys, positions, hs, chunks) -> {
            double[] score = new double[positions];
            for (int t = 1; t < positions; t++) {
                int lf = Math.max(0, t - window);
                int rt = Math.min(positions, t + window);
                double dot = 0, nl = 0, nr = 0;
                for (int d = 0; d < hs; d++) {
                    double l = 0, r = 0;
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
                score[t] = 1 - dot / Math.sqrt(Math.max(nl * nr, 1e-30));
            }
            Integer[] order = new Integer[Math.max(0, positions - 1)];
            for (int i = 0; i < order.length; i++) {
                order[i] = i + 1;
            }
            java.util.Arrays.sort(order, (a, b) -> Double.compare(score[b], score[a]));
            java.util.BitSet cut = new java.util.BitSet(positions);
            cut.set(0);
            int cuts = 0;
            for (int t : order) {
                if (cuts >= chunks - 1) {
                    break;
                }
                int from = Math.max(0, t - suppression + 1);
                int next = cut.nextSetBit(from);
                if (next >= 0 && next < t + suppression) {
                    continue;
                }
                cut.set(t);
                cuts++;
            }
            return cut.stream().toArray();
        };
    }
}
