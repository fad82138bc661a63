package io.llmpipe.cli.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The ingest's bookkeeping over an in-memory sink that behaves as the contract says (one chunk per document, 4xx for
 * the whole request when one document is refused); the HTTP client against the real service is the e2e module's.
 */
class IngesterTest {
    private static final Ingester.RetryPolicy NO_WAIT = new Ingester.RetryPolicy(3, Duration.ZERO);

    /** Refuses any request holding an id that starts with "refused"; fails the calls numbered in {@code failing}. */
    private static final class CollectionSink implements DocumentSink {
        final List<String> stored = new ArrayList<>();
        final List<Integer> requestSizes = new ArrayList<>();
        int calls;
        int failFromCall = Integer.MAX_VALUE;
        int failingCalls;
        int refusalStatus = 400;

        @Override
        public Upserted upsert(List<IngestDocument> documents) throws Refused, Unavailable {
            calls++;
            requestSizes.add(documents.size());
            if (calls >= failFromCall && failingCalls-- > 0) {
                throw new Unavailable("retrieval-service answered HTTP 503: overloaded", null);
            }
            for (int i = 0; i < documents.size(); i++) {
                if (documents.get(i).id().startsWith("refused")) {
                    throw new Refused(refusalStatus, "text too long", "invalid_value", "documents[" + i + "].text");
                }
            }
            documents.forEach(d -> stored.add(d.id()));
            return new Upserted(documents.size(), documents.size());
        }
    }

    private static JsonlDocumentReader corpus(List<String> lines, long skip) throws IOException {
        return JsonlDocumentReader.open(new ByteArrayInputStream(String.join("\n", lines).getBytes(StandardCharsets.UTF_8)), skip);
    }

    private static String doc(String id) {
        return "{\"id\":\"" + id + "\",\"text\":\"about " + id + "\"}";
    }

    private static List<String> docs(int n) {
        return IntStream.rangeClosed(1, n).mapToObj(i -> doc("d" + i)).collect(Collectors.toList());
    }

    @Test
    void sendsEveryDocumentInBatches() throws IOException {
        CollectionSink sink = new CollectionSink();
        List<long[]> progress = new ArrayList<>();
        IngestSummary s = new Ingester(sink, NO_WAIT).run(corpus(docs(10), 0), 4, (u, c, b) -> progress.add(new long[]{u, c, b}));
        assertTrue(s.complete());
        assertEquals(10, s.upserted());
        assertEquals(10, s.chunks());
        assertEquals(0, s.badLineCount());
        assertEquals(List.of(4, 4, 2), sink.requestSizes);
        assertEquals(IntStream.rangeClosed(1, 10).mapToObj(i -> "d" + i).toList(), sink.stored);
        assertEquals(List.of(4L, 8L, 10L), progress.stream().map(p -> p[0]).toList());
    }

    @Test
    void aRefusedBatchIsResentOneByOneAndOnlyTheRefusedDocumentsAreReported() throws IOException {
        List<String> lines = new ArrayList<>(docs(6));
        lines.set(1, doc("refused-a"));  // line 2
        lines.set(2, "{\"id\":");         // line 3: parse error, in the same batch
        lines.set(4, doc("refused-b"));  // line 5
        CollectionSink sink = new CollectionSink();
        IngestSummary s = new Ingester(sink, NO_WAIT).run(corpus(lines, 0), 10, (u, c, b) -> { });
        assertTrue(s.complete());
        assertEquals(List.of("d1", "d4", "d6"), sink.stored);
        assertEquals(3, s.upserted());
        assertEquals(3, s.badLineCount());
        assertEquals(List.of(2L, 3L, 5L), s.firstBadLines().stream().map(BadLine::line).toList());
        assertEquals("refused by the service (HTTP 400): text too long [documents[0].text]", s.firstBadLines().get(0).reason());
        assertEquals(List.of(5, 1, 1, 1, 1, 1), sink.requestSizes);
    }

    @Test
    void aFailingServiceIsRetriedWithoutLosingTheBatch() throws IOException {
        CollectionSink sink = new CollectionSink();
        sink.failFromCall = 2;
        sink.failingCalls = 3; // the last allowed retry succeeds
        IngestSummary s = new Ingester(sink, NO_WAIT).run(corpus(docs(6), 0), 3, (u, c, b) -> { });
        assertTrue(s.complete());
        assertEquals(6, s.upserted());
        assertEquals(2 + 3, sink.calls); // two batches, the second tried four times
        assertEquals(IntStream.rangeClosed(1, 6).mapToObj(i -> "d" + i).toList(), sink.stored);
    }

    @Test
    void aServiceThatKeepsFailingStopsTheIngestAtTheFailedBatchsFirstLine() throws IOException {
        List<String> lines = new ArrayList<>(docs(9));
        lines.set(1, "bad line 2");
        lines.set(4, "bad line 5"); // in the failing batch: reported when the user resumes, not now
        CollectionSink sink = new CollectionSink();
        sink.failFromCall = 2;
        sink.failingCalls = Integer.MAX_VALUE;
        IngestSummary s = new Ingester(sink, NO_WAIT).run(corpus(lines, 0), 3, (u, c, b) -> { });
        assertEquals(3, s.upserted()); // lines 1, 3, 4
        IngestSummary.Stop stop = s.stop();
        assertEquals(5, stop.resumeLine());
        assertEquals("retrieval-service answered HTTP 503: overloaded (tried 4 times)", stop.message());
        assertEquals(List.of(new BadLine(2, "not valid JSON: Unrecognized token 'bad': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')")),
                s.firstBadLines());
        assertEquals(1 + 4, sink.calls);

        // Resuming with --skip (resume line - 1) sends the rest and reports line 5.
        CollectionSink again = new CollectionSink();
        IngestSummary resumed = new Ingester(again, NO_WAIT).run(corpus(lines, stop.resumeLine() - 1), 3, (u, c, b) -> { });
        assertNull(resumed.stop());
        assertEquals(List.of("d6", "d7", "d8", "d9"), again.stored);
        assertEquals(List.of(5L), resumed.firstBadLines().stream().map(BadLine::line).toList());
    }

    @Test
    void aMissingCollectionStopsInsteadOfReportingEveryDocument() throws IOException {
        CollectionSink sink = new CollectionSink();
        sink.refusalStatus = 404;
        List<String> lines = List.of(doc("d1"), doc("refused"), doc("d3"));
        IngestSummary s = new Ingester(sink, NO_WAIT).run(corpus(lines, 0), 10, (u, c, b) -> { });
        assertEquals(1, s.stop().resumeLine());
        assertEquals(0, s.badLineCount());
        assertEquals(1, sink.calls);
    }

    @Test
    void keepsTheFirstTwentyBadLinesAndCountsTheRest() throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            lines.add(i % 2 == 0 ? "{" : doc("d" + i));
        }
        IngestSummary s = new Ingester(new CollectionSink(), NO_WAIT).run(corpus(lines, 0), 7, (u, c, b) -> { });
        assertEquals(25, s.upserted());
        assertEquals(25, s.badLineCount());
        assertEquals(Ingester.REPORTED_BAD_LINES, s.firstBadLines().size());
        assertEquals(1, s.firstBadLines().getFirst().line());
        assertEquals(39, s.firstBadLines().getLast().line());
    }
}
