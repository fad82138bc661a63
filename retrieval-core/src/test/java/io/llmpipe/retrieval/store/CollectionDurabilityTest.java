package io.llmpipe.retrieval.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmpipe.retrieval.hnsw.HnswParameters;
import io.llmpipe.retrieval.hnsw.Similarity;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A collection keeps every acknowledged change across close/reopen, snapshots, a damaged log tail and a
 * kill -9 of the process writing to it; a damaged snapshot is refused, never half-read.
 */
class CollectionDurabilityTest {
    private static final int DIM = 16;

    @TempDir
    Path root;

    static float[] vector(int seed) {
        Random r = new Random(seed * 31L + 7);
        float[] v = new float[DIM];
        double norm = 0;
        for (int d = 0; d < DIM; d++) {
            v[d] = (float) r.nextGaussian();
            norm += v[d] * v[d];
        }
        for (int d = 0; d < DIM; d++) {
            v[d] /= (float) Math.sqrt(norm);
        }
        return v;
    }

    /** A document of two passages with synthetic vectors: passage c of document i has vector(i * 2 + c). */
    static PreparedDocument document(String id, int i) {
        Document d = new Document(id, "passage one of " + id + ". passage two of " + id + ".", CrashingWriter.metadata(i));
        return new PreparedDocument(d, List.of(
                new Passage(id, 0, "passage one of " + id + ".", vector(i * 2), new float[0][], null),
                new Passage(id, 1, "passage two of " + id + ".", vector(i * 2 + 1), new float[][]{vector(-i)}, vector(-i - 1))));
    }

    private static CollectionConfig config(String name) {
        return new CollectionConfig(name, Similarity.COSINE, "synthetic", "synthetic", DIM, HnswParameters.DEFAULT, 64);
    }

    private static void assertFindable(Collection c, String id, int i) {
        List<Collection.Hit> hits = c.search(vector(i * 2 + 1), 1, 50, MetadataFilter.NONE);
        assertEquals(id + "#1", hits.getFirst().passage().id(), "passage 1 of " + id + " is its own nearest");
    }

    @Test
    void everythingSurvivesReopeningWithAndWithoutSnapshots() throws IOException {
        Path dir = root.resolve("c");
        try (Collection c = Collection.create(dir, config("c"), Long.MAX_VALUE)) {
            for (int i = 0; i < 40; i++) {
                c.upsert(List.of(document("d" + i, i)));
            }
            c.delete(List.of("d3", "d4", "missing"));
            c.snapshot();
            assertEquals(0, c.logBytes());
            for (int i = 40; i < 60; i++) {
                c.upsert(List.of(document("d" + i, i)));
            }
            c.upsert(List.of(document("d5", 500))); // replaced after the snapshot
            c.delete(List.of("d41"));
        }
        try (Collection c = Collection.open(dir, Long.MAX_VALUE)) {
            assertEquals(60 - 3, c.documentCount());
            assertEquals(2 * 57, c.passageCount());
            assertTrue(c.document("d3").isEmpty());
            assertTrue(c.document("d41").isEmpty());
            assertEquals(Map.of("parity", "even", "i", 500L), c.document("d5").orElseThrow().document().metadata());
            assertFindable(c, "d5", 500);
            assertFindable(c, "d59", 59);
            assertFindable(c, "d10", 10);
            Passage p = c.document("d7").map(d -> c.search(vector(15), 1, 50, MetadataFilter.NONE).getFirst().passage()).orElseThrow();
            assertEquals("passage two of d7.", p.text());
            assertEquals(1, p.sentences().length);
            assertEquals(DIM, p.title().length);
            // filters read the recovered metadata
            List<Collection.Hit> odd = c.search(vector(20), 10, 100, MetadataFilter.of(Map.of("parity", "odd")));
            assertEquals(10, odd.size());
            odd.forEach(h -> assertEquals("odd", h.metadata().get("parity")));
        }
    }

    @Test
    void snapshotsTakeOverFromTheLogAsItGrows() throws IOException {
        Path dir = root.resolve("small");
        try (Collection c = Collection.create(dir, config("small"), 4096)) {
            for (int i = 0; i < 50; i++) {
                c.upsert(List.of(document("d" + i, i)));
                assertTrue(c.logBytes() <= 4096 + 2048, "the log is folded into a snapshot past its bound");
            }
        }
        assertTrue(Files.exists(dir.resolve("snapshot.bin")));
        try (Collection c = Collection.open(dir, 4096)) {
            assertEquals(50, c.documentCount());
            for (int i = 0; i < 50; i++) {
                assertFindable(c, "d" + i, i);
            }
        }
    }

    @Test
    void aTornLogTailLosesOnlyTheUnacknowledgedWrite() throws IOException {
        Path dir = root.resolve("torn");
        try (Collection c = Collection.create(dir, config("torn"), Long.MAX_VALUE)) {
            for (int i = 0; i < 10; i++) {
                c.upsert(List.of(document("d" + i, i)));
            }
        }
        // a crash in the middle of writing an 11th record
        Path log = dir.resolve("wal.log");
        long acknowledged = Files.size(log);
        try (Collection c = Collection.open(dir, Long.MAX_VALUE)) {
            c.upsert(List.of(document("d10", 10)));
        }
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "rw")) {
            f.setLength(acknowledged + (Files.size(log) - acknowledged) / 2);
        }
        try (Collection c = Collection.open(dir, Long.MAX_VALUE)) {
            assertEquals(10, c.documentCount());
            assertTrue(c.document("d10").isEmpty());
            c.upsert(List.of(document("d11", 11)));
        }
        try (Collection c = Collection.open(dir, Long.MAX_VALUE)) {
            assertEquals(11, c.documentCount());
            assertFindable(c, "d11", 11);
        }
    }

    @Test
    void aDamagedSnapshotIsRefusedAndTheStoreOpensTheRest() throws IOException {
        try (CollectionStore store = CollectionStore.open(root, Long.MAX_VALUE)) {
            for (String name : List.of("good", "bad")) {
                Collection c = store.create(config(name));
                for (int i = 0; i < 5; i++) {
                    c.upsert(List.of(document("d" + i, i)));
                }
                c.snapshot();
            }
            assertThrows(IllegalStateException.class, () -> store.create(config("good")));
        }
        Path snapshot = root.resolve("bad").resolve("snapshot.bin");
        try (RandomAccessFile f = new RandomAccessFile(snapshot.toFile(), "rw")) {
            f.seek(f.length() / 2);
            int b = f.read();
            f.seek(f.length() / 2);
            f.write(b ^ 0x55);
        }
        IOException e = assertThrows(IOException.class, () -> Collection.open(root.resolve("bad"), Long.MAX_VALUE));
        assertTrue(e.getMessage().contains("checksum") || e.getMessage().contains("damaged") || e.getMessage().contains("corrupt"), e.getMessage());
        try (CollectionStore store = CollectionStore.open(root, Long.MAX_VALUE)) {
            assertEquals(List.of("good"), store.list().stream().map(c -> c.config().name()).toList());
            assertTrue(store.failures().containsKey("bad"));
            assertEquals(5, store.get("good").orElseThrow().documentCount());
            assertTrue(store.delete("good"));
            assertFalse(Files.exists(root.resolve("good")));
        }
    }

    @Test
    void replacedPassagesAreDroppedFromTheIndexOnceTheyOutnumberTheLiveOnes() throws IOException {
        Path dir = root.resolve("churn");
        int docs = 600;
        try (Collection c = Collection.create(dir, config("churn"), Long.MAX_VALUE)) {
            for (int round = 0; round < 3; round++) {
                for (int from = 0; from < docs; from += 100) {
                    List<PreparedDocument> batch = new ArrayList<>();
                    for (int i = from; i < from + 100; i++) {
                        batch.add(document("d" + i, i + round * docs)); // each round moves every document
                    }
                    c.upsert(batch);
                }
            }
            assertEquals(3 * 2 * docs, c.indexedCount());
            c.snapshot();
            assertEquals(2 * docs, c.indexedCount(), "the 2,400 replaced passages are gone");
            assertEquals(2 * docs, c.passageCount());
            for (int i = 0; i < docs; i += 37) {
                assertFindable(c, "d" + i, i + 2 * docs);
            }
            c.delete(List.of("d1"));
            c.upsert(List.of(document("d1", 77_777)));
        }
        try (Collection c = Collection.open(dir, Long.MAX_VALUE)) {
            assertEquals(docs, c.documentCount());
            assertEquals(2 * docs + 2, c.indexedCount());
            assertFindable(c, "d1", 77_777);
            for (int i = 2; i < docs; i += 41) {
                assertFindable(c, "d" + i, i + 2 * docs);
            }
            // the lexical statistics follow the renumbering
            int ordinal = c.document("d5").orElseThrow().ordinals()[0];
            assertTrue(c.lexical().score(io.llmpipe.retrieval.rerank.Terms.of("passage one d5"), ordinal) > 0);
        }
    }

    @Test
    void nothingAcknowledgedIsLostToKill9() throws Exception {
        Path dir = root.resolve("crash");
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                CrashingWriter.class.getName(), dir.toString(), "20000"));
        Set<String> acked = new HashSet<>();
        Set<String> deleted = new HashSet<>();
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
            String line;
            while ((line = out.readLine()) != null) {
                String[] parts = line.split(" ");
                (parts[0].equals("acked") ? acked : deleted).add(parts[1]);
                if (acked.size() == 400) {
                    p.destroyForcibly(); // SIGKILL: no shutdown hooks, no close, maybe mid-write
                    break;
                }
            }
        }
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(400, acked.size(), "the writer ran until it was killed");
        acked.removeAll(deleted);
        try (Collection c = Collection.open(dir, 20000)) {
            for (String id : acked) {
                assertTrue(c.document(id).isPresent(), id + " was acknowledged before the kill");
                int i = Integer.parseInt(id.substring(4));
                assertFindable(c, id, i);
            }
            for (String id : deleted) {
                assertTrue(c.document(id).isEmpty(), id + " was deleted before the kill");
            }
            assertTrue(Files.exists(dir.resolve("snapshot.bin")), "the run crossed at least one snapshot");
            // and the recovered collection takes writes again
            c.upsert(List.of(document("after", 9999)));
        }
    }
}
