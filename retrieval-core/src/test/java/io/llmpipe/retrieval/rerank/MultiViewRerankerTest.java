package io.llmpipe.retrieval.rerank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MultiViewRerankerTest {

    private static float[] unit(Random r, int dim) {
        float[] v = new float[dim];
        double n = 0;
        for (int i = 0; i < dim; i++) {
            v[i] = (float) r.nextGaussian();
            n += v[i] * v[i];
        }
        for (int i = 0; i < dim; i++) {
            v[i] /= (float) Math.sqrt(n);
        }
        return v;
    }

    @Test
    void theRankingDoesNotDependOnTheOrderCandidatesArriveIn() {
        Random r = new Random(1);
        LexicalIndex lexical = new LexicalIndex();
        List<Reranker.Candidate> candidates = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            lexical.add(i, "passage " + i + (i % 3 == 0 ? " about insulin resistance" : " about something else"));
            candidates.add(new Reranker.Candidate(i, "d" + i, null, unit(r, 16), new float[][]{unit(r, 16), unit(r, 16)},
                    i % 2 == 0 ? unit(r, 16) : null));
        }
        MultiViewReranker reranker = new MultiViewReranker(lexical, MultiViewReranker.Weights.EQUAL);
        float[] q = unit(r, 16);
        List<String> first = reranker.rerank(q, "insulin resistance", candidates).stream().map(x -> x.candidate().id()).toList();
        for (int shuffle = 0; shuffle < 5; shuffle++) {
            List<Reranker.Candidate> shuffled = new ArrayList<>(candidates);
            Collections.shuffle(shuffled, new Random(shuffle));
            assertEquals(first, reranker.rerank(q, "insulin resistance", shuffled).stream().map(x -> x.candidate().id()).toList());
        }
    }

    @Test
    void eachViewPromotesWhatItSees() {
        Random r = new Random(2);
        float[] q = unit(r, 32);
        LexicalIndex lexical = new LexicalIndex();
        List<Reranker.Candidate> candidates = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            lexical.add(i, "common words only here " + i);
            candidates.add(new Reranker.Candidate(i, "d" + i, null, unit(r, 32), new float[][]{unit(r, 32)}, unit(r, 32)));
        }
        // d7 holds the query's rare term; d11 has one sentence equal to the query
        lexical.add(7, "common words and the rare term zanamivir");
        candidates.set(11, new Reranker.Candidate(11, "d11", null, unit(r, 32), new float[][]{unit(r, 32), q.clone()}, unit(r, 32)));
        var lexicalOnly = new MultiViewReranker(lexical, new MultiViewReranker.Weights(0, 0, 1, 0));
        assertEquals("d7", lexicalOnly.rerank(q, "zanamivir trials", candidates).getFirst().candidate().id());
        var sentenceOnly = new MultiViewReranker(lexical, new MultiViewReranker.Weights(0, 1, 0, 0));
        var top = sentenceOnly.rerank(q, "zanamivir trials", candidates).getFirst();
        assertEquals("d11", top.candidate().id());
        assertTrue(top.views()[MultiViewReranker.View.SENTENCE.ordinal()] > 3, "far above the set's anchor");
    }

    @Test
    void termsAndSentences() {
        assertEquals(List.of("study", "cell", "gene", "expression", "2020"), Terms.of("The studies of cells: gene-expression in 2020!"));
        assertEquals(List.of("First sentence is long enough to stand alone.", "Short. Then a longer one follows it here."),
                Sentences.of("First sentence is long enough to stand alone. Short. Then a longer one follows it here."));
        LexicalIndex idx = new LexicalIndex();
        idx.add(0, "insulin insulin resistance");
        idx.add(1, "resistance training");
        assertTrue(idx.score(Terms.of("insulin"), 0) > 0);
        assertEquals(0, idx.score(Terms.of("insulin"), 1));
        idx.remove(0);
        assertEquals(1, idx.size());
        assertEquals(0, idx.score(Terms.of("insulin"), 0));
    }
}
