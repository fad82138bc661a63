package io.llmpipe.retrieval.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmpipe.retrieval.embed.OnnxEmbedder;
import io.llmpipe.retrieval.hnsw.HnswParameters;
import io.llmpipe.retrieval.hnsw.Similarity;
import io.llmpipe.retrieval.rerank.MultiViewReranker;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Documents embedded with the real all-MiniLM-L6-v2, searched by text with filters, with and without reranking. */
class RetrieverTest {
    private static OnnxEmbedder embedder;

    @TempDir
    Path dir;

    @BeforeAll
    static void load() {
        embedder = OnnxEmbedder.miniLm();
    }

    @AfterAll
    static void close() {
        embedder.close();
    }

    private Collection collection() throws IOException {
        CollectionConfig config = new CollectionConfig("facts", Similarity.COSINE, embedder.name(), embedder.fingerprint(),
                embedder.dimension(), HnswParameters.DEFAULT, 64);
        Collection c = Collection.create(dir.resolve("facts"), config, Long.MAX_VALUE);
        DocumentEmbedder prepare = new DocumentEmbedder(embedder);
        c.upsert(prepare.prepare(List.of(
                new Document("scurvy", "Scurvy is a disease caused by a lack of vitamin C. Sailors on long voyages suffered from it"
                        + " until citrus fruit was carried on board.", Map.of("topic", "medicine", "year", 1753)),
                new Document("insulin", "Insulin is a hormone made by the pancreas that lets cells take up glucose.",
                        Map.of("topic", "medicine", "year", 1921)),
                new Document("everest", "Mount Everest is the highest mountain above sea level, in the Himalayas.",
                        Map.of("topic", "geography", "title", "Mount Everest")),
                new Document("long", "The river flows north. ".repeat(60) + "At its mouth lies a delta rich in birds.",
                        Map.of("topic", "geography"))), config.passageTokens()));
        return c;
    }

    @Test
    void findsByMeaningFiltersAndReranks() throws IOException {
        try (Collection c = collection()) {
            assertTrue(c.document("long").orElseThrow().ordinals().length > 1, "a long text is split into passages");
            Retriever retriever = new Retriever(embedder, coll -> new MultiViewReranker(coll.lexical(), MultiViewReranker.Weights.EQUAL), 50);
            List<Retriever.Result> dense = retriever.search(c, new Retriever.Query("what illness comes from too little vitamin C?",
                    null, 3, 100, MetadataFilter.NONE, false));
            assertEquals("scurvy", dense.getFirst().passage().documentId());
            assertEquals(3, dense.size());

            List<Retriever.Result> reranked = retriever.search(c, new Retriever.Query("vitamin C deficiency disease", null, 2, 100,
                    MetadataFilter.NONE, true));
            assertEquals("scurvy", reranked.getFirst().passage().documentId());
            assertEquals(2, reranked.size());

            List<Retriever.Result> geography = retriever.search(c, new Retriever.Query("vitamin C deficiency disease", null, 10, 100,
                    MetadataFilter.of(Map.of("topic", "geography")), false));
            assertTrue(geography.stream().allMatch(r -> r.metadata().get("topic").equals("geography")));
            List<Retriever.Result> year = retriever.search(c, new Retriever.Query("hormone", null, 10, 100,
                    MetadataFilter.of(Map.of("year", Map.of("$in", List.of(1921, 2000)))), false));
            assertEquals(List.of("insulin"), year.stream().map(r -> r.passage().documentId()).toList());

            float[] vector = embedder.embed("the tallest peak on earth");
            List<Retriever.Result> byVector = retriever.search(c, new Retriever.Query(null, vector, 1, 100, MetadataFilter.NONE, false));
            assertEquals("everest", byVector.getFirst().passage().documentId());
            assertThrows(IllegalArgumentException.class, () -> new Retriever.Query(null, vector, 1, 100, MetadataFilter.NONE, true));
        }
    }

    @Test
    void countsTokensAsTheModelReadsThem() {
        assertEquals(2, embedder.countTokens(""));
        assertTrue(embedder.countTokens("word ".repeat(400)) > 256, "counting does not stop at the window");
    }
}
