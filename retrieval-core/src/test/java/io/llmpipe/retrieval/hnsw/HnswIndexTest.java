package io.llmpipe.retrieval.hnsw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmpipe.retrieval.eval.TexmexVectors;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class HnswIndexTest {

    static Path data() {
        String prop = System.getProperty("llmpipe.shared.dir");
        Path p = prop != null ? Path.of(prop, "data") : Path.of("..", "..", "shared", "data");
        return Files.isDirectory(p) ? p : Path.of("..", "shared", "data");
    }

    private static float[][] clustered(int n, int dim, long seed) {
        Random r = new Random(seed);
        float[][] centres = new float[32][dim];
        for (float[] c : centres) {
            for (int d = 0; d < dim; d++) {
                c[d] = (float) r.nextGaussian() * 3;
            }
        }
        float[][] v = new float[n][dim];
        for (int i = 0; i < n; i++) {
            float[] c = centres[r.nextInt(centres.length)];
            for (int d = 0; d < dim; d++) {
                v[i][d] = c[d] + (float) r.nextGaussian();
            }
        }
        return v;
    }

    private static double recall(HnswIndex index, float[][] queries, int k, int ef) {
        int found = 0;
        for (float[] q : queries) {
            Set<Integer> exact = new HashSet<>();
            index.exactSearch(q, k, null).forEach(h -> exact.add(h.ordinal()));
            for (SearchHit h : index.search(q, k, ef)) {
                found += exact.contains(h.ordinal()) ? 1 : 0;
            }
        }
        return (double) found / (queries.length * k);
    }

    @Test
    void mnistRecallAtTenAgainstTheGroundTruth() throws IOException {
        Path dir = data().resolve("mnist-784-euclidean-10k");
        float[][] base = TexmexVectors.readFvecs(dir.resolve("mnist_base.fvecs"));
        float[][] queries = TexmexVectors.readFvecs(dir.resolve("mnist_query.fvecs"));
        int[][] truth = TexmexVectors.readIvecs(dir.resolve("mnist_groundtruth_euclidean.ivecs"));
        assertEquals(9000, base.length);
        HnswIndex index = new HnswIndex(784, Similarity.EUCLIDEAN, HnswParameters.DEFAULT);
        for (float[] v : base) {
            index.add(v);
        }
        int found = 0, n = 300;
        for (int i = 0; i < n; i++) {
            Set<Integer> expected = new HashSet<>();
            for (int j = 0; j < 10; j++) {
                expected.add(truth[i][j]);
            }
            for (SearchHit h : index.search(queries[i], 10, 64)) {
                found += expected.contains(h.ordinal()) ? 1 : 0;
            }
        }
        double recall = found / (n * 10.0);
        System.out.printf("HNSW on MNIST 9K (M 16, efConstruction 100): recall@10 at ef 64 = %.4f%n", recall);
        assertTrue(recall >= 0.95, "recall@10 " + recall);
        assertTrue(index.checkInvariants().isEmpty(), index.checkInvariants().toString());
    }

    @ParameterizedTest
    @EnumSource(Similarity.class)
    void everySimilarityFindsItsNearestNeighbours(Similarity similarity) {
        float[][] v = clustered(3000, 48, 7);
        float[][] queries = clustered(100, 48, 8);
        if (similarity == Similarity.DOT_PRODUCT) {
            // dot product is for vectors of one length (unit embeddings), as Lucene's DOT_PRODUCT
            for (float[] x : v) {
                VectorKernels.normalize(x);
            }
        }
        HnswIndex index = new HnswIndex(48, similarity, new HnswParameters(12, 80, 1));
        for (float[] x : v) {
            index.add(x);
        }
        double recall = recall(index, queries, 10, 80);
        assertTrue(recall >= 0.95, similarity + " recall " + recall);
        List<SearchHit> hits = index.search(v[5], 3, 50);
        assertEquals(5, hits.getFirst().ordinal(), "an element is its own nearest neighbour");
        for (int i = 1; i < hits.size(); i++) {
            assertTrue(hits.get(i - 1).score() >= hits.get(i).score(), "best first");
        }
        if (similarity == Similarity.COSINE) {
            assertEquals(1f, hits.getFirst().score(), 1e-5f);
        } else if (similarity == Similarity.EUCLIDEAN) {
            assertEquals(1f, hits.getFirst().score(), 1e-6f); // 1 / (1 + 0)
        }
    }

    @Test
    void layersFollowTheLevelDistributionAndCapsHold() {
        HnswIndex index = new HnswIndex(16, Similarity.EUCLIDEAN, new HnswParameters(8, 40, 3));
        for (float[] x : clustered(4000, 16, 9)) {
            index.add(x);
        }
        int upper = 0;
        for (int i = 0; i < index.size(); i++) {
            upper += index.level(i) >= 1 ? 1 : 0;
            assertTrue(index.neighbours(i, 0).length <= 16);
        }
        double share = upper / 4000.0;
        assertTrue(share > 0.09 && share < 0.16, "P(level >= 1) = 1/M = 0.125, got " + share);
        assertTrue(index.checkInvariants().isEmpty(), index.checkInvariants().toString());
    }

    @Test
    void concurrentInsertsAndSearchesBuildAGoodGraph() throws Exception {
        float[][] v = clustered(6000, 32, 11);
        HnswIndex index = new HnswIndex(32, Similarity.COSINE, new HnswParameters(16, 100, 5));
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> jobs = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                jobs.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < v.length; i = next.getAndIncrement()) {
                        index.add(v[i]);
                    }
                }));
            }
            jobs.add(pool.submit(() -> {
                Random r = new Random(1);
                while (next.get() < v.length) {
                    List<SearchHit> hits = index.search(v[r.nextInt(v.length)], 5, 32);
                    assertTrue(hits.size() <= 5);
                }
            }));
            for (Future<?> f : jobs) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        assertEquals(v.length, index.size());
        assertTrue(index.checkInvariants().isEmpty(), index.checkInvariants().toString());
        // 32 intrinsic dimensions: a hard set; the concurrent build must be as good as a serial one
        HnswIndex serial = new HnswIndex(32, Similarity.COSINE, new HnswParameters(16, 100, 5));
        for (float[] x : v) {
            serial.add(x);
        }
        float[][] queries = clustered(100, 32, 12);
        double recall = recall(index, queries, 10, 128), serialRecall = recall(serial, queries, 10, 128);
        assertTrue(recall >= 0.95 && recall >= serialRecall - 0.02, "recall after a concurrent build " + recall
                + ", after a serial one " + serialRecall);
    }

    @Test
    void deletedElementsAreNeverReturnedAndFiltersAreHonoured() {
        float[][] v = clustered(2000, 24, 13);
        HnswIndex index = new HnswIndex(24, Similarity.EUCLIDEAN, new HnswParameters(16, 100, 2));
        for (float[] x : v) {
            index.add(x);
        }
        for (int i = 0; i < v.length; i += 3) {
            assertTrue(index.delete(i));
        }
        assertFalse(index.delete(0), "already deleted");
        assertEquals(v.length - (v.length + 2) / 3, index.liveCount());
        float[][] queries = clustered(50, 24, 14);
        int found = 0, total = 0;
        for (float[] q : queries) {
            List<SearchHit> hits = index.search(q, 10, 80, n -> n % 2 == 0);
            Set<Integer> exact = new HashSet<>();
            index.exactSearch(q, 10, n -> n % 2 == 0).forEach(h -> exact.add(h.ordinal()));
            for (SearchHit h : hits) {
                assertTrue(h.ordinal() % 3 != 0, "deleted " + h.ordinal() + " returned");
                assertTrue(h.ordinal() % 2 == 0, "filtered-out " + h.ordinal() + " returned");
                found += exact.contains(h.ordinal()) ? 1 : 0;
            }
            total += exact.size();
        }
        assertTrue(found >= 0.95 * total, "filtered recall " + found + "/" + total);
    }

    @Test
    void aSnapshotRestoresTheSameIndex() throws IOException {
        float[][] v = clustered(1500, 20, 15);
        HnswIndex index = new HnswIndex(20, Similarity.DOT_PRODUCT, new HnswParameters(8, 50, 4));
        for (float[] x : v) {
            index.add(x);
        }
        index.delete(7);
        var bytes = new ByteArrayOutputStream();
        index.writeTo(new DataOutputStream(bytes));
        HnswIndex copy = HnswIndex.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertEquals(index.size(), copy.size());
        assertTrue(copy.isDeleted(7));
        for (float[] q : clustered(20, 20, 16)) {
            assertEquals(index.search(q, 10, 40), copy.search(q, 10, 40));
        }
        byte[] torn = java.util.Arrays.copyOf(bytes.toByteArray(), bytes.size() / 2);
        assertThrows(IOException.class, () -> HnswIndex.readFrom(new DataInputStream(new ByteArrayInputStream(torn))));
    }

    @Test
    void badVectorsAreRefusedWithAReason() {
        HnswIndex index = new HnswIndex(4, Similarity.COSINE, HnswParameters.DEFAULT);
        assertTrue(index.search(new float[]{1, 0, 0, 0}, 3, 10).isEmpty(), "an empty index finds nothing");
        var wrong = assertThrows(IllegalArgumentException.class, () -> index.add(new float[3]));
        assertTrue(wrong.getMessage().contains("dimension"), wrong.getMessage());
        assertThrows(IllegalArgumentException.class, () -> index.add(new float[]{1, Float.NaN, 0, 0}));
        assertThrows(IllegalArgumentException.class, () -> index.add(new float[4]), "zero vector under cosine");
        assertThrows(IllegalArgumentException.class, () -> index.search(new float[]{1, 0, 0, 0}, 0, 10));
        assertThrows(IllegalArgumentException.class, () -> index.delete(0));
        assertThrows(IllegalArgumentException.class, () -> new HnswParameters(1, 100, 0));
    }
}
