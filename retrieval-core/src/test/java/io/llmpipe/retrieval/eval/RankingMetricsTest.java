package io.llmpipe.retrieval.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RankingMetricsTest {

    @Test
    void ndcgAndRecallAsBeirComputesThem() {
        Map<String, Integer> grades = Map.of("a", 2, "b", 1);
        assertEquals(1.0, RankingMetrics.ndcg(List.of("a", "b", "x"), grades, 10), 1e-12);
        // b first, a second: (1/log2(2) + 2/log2(3)) / (2/log2(2) + 1/log2(3))
        double expected = (1 + 2 / (Math.log(3) / Math.log(2))) / (2 + 1 / (Math.log(3) / Math.log(2)));
        assertEquals(expected, RankingMetrics.ndcg(List.of("b", "a"), grades, 10), 1e-12);
        assertEquals(0.0, RankingMetrics.ndcg(List.of("x", "y"), grades, 10));
        assertEquals(0.5, RankingMetrics.recall(List.of("x", "a"), grades, 100));
        assertEquals(0.0, RankingMetrics.ndcg(List.of("x", "a"), grades, 1));
    }

    @Test
    void scifactLoadsWithItsDocumentedCounts() throws Exception {
        String prop = System.getProperty("llmpipe.shared.dir");
        Path data = prop != null ? Path.of(prop, "data") : Path.of("..", "..", "shared", "data");
        data = Files.isDirectory(data) ? data : Path.of("..", "shared", "data");
        BeirDataset set = BeirDataset.load(data.resolve("beir-scifact"), "test");
        assertEquals(5183, set.documents().size());
        assertEquals(300, set.queries().size());
        assertEquals(339, set.qrels().values().stream().mapToInt(Map::size).sum());
    }
}
