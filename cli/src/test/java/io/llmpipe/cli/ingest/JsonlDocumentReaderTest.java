package io.llmpipe.cli.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/** Batching, line numbering across blank and bad lines, --skip, CRLF, gzip and encoding errors. */
class JsonlDocumentReaderTest {

    private static String doc(String id) {
        return "{\"id\":\"" + id + "\",\"text\":\"text of " + id + "\"}";
    }

    private static JsonlDocumentReader reader(String content, long skip) throws IOException {
        return JsonlDocumentReader.open(new ByteArrayInputStream(content.getBytes(StandardCharsets.UTF_8)), skip);
    }

    private static List<JsonlDocumentReader.Batch> batches(JsonlDocumentReader reader, int size) throws IOException {
        List<JsonlDocumentReader.Batch> all = new ArrayList<>();
        for (JsonlDocumentReader.Batch b = reader.nextBatch(size); !b.isEmpty(); b = reader.nextBatch(size)) {
            all.add(b);
        }
        return all;
    }

    private static List<String> ids(JsonlDocumentReader.Batch batch) {
        return batch.documents().stream().map(IngestDocument::id).toList();
    }

    @Test
    void batchesHoldAtMostTheBatchSizeAndCoverEveryLine() throws IOException {
        String content = String.join("\n", doc("a"), doc("b"), "", doc("c"), "   ", doc("d"), doc("e")) + "\n";
        List<JsonlDocumentReader.Batch> batches = batches(reader(content, 0), 2);
        assertEquals(3, batches.size());
        assertEquals(List.of("a", "b"), ids(batches.get(0)));
        assertEquals(List.of("c", "d"), ids(batches.get(1)));
        assertEquals(List.of("e"), ids(batches.get(2)));
        assertEquals(1, batches.get(0).firstLine());
        assertEquals(2, batches.get(0).lastLine());
        assertEquals(3, batches.get(1).firstLine()); // the blank line 3 belongs to the second batch
        assertEquals(6, batches.get(1).lastLine());
        assertEquals(7, batches.get(2).firstLine());
        assertEquals(List.of(1L, 2L, 4L, 6L, 7L), batches.stream().flatMap(b -> b.documents().stream()).map(IngestDocument::line).toList());
    }

    @Test
    void badLinesComeWithTheirLineNumbersAndDoNotFillTheBatch() throws IOException {
        String content = String.join("\n", doc("a"), "not json", "", "{\"id\":\"x\"}", doc("b"),
                "{\"id\":\"y\",\"text\":\"t\",\"metadata\":{\"m\":{}}}", doc("c"));
        JsonlDocumentReader r = reader(content, 0);
        JsonlDocumentReader.Batch first = r.nextBatch(2);
        assertEquals(List.of("a", "b"), ids(first));
        assertEquals(List.of(2L, 4L), first.badLines().stream().map(BadLine::line).toList());
        assertTrue(first.badLines().get(1).reason().contains("text"), first.badLines().get(1).reason());
        JsonlDocumentReader.Batch second = r.nextBatch(2);
        assertEquals(List.of("c"), ids(second));
        assertEquals(6L, second.badLines().getFirst().line());
        assertTrue(r.nextBatch(2).isEmpty());
        assertEquals(7, r.linesRead());
    }

    @Test
    void skipPassesOverTheFirstLinesKeepingTheirNumbers() throws IOException {
        String content = String.join("\n", doc("a"), "broken", doc("b"), doc("c"), doc("d"));
        JsonlDocumentReader r = reader(content, 3);
        JsonlDocumentReader.Batch batch = r.nextBatch(10);
        assertEquals(List.of("c", "d"), ids(batch));
        assertEquals(4, batch.firstLine());
        assertEquals(List.of(4L, 5L), batch.documents().stream().map(IngestDocument::line).toList());
        assertTrue(batch.badLines().isEmpty()); // line 2 was skipped, not parsed
        assertTrue(batches(reader(content, 5), 10).isEmpty());
        assertTrue(batches(reader(content, 99), 10).isEmpty());
    }

    @Test
    void crlfLineEndsAndAMissingLastNewlineAreFine() throws IOException {
        JsonlDocumentReader.Batch batch = reader(doc("a") + "\r\n" + doc("b") + "\r\n" + doc("c"), 0).nextBatch(10);
        assertEquals(List.of("a", "b", "c"), ids(batch));
        assertEquals("text of c", batch.documents().get(2).text());
    }

    @Test
    void readsGzip() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write((doc("a") + "\n" + doc("b") + "\n").getBytes(StandardCharsets.UTF_8));
        }
        JsonlDocumentReader r = JsonlDocumentReader.open(new ByteArrayInputStream(bytes.toByteArray()), 0);
        assertEquals(List.of("a", "b"), ids(r.nextBatch(10)));
    }

    @Test
    void aLineThatIsNotUtf8IsReportedAlone() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.writeBytes((doc("a") + "\n").getBytes(StandardCharsets.UTF_8));
        bytes.writeBytes(new byte[]{'{', '"', (byte) 0xC3, (byte) 0x28, '"', '}', '\n'});
        bytes.writeBytes((doc("é") + "\n").getBytes(StandardCharsets.UTF_8));
        JsonlDocumentReader.Batch batch = JsonlDocumentReader.open(new ByteArrayInputStream(bytes.toByteArray()), 0).nextBatch(10);
        assertEquals(List.of("a", "é"), ids(batch));
        assertEquals(List.of(new BadLine(2, "not valid UTF-8")), batch.badLines());
    }
}
