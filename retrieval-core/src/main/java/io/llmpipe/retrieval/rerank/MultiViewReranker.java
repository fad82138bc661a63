package io.llmpipe.retrieval.rerank;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A training-free reranker after MVP (multi-view-guided passage reranking): each (query, passage) pair is
 * scored under several views in one pass over the candidate set, each view's scores are read against
 * that view's anchor over the whole set, and the anchored scores are fused. MVP learns view tokens, a
 * T5 encoder and anchors; its weights are not available, so the views here come from the models the
 * product has:
 * <ul>
 *   <li>{@link View#DENSE}: cosine of the query and passage embeddings;</li>
 *   <li>{@link View#SENTENCE}: the best cosine of the query with any sentence of the passage (a local
 *       view: one sentence that answers beats a passage that is vaguely about the topic);</li>
 *   <li>{@link View#LEXICAL}: BM25 of the query's terms in the passage (exact terms: names, numbers);</li>
 *   <li>{@link View#TITLE}: cosine of the query and the document title's embedding.</li>
 * </ul>
 * Anchor: a view's mean and standard deviation over the candidate set, so a view's score says how much
 * better than the set's typical candidate a passage looks from that view; views with no spread count
 * zero. Fused score: the weighted sum. Every statistic is over the set, so the ranking does not depend
 * on the order candidates arrive in (ties fall to the document id).
 */
public final class MultiViewReranker implements Reranker {

    public enum View { DENSE, SENTENCE, LEXICAL, TITLE }

    /** A weight per view; a zero weight switches the view off. */
    public record Weights(double dense, double sentence, double lexical, double title) {
        /** Every view counts the same: the training-free default. */
        public static final Weights EQUAL = new Weights(1, 1, 1, 1);

        double of(int view) {
            return switch (view) {
                case 0 -> dense;
                case 1 -> sentence;
                case 2 -> lexical;
                default -> title;
            };
        }
    }

    private final LexicalIndex lexical;
    private final Weights weights;

    public MultiViewReranker(LexicalIndex lexical, Weights weights) {
        this.lexical = lexical;
        this.weights = weights;
    }

    public Weights weights() {
        return weights;
    }

    @Override
    public List<Ranked> rerank(float[] queryEmbedding, String queryText, List<Candidate> candidates) {
        double[][] anchored = anchoredViews(queryEmbedding, queryText, candidates);
        List<Ranked> ranked = new ArrayList<>(candidates.size());
        for (int i = 0; i < candidates.size(); i++) {
            double score = 0;
            double[] views = new double[View.values().length];
            for (int v = 0; v < views.length; v++) {
                views[v] = anchored[v][i];
                score += weights.of(v) * views[v];
            }
            ranked.add(new Ranked(candidates.get(i), score, views));
        }
        ranked.sort(Comparator.comparingDouble(Ranked::score).reversed().thenComparing(r -> r.candidate().id()));
        return ranked;
    }

    /**
     * Every view's anchored score of every candidate: {@code [view][candidate]}. Public so weights can
     * be fitted on judged queries without recomputing the views.
     */
    public double[][] anchoredViews(float[] queryEmbedding, String queryText, List<Candidate> candidates) {
        int n = candidates.size();
        double[][] raw = new double[View.values().length][n];
        List<String> terms = Terms.of(queryText);
        for (int i = 0; i < n; i++) {
            Candidate c = candidates.get(i);
            raw[0][i] = cosine(queryEmbedding, c.passage());
            double best = raw[0][i]; // a passage without sentences reads as one sentence
            for (float[] s : c.sentences()) {
                best = Math.max(best, cosine(queryEmbedding, s));
            }
            raw[1][i] = best;
            raw[2][i] = lexical.score(terms, c.ordinal());
            raw[3][i] = c.title() == null ? Double.NaN : cosine(queryEmbedding, c.title());
        }
        for (double[] view : raw) {
            anchor(view);
        }
        return raw;
    }

    /** In place: (score − mean) / std over the set; NaN (view missing for that candidate) and no spread → 0. */
    private static void anchor(double[] scores) {
        double sum = 0, sq = 0;
        int count = 0;
        for (double s : scores) {
            if (!Double.isNaN(s)) {
                sum += s;
                sq += s * s;
                count++;
            }
        }
        double mean = count == 0 ? 0 : sum / count;
        double std = count < 2 ? 0 : Math.sqrt(Math.max(0, sq / count - mean * mean));
        for (int i = 0; i < scores.length; i++) {
            scores[i] = Double.isNaN(scores[i]) || std < 1e-12 ? 0 : (scores[i] - mean) / std;
        }
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
        }
        return dot; // both unit length
    }
}
