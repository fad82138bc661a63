package io.llmpipe.retrieval.eval;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/** Ranking quality as BEIR (pytrec_eval) computes it: linear gains, log2 discounts. */
public final class RankingMetrics {
    private RankingMetrics() {
    }

    /** nDCG@k of {@code ranked} (document ids, best first) against graded judgements. */
    public static double ndcg(List<String> ranked, Map<String, Integer> grades, int k) {
        double dcg = 0;
        for (int i = 0; i < Math.min(k, ranked.size()); i++) {
            dcg += grades.getOrDefault(ranked.get(i), 0) / log2(i + 2);
        }
        List<Integer> ideal = new ArrayList<>(grades.values());
        ideal.sort(Comparator.reverseOrder());
        double idcg = 0;
        for (int i = 0; i < Math.min(k, ideal.size()); i++) {
            idcg += ideal.get(i) / log2(i + 2);
        }
        return idcg == 0 ? 0 : dcg / idcg;
    }

    /** Share of the relevant documents found in the first {@code k}. */
    public static double recall(List<String> ranked, Map<String, Integer> grades, int k) {
        if (grades.isEmpty()) {
            return 0;
        }
        int found = 0;
        for (int i = 0; i < Math.min(k, ranked.size()); i++) {
            found += grades.containsKey(ranked.get(i)) ? 1 : 0;
        }
        return (double) found / grades.size();
    }

    private static double log2(double x) {
        return Math.log(x) / Math.log(2);
    }
}
