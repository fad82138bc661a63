package io.llmpipe.engine.attention;

import java.util.Arrays;

/**
 * Which key blocks each query block attends to, per query head: the output of a sparse mode's
 * selection and the input of {@link BlockSparseAttention}. Query blocks are {@code blockSize}
 * positions long, key blocks {@code keyBlockSize} (the same unless a mode wants finer keys), both
 * numbered from position 0: query block {@code qb} covers positions {@code qb * blockSize ..}. A
 * selection covers the query blocks {@code firstQueryBlock .. firstQueryBlock + queryBlocks - 1}. Key
 * block lists are sorted, distinct and causal (no key block starting after the query block ends).
 */
public final class BlockSelection {
    private final int blockSize;
    private final int keyBlockSize;
    private final int heads;
    private final int firstQueryBlock;
    private final int queryBlocks;
    private final int[][] keyBlocks; // [head * queryBlocks + (qb - firstQueryBlock)]

    public BlockSelection(int blockSize, int heads, int firstQueryBlock, int queryBlocks) {
        this(blockSize, blockSize, heads, firstQueryBlock, queryBlocks);
    }

    public BlockSelection(int blockSize, int keyBlockSize, int heads, int firstQueryBlock, int queryBlocks) {
        if (blockSize < 1 || keyBlockSize < 1 || heads < 1 || firstQueryBlock < 0 || queryBlocks < 1) {
            throw new IllegalArgumentException("bad selection shape: block " + blockSize + ", heads " + heads
                    + ", first query block " + firstQueryBlock + ", query blocks " + queryBlocks);
        }
        this.blockSize = blockSize;
        this.keyBlockSize = keyBlockSize;
        this.heads = heads;
        this.firstQueryBlock = firstQueryBlock;
        this.queryBlocks = queryBlocks;
        this.keyBlocks = new int[heads * queryBlocks][];
    }

    /** Every causal block for every head: what dense attention computes. */
    public static BlockSelection full(int blockSize, int heads, int firstQueryBlock, int queryBlocks) {
        BlockSelection s = new BlockSelection(blockSize, heads, firstQueryBlock, queryBlocks);
        for (int h = 0; h < heads; h++) {
            for (int qb = firstQueryBlock; qb < firstQueryBlock + queryBlocks; qb++) {
                int[] all = new int[s.lastKeyBlock(qb) + 1];
                Arrays.setAll(all, i -> i);
                s.set(h, qb, all);
            }
        }
        return s;
    }

    public int blockSize() {
        return blockSize;
    }

    public int keyBlockSize() {
        return keyBlockSize;
    }

    /** The last key block query block {@code qb} may see. */
    public int lastKeyBlock(int queryBlock) {
        return (queryBlock * blockSize + blockSize - 1) / keyBlockSize;
    }

    public int heads() {
        return heads;
    }

    public int firstQueryBlock() {
        return firstQueryBlock;
    }

    public int queryBlocks() {
        return queryBlocks;
    }

    /** Sets the key blocks of (head, absolute query block): sorted and de-duplicated here, later blocks dropped. */
    public void set(int head, int queryBlock, int[] blocks) {
        int last = lastKeyBlock(queryBlock);
        int[] sorted = Arrays.stream(blocks).filter(b -> b >= 0 && b <= last).sorted().distinct().toArray();
        keyBlocks[index(head, queryBlock)] = sorted;
    }

    /** The key blocks of (head, absolute query block), ascending. */
    public int[] keyBlocks(int head, int queryBlock) {
        int[] b = keyBlocks[index(head, queryBlock)];
        if (b == null) {
            throw new IllegalStateException("no key blocks set for head " + head + ", query block " + queryBlock);
        }
        return b;
    }

    /** Selected (query block, key block) pairs over the causal ones, all heads: 1 for dense. */
    public double density() {
        return (double) selectedPairs() / causalPairs();
    }

    /** Selected (query block, key block) pairs, all heads. */
    public long selectedPairs() {
        long selected = 0;
        for (int h = 0; h < heads; h++) {
            for (int qb = firstQueryBlock; qb < firstQueryBlock + queryBlocks; qb++) {
                selected += keyBlocks(h, qb).length;
            }
        }
        return selected;
    }

    /** Causal (query block, key block) pairs, all heads: what dense attention computes. */
    public long causalPairs() {
        long causal = 0;
        for (int qb = firstQueryBlock; qb < firstQueryBlock + queryBlocks; qb++) {
            causal += lastKeyBlock(qb) + 1;
        }
        return causal * heads;
    }

    /** The causal pairs of a call over positions {@code startPos .. positions - 1}, without building a selection. */
    public static long causalPairs(int blockSize, int keyBlockSize, int heads, int startPos, int positions) {
        long causal = 0;
        for (int qb = startPos / blockSize; qb <= (positions - 1) / blockSize; qb++) {
            causal += (qb * (long) blockSize + blockSize - 1) / keyBlockSize + 1;
        }
        return causal * heads;
    }

    private int index(int head, int queryBlock) {
        int local = queryBlock - firstQueryBlock;
        if (head < 0 || head >= heads || local < 0 || local >= queryBlocks) {
            throw new IndexOutOfBoundsException("head " + head + ", query block " + queryBlock + " outside the selection");
        }
        return head * queryBlocks + local;
    }
}
