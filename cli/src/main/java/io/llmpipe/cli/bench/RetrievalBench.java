package io.llmpipe.cli.bench;

import io.llmpipe.retrieval.eval.TexmexVectors;
import io.llmpipe.retrieval.hnsw.HnswIndex;
import io.llmpipe.retrieval.hnsw.HnswParameters;
import io.llmpipe.retrieval.hnsw.SearchHit;
import io.llmpipe.retrieval.hnsw.Similarity;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
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

    public record Options(Path data, int m, int beamWidth, int[] efs, int queries) {
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
        int[][] truth = TexmexVectors.readIvecs(dir.resolve("mnist_groundtruth_euclidean.ivecs"));
        index(report, "mnist-784-euclidean-10k", base, queries, truth, Similarity.EUCLIDEAN, VectorSimilarityFunction.EUCLIDEAN);
        return report;
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
            for (int j = 0; j < 10; j++) {
                expected.add(truth[i][j]);
            }
            for (int id : results[i]) {
                found += expected.contains(id) ? 1 : 0;
            }
        }
        return found / (results.length * 10.0);
    }
}
