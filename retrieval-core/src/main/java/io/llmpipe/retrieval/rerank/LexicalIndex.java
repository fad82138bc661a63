package io.llmpipe.retrieval.rerank;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * BM25 statistics of a collection (document frequencies, lengths) and per-document term counts, so the
 * lexical view can score a query against any document: {@code idf · tf·(k1+1) / (tf + k1·(1 − b + b·len/avgLen))}
 * with Lucene's idf {@code ln(1 + (N − df + 0.5)/(df + 0.5))}. Thread-safe; documents are keyed by ordinal.
 */
public final class LexicalIndex {
    private final double k1;
    private final double b;
    private final Map<Integer, Map<String, Integer>> documents = new ConcurrentHashMap<>();
    private final Map<String, Integer> documentFrequency = new ConcurrentHashMap<>();
    private final AtomicLong totalLength = new AtomicLong();

    /** Anserini's BM25 defaults for passages: k1 0.9, b 0.4. */
    public LexicalIndex() {
        this(0.9, 0.4);
    }

    public LexicalIndex(double k1, double b) {
        this.k1 = k1;
        this.b = b;
    }

    public synchronized void add(int ordinal, String text) {
        remove(ordinal);
        Map<String, Integer> counts = new HashMap<>();
        List<String> terms = Terms.of(text);
        for (String t : terms) {
            counts.merge(t, 1, Integer::sum);
        }
        counts.put("", terms.size()); // the length, under a key no term can have
        for (String t : counts.keySet()) {
            if (!t.isEmpty()) {
                documentFrequency.merge(t, 1, Integer::sum);
            }
        }
        totalLength.addAndGet(terms.size());
        documents.put(ordinal, counts);
    }

    public synchronized void remove(int ordinal) {
        Map<String, Integer> old = documents.remove(ordinal);
        if (old == null) {
            return;
        }
        for (String t : old.keySet()) {
            if (!t.isEmpty()) {
                documentFrequency.computeIfPresent(t, (k, v) -> v == 1 ? null : v - 1);
            }
        }
        totalLength.addAndGet(-old.get(""));
    }

    public int size() {
        return documents.size();
    }

    /** BM25 of the query's terms (repeated terms count once) in document {@code ordinal}; 0 if it is unknown. */
    public double score(List<String> queryTerms, int ordinal) {
        Map<String, Integer> counts = documents.get(ordinal);
        int n = documents.size();
        if (counts == null || n == 0) {
            return 0;
        }
        double avgLength = Math.max(1e-9, (double) totalLength.get() / n);
        double norm = k1 * (1 - b + b * counts.get("") / avgLength);
        double score = 0;
        for (String t : new java.util.LinkedHashSet<>(queryTerms)) {
            Integer tf = counts.get(t);
            if (tf == null || t.isEmpty()) {
                continue;
            }
            int df = documentFrequency.getOrDefault(t, 0);
            double idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
            score += idf * tf * (k1 + 1) / (tf + norm);
        }
        return score;
    }
}
