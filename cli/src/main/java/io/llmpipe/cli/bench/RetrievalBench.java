package io.llmpipe.cli.bench;

import io.llmpipe.retrieval.embed.Embedder;
import io.llmpipe.retrieval.embed.OnnxEmbedder;
import io.llmpipe.retrieval.eval.BeirDataset;
import io.llmpipe.retrieval.eval.RankingMetrics;
import io.llmpipe.retrieval.eval.TexmexVectors;
import io.llmpipe.retrieval.hnsw.HnswIndex;
import io.llmpipe.retrieval.rerank.LexicalIndex;
import io.llmpipe.retrieval.rerank.MultiViewReranker;
import io.llmpipe.retrieval.rerank.Reranker;
import io.llmpipe.retrieval.rerank.Sentences;
import io.llmpipe.retrieval.hnsw.HnswParameters;
import io.llmpipe.retrieval.hnsw.SearchHit;
import io.llmpipe.retrieval.hnsw.Similarity;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.codecs.hnsw.FlatVectorScorerUtil;
import org.apache.lucene.codecs.hnsw.FlatVectorsScorer;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.util.hnsw.HnswGraphBuilder;
import org.apache.lucene.util.hnsw.HnswGraphSearcher;
import org.apache.lucene.util.hnsw.OnHeapHnswGraph;

/**
 * {@code pipeline bench retrieval}: the product's HNSW against Apache Lucene's (10.3.1, its graph
 * builder and searcher used directly, no index around them) on the same vectors, M, beam width and
 * thread count (one): build time, and recall@10 against the data set's exact ground truth with
 * queries per second (one thread; per ef a warm-up pass, then five passes alternating between the
 * systems, best kept) at several ef. For Lucene, ef is the size of
 * the result queue it searches with (its top-k), of which the best 10 count.
 */
public final class RetrievalBench {

    /**
     * @param data    the shared data directory
     * @param cache   where corpus and query embeddings are kept between runs (keyed by data set and model)
     * @param quality whether to run the embedding data sets (minutes the first time: the corpora are embedded)
     */
    public record Options(Path data, Path cache, int m, int beamWidth, int[] efs, int queries, boolean quality) {
    }

    private final Options options;
    private final PrintWriter log;

    public RetrievalBench(Options options, PrintWriter log) {
        this.options = options;
        this.log = log;
    }

    public BenchReport run() throws IOException {
        BenchReport report = new BenchReport("retrieval");
        Path dir = options.data().resolve("mnist-784-euclidean-10k");
        float[][] base = TexmexVectors.readFvecs(dir.resolve("mnist_base.fvecs"));
        float[][] queries = Arrays.copyOf(TexmexVectors.readFvecs(dir.resolve("mnist_query.fvecs")), options.queries());
        int[][] truth = Arrays.copyOf(TexmexVectors.readIvecs(dir.resolve("mnist_groundtruth_euclidean.ivecs")), options.queries());
        index(report, "mnist-784-euclidean-10k", base, queries, truth, Similarity.EUCLIDEAN, VectorSimilarityFunction.EUCLIDEAN);
        if (options.quality()) {
            try (Embedder embedder = OnnxEmbedder.miniLm()) {
                quality(report, "beir-scifact", "test", embedder, true);
                quality(report, "msmarco-subset", "test", embedder, false);
                quality(report, "dbpedia-subset", "test", embedder, false);
            }
        }
        return report;
    }

    /**
     * Retrieval quality on a BEIR-format set: the corpus embedded (title and text), each judged query's
     * top 100 from the HNSW index (ef 200); nDCG@10 and recall@100 of that dense ranking, of BM25 alone
     * (for reference), and of the multi-view reranker over the dense top 100 with equal view weights and
     * with weights fitted on SciFact's train queries (never its test queries). With {@code indexRows} the
     * index comparison runs on these embeddings too (the set's queries; exact top-10 as the truth).
     */
    private void quality(BenchReport report, String name, String split, Embedder embedder, boolean indexRows) throws IOException {
        Corpus corpus = corpus(name, embedder);
        BeirDataset set = corpus.set();
        List<String> queryIds = List.copyOf(set.queries().keySet());
        float[][] queries = embeddings(name + "-" + split + "-queries", embedder, queryIds.stream().map(set.queries()::get).toList());
        MultiViewReranker equal = new MultiViewReranker(corpus.lexical(), MultiViewReranker.Weights.EQUAL);
        if (fitted == null) {
            fitted = fitWeights(embedder);
        }
        MultiViewReranker tuned = new MultiViewReranker(corpus.lexical(), fitted);
        double[][] sums = new double[4][2];
        for (int i = 0; i < queries.length; i++) {
            Map<String, Integer> grades = set.qrels().get(queryIds.get(i));
            List<Reranker.Candidate> candidates = corpus.candidates(queries[i], 100);
            List<String> dense = candidates.stream().map(Reranker.Candidate::id).toList();
            add(sums[0], dense, grades);
            add(sums[1], corpus.bm25(set.queries().get(queryIds.get(i)), 100), grades);
            add(sums[2], ids(equal.rerank(queries[i], set.queries().get(queryIds.get(i)), candidates)), grades);
            add(sums[3], ids(tuned.rerank(queries[i], set.queries().get(queryIds.get(i)), candidates)), grades);
        }
        String[] modes = {"dense (" + embedder.name() + ", HNSW ef 200)", "lexical (BM25 k1 0.9 b 0.4)",
                "dense + multi-view rerank (equal weights)", "dense + multi-view rerank (weights fit on SciFact train: " + fitted + ")"};
        for (int m = 0; m < modes.length; m++) {
            report.add(new BenchRow().put("dataset", name).put("mode", modes[m]).put("queries", queries.length)
                    .put("ndcg_at_10", sums[m][0] / queries.length).put("recall_at_100", sums[m][1] / queries.length));
        }
        if (indexRows) {
            int[][] truth = new int[queries.length][];
            for (int i = 0; i < queries.length; i++) {
                truth[i] = corpus.index().exactSearch(queries[i], 10, null).stream().mapToInt(SearchHit::ordinal).toArray();
            }
            index(report, name + " (" + embedder.name() + ")", corpus.vectors(), queries, truth, Similarity.COSINE,
                    VectorSimilarityFunction.COSINE);
        }
    }

    private MultiViewReranker.Weights fitted;

    private static void add(double[] sums, List<String> ranked, Map<String, Integer> grades) {
        sums[0] += RankingMetrics.ndcg(ranked, grades, 10);
        sums[1] += RankingMetrics.recall(ranked, grades, 100);
    }

    private static List<String> ids(List<Reranker.Ranked> ranked) {
        return ranked.stream().map(r -> r.candidate().id()).toList();
    }

    /**
     * View weights that maximise mean nDCG@10 over SciFact's train queries (dense weight 1, the others on a
     * grid): the only tuning the reranker gets, and never on a test query.
     */
    private MultiViewReranker.Weights fitWeights(Embedder embedder) throws IOException {
        Corpus corpus = corpus("beir-scifact", embedder);
        BeirDataset train = BeirDataset.load(options.data().resolve("beir-scifact"), "train");
        List<String> ids = List.copyOf(train.queries().keySet());
        float[][] queries = embeddings("beir-scifact-train-queries", embedder, ids.stream().map(train.queries()::get).toList());
        MultiViewReranker views = new MultiViewReranker(corpus.lexical(), MultiViewReranker.Weights.EQUAL);
        List<double[][]> anchored = new java.util.ArrayList<>();
        List<List<String>> candidateIds = new java.util.ArrayList<>();
        for (int i = 0; i < queries.length; i++) {
            List<Reranker.Candidate> candidates = corpus.candidates(queries[i], 100);
            anchored.add(views.anchoredViews(queries[i], train.queries().get(ids.get(i)), candidates));
            candidateIds.add(candidates.stream().map(Reranker.Candidate::id).toList());
        }
        double[] grid = {0, 0.25, 0.5, 0.75, 1, 1.5, 2, 3};
        MultiViewReranker.Weights best = MultiViewReranker.Weights.EQUAL;
        double bestNdcg = -1;
        for (double sw : grid) {
            for (double lw : grid) {
                for (double tw : grid) {
                    double[] w = {1, sw, lw, tw};
                    double ndcg = 0;
                    for (int i = 0; i < queries.length; i++) {
                        double[][] v = anchored.get(i);
                        List<String> cids = candidateIds.get(i);
                        Integer[] order = new Integer[cids.size()];
                        double[] score = new double[cids.size()];
                        for (int c = 0; c < order.length; c++) {
                            order[c] = c;
                            for (int k = 0; k < 4; k++) {
                                score[c] += w[k] * v[k][c];
                            }
                        }
                        Arrays.sort(order, (a, b) -> score[a] != score[b] ? Double.compare(score[b], score[a]) : cids.get(a).compareTo(cids.get(b)));
                        List<String> ranked = Arrays.stream(order).map(cids::get).toList();
                        ndcg += RankingMetrics.ndcg(ranked, train.qrels().get(ids.get(i)), 10);
                    }
                    if (ndcg > bestNdcg) {
                        bestNdcg = ndcg;
                        best = new MultiViewReranker.Weights(1, sw, lw, tw);
                    }
                }
            }
        }
        log.printf("[bench] view weights fit on %d SciFact train queries: %s (train nDCG@10 %.3f)%n", queries.length, best,
                bestNdcg / queries.length);
        log.flush();
        return best;
    }

    /** A corpus ready to search and rerank: embeddings of passages, sentences and titles, BM25 statistics, an index. */
    private record Corpus(BeirDataset set, float[][] vectors, float[][][] sentences, float[][] titles, LexicalIndex lexical,
                          HnswIndex index) {
        List<Reranker.Candidate> candidates(float[] query, int k) {
            return index.search(query, k, 200).stream().map(h -> new Reranker.Candidate(h.ordinal(),
                    set.documents().get(h.ordinal()).id(), set.documents().get(h.ordinal()).text(), vectors[h.ordinal()], sentences[h.ordinal()], titles[h.ordinal()])).toList();
        }

        List<String> bm25(String query, int k) {
            List<String> terms = io.llmpipe.retrieval.rerank.Terms.of(query);
            Integer[] order = new Integer[set.documents().size()];
            double[] score = new double[order.length];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
                score[i] = lexical.score(terms, i);
            }
            Arrays.sort(order, (a, b) -> Double.compare(score[b], score[a]));
            return Arrays.stream(order).limit(k).map(i -> set.documents().get(i).id()).toList();
        }
    }

    private final Map<String, Corpus> corpora = new java.util.HashMap<>();

    private Corpus corpus(String name, Embedder embedder) throws IOException {
        Corpus cached = corpora.get(name);
        if (cached != null) {
            return cached;
        }
        BeirDataset set = BeirDataset.load(options.data().resolve(name), "test");
        List<BeirDataset.Document> docs = set.documents();
        float[][] vectors = embeddings(name + "-corpus", embedder, docs.stream().map(BeirDataset.Document::passage).toList());
        List<String> allSentences = new java.util.ArrayList<>();
        int[] firstSentence = new int[docs.size() + 1];
        for (int d = 0; d < docs.size(); d++) {
            firstSentence[d] = allSentences.size();
            List<String> ss = Sentences.of(docs.get(d).text());
            if (ss.size() > 1) { // a one-sentence passage is its own sentence view
                allSentences.addAll(ss);
            }
        }
        firstSentence[docs.size()] = allSentences.size();
        float[][] sentenceVectors = embeddings(name + "-sentences", embedder, allSentences);
        float[][][] sentences = new float[docs.size()][][];
        for (int d = 0; d < docs.size(); d++) {
            sentences[d] = Arrays.copyOfRange(sentenceVectors, firstSentence[d], firstSentence[d + 1]);
        }
        boolean titled = docs.stream().anyMatch(d -> !d.title().isBlank());
        float[][] titles = new float[docs.size()][];
        if (titled) {
            float[][] t = embeddings(name + "-titles", embedder, docs.stream().map(BeirDataset.Document::title).toList());
            for (int d = 0; d < docs.size(); d++) {
                titles[d] = docs.get(d).title().isBlank() ? null : t[d];
            }
        }
        LexicalIndex lexical = new LexicalIndex();
        HnswIndex index = new HnswIndex(embedder.dimension(), Similarity.COSINE, new HnswParameters(options.m(), options.beamWidth(), 42));
        for (int d = 0; d < docs.size(); d++) {
            lexical.add(d, docs.get(d).passage());
            index.add(vectors[d]);
        }
        Corpus c = new Corpus(set, vectors, sentences, titles, lexical, index);
        corpora.put(name, c);
        return c;
    }

    /** The embeddings of {@code texts}, from the cache when an earlier run wrote them for the same texts. */
    private float[][] embeddings(String key, Embedder embedder, List<String> texts) throws IOException {
        Path file = options.cache().resolve(key + "-" + embedder.fingerprint() + "-" + Integer.toHexString(texts.hashCode()) + ".fvecs");
        if (Files.isRegularFile(file)) {
            float[][] cached = TexmexVectors.readFvecs(file);
            if (cached.length == texts.size()) {
                return cached;
            }
        }
        float[][] out = new float[texts.size()][];
        long t0 = System.nanoTime();
        for (int i = 0; i < texts.size(); i += 64) {
            float[][] batch = embedder.embed(texts.subList(i, Math.min(texts.size(), i + 64)));
            System.arraycopy(batch, 0, out, i, batch.length);
            log.printf("\r[bench] embedding %s: %d / %d", key, Math.min(texts.size(), i + 64), texts.size());
            log.flush();
        }
        log.printf("%n[bench] embedded %d texts in %.0f s%n", texts.size(), (System.nanoTime() - t0) / 1e9);
        TexmexVectors.writeFvecs(file, out);
        return out;
    }

    private interface Searcher {
        int[] top10(float[] query, int ef) throws IOException;
    }

    private record Contender(String name, double buildSeconds, Searcher searcher) {
    }

    private void index(BenchReport report, String dataset, float[][] base, float[][] queries, int[][] truth,
                       Similarity similarity, VectorSimilarityFunction luceneSimilarity) throws IOException {
        // the product's index
        log.printf("[bench] %s: building llmpipe HNSW (M %d, beam %d)...%n", dataset, options.m(), options.beamWidth());
        log.flush();
        long t0 = System.nanoTime();
        HnswIndex index = new HnswIndex(base[0].length, similarity, new HnswParameters(options.m(), options.beamWidth(), 42));
        for (float[] v : base) {
            index.add(v);
        }
        Contender own = new Contender("llmpipe-hnsw", (System.nanoTime() - t0) / 1e9, (q, ef) -> {
            List<SearchHit> hits = index.search(q, 10, ef);
            int[] ids = new int[hits.size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = hits.get(i).ordinal();
            }
            return ids;
        });

        // Lucene's
        log.printf("[bench] %s: building Lucene HNSW...%n", dataset);
        log.flush();
        FlatVectorsScorer scorer = FlatVectorScorerUtil.getLucene99FlatVectorsScorer();
        FloatVectorValues values = FloatVectorValues.fromFloats(List.of(base), base[0].length);
        t0 = System.nanoTime();
        OnHeapHnswGraph graph = HnswGraphBuilder.create(scorer.getRandomVectorScorerSupplier(luceneSimilarity, values),
                options.m(), options.beamWidth(), 42).build(values.size());
        Contender lucene = new Contender("lucene-10.3.1-hnsw", (System.nanoTime() - t0) / 1e9, (q, ef) -> {
            var collector = HnswGraphSearcher.search(scorer.getRandomVectorScorer(luceneSimilarity, values, q), ef, graph,
                    null, Integer.MAX_VALUE);
            ScoreDoc[] docs = collector.topDocs().scoreDocs;
            int[] ids = new int[Math.min(10, docs.length)];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = docs[i].doc;
            }
            return ids;
        });
        List<Contender> systems = List.of(own, lucene);
        for (int ef : options.efs()) {
            log.printf("[bench] %s: ef %d...%n", dataset, ef);
            log.flush();
            double[] best = new double[systems.size()];
            Arrays.fill(best, Double.MAX_VALUE);
            int[][][] results = new int[systems.size()][queries.length][];
            // passes alternate between the systems, so drift on a shared machine hits both alike
            for (int pass = 0; pass < 6; pass++) {
                for (int s = 0; s < systems.size(); s++) {
                    long p0 = System.nanoTime();
                    for (int i = 0; i < queries.length; i++) {
                        results[s][i] = systems.get(s).searcher().top10(queries[i], ef);
                    }
                    if (pass > 0) { // the first pass warms up
                        best[s] = Math.min(best[s], (System.nanoTime() - p0) / 1e9);
                    }
                }
            }
            for (int s = 0; s < systems.size(); s++) {
                report.add(new BenchRow().put("dataset", dataset).put("system", systems.get(s).name()).put("ef", ef)
                        .put("recall_at_10", recall(results[s], truth)).put("qps", queries.length / best[s])
                        .put("build_seconds", systems.get(s).buildSeconds()).put("m", options.m())
                        .put("beam_width", options.beamWidth()).put("threads", 1));
            }
        }
    }

    private static double recall(int[][] results, int[][] truth) {
        int found = 0;
        for (int i = 0; i < results.length; i++) {
            Set<Integer> expected = new HashSet<>();
            for (int j = 0; j < Math.min(10, truth[i].length); j++) {
                expected.add(truth[i][j]);
            }
            for (int id : results[i]) {
                found += expected.contains(id) ? 1 : 0;
            }
        }
        return found / (results.length * 10.0);
    }
}
