package io.llmpipe.retrieval.hnsw;

import java.util.Arrays;

/**
 * A binary heap of (score, ordinal) pairs on primitive arrays: a min-heap keeps the worst of the best
 * results on top, a max-heap the best candidate. Reused across searches by one thread.
 */
final class ScoredQueue {
    private final boolean max;
    private float[] scores = new float[64];
    private int[] nodes = new int[64];
    private int size;

    ScoredQueue(boolean max) {
        this.max = max;
    }

    int size() {
        return size;
    }

    void clear() {
        size = 0;
    }

    private boolean above(float a, float b) {
        return max ? a > b : a < b;
    }

    void push(int node, float score) {
        if (size == scores.length) {
            scores = Arrays.copyOf(scores, size * 2);
            nodes = Arrays.copyOf(nodes, size * 2);
        }
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (!above(score, scores[parent])) {
                break;
            }
            scores[i] = scores[parent];
            nodes[i] = nodes[parent];
            i = parent;
        }
        scores[i] = score;
        nodes[i] = node;
    }

    float topScore() {
        return scores[0];
    }

    int topNode() {
        return nodes[0];
    }

    /** Removes the top; {@link #topNode()} before the call is what was removed. */
    void pop() {
        int last = --size;
        if (last == 0) {
            return;
        }
        float s = scores[last];
        int n = nodes[last];
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= last) {
                break;
            }
            if (child + 1 < last && above(scores[child + 1], scores[child])) {
                child++;
            }
            if (!above(scores[child], s)) {
                break;
            }
            scores[i] = scores[child];
            nodes[i] = nodes[child];
            i = child;
        }
        scores[i] = s;
        nodes[i] = n;
    }

    int nodeAt(int i) {
        return nodes[i];
    }

    float scoreAt(int i) {
        return scores[i];
    }
}
