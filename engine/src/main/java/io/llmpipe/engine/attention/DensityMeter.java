package io.llmpipe.engine.attention;

import java.util.concurrent.atomic.LongAdder;

/** Counts computed over causal (query block, key block) pairs across a sparse mode's calls. Thread-safe. */
final class DensityMeter {
    private final LongAdder selected = new LongAdder();
    private final LongAdder causal = new LongAdder();

    /** A call that ran dense: every causal pair computed. */
    void dense(int blockSize, int keyBlockSize, int heads, int startPos, int positions) {
        long pairs = BlockSelection.causalPairs(blockSize, keyBlockSize, heads, startPos, positions);
        selected.add(pairs);
        causal.add(pairs);
    }

    /** A call that ran {@code selection}. */
    void sparse(BlockSelection selection) {
        sparse(selection.selectedPairs(), selection.causalPairs());
    }

    /** A call that computed {@code selectedPairs} of its {@code causalPairs}. */
    void sparse(long selectedPairs, long causalPairs) {
        selected.add(selectedPairs);
        causal.add(causalPairs);
    }

    /** Selected over causal pairs so far; 1 before any call. */
    double density() {
        long c = causal.sum();
        return c == 0 ? 1.0 : (double) selected.sum() / c;
    }
}
