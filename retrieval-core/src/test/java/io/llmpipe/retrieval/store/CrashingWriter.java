package io.llmpipe.retrieval.store;

import io.llmpipe.retrieval.hnsw.HnswParameters;
import io.llmpipe.retrieval.hnsw.Similarity;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Run in a child JVM by {@link CollectionDurabilityTest}: upserts (and now and then deletes) documents
 * into a collection as fast as it can, printing "acked ID" or "deleted ID" once each call has
 * returned, until it is killed.
 */
public final class CrashingWriter {
    private CrashingWriter() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        long snapshotBytes = Long.parseLong(args[1]);
        CollectionConfig config = new CollectionConfig("crash", Similarity.COSINE, "synthetic", "synthetic", 16,
                HnswParameters.DEFAULT, 64);
        try (Collection c = Collection.create(dir, config, snapshotBytes)) {
            for (int i = 0; ; i++) {
                String id = "doc-" + i;
                c.upsert(List.of(CollectionDurabilityTest.document(id, i)));
                System.out.println("acked " + id);
                if (i % 7 == 6) {
                    String gone = "doc-" + (i - 3);
                    c.delete(List.of(gone));
                    System.out.println("deleted " + gone);
                }
                System.out.flush();
            }
        }
    }

    static Map<String, Object> metadata(int i) {
        return Map.of("parity", i % 2 == 0 ? "even" : "odd", "i", i);
    }
}
