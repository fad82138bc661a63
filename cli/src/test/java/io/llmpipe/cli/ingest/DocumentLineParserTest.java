package io.llmpipe.cli.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Both line shapes, metadata rules and the reasons given for refused lines. */
class DocumentLineParserTest {
    private final DocumentLineParser parser = new DocumentLineParser();

    private IngestDocument document(String line) {
        return assertInstanceOf(IngestDocument.class, parser.parse(line, 7));
    }

    private String reason(String line) {
        BadLine bad = assertInstanceOf(BadLine.class, parser.parse(line, 7));
        assertEquals(7, bad.line());
        return bad.reason();
    }

    @Test
    void readsIdTextAndFlatMetadata() {
        IngestDocument d = document("{\"id\":\"a1\",\"text\":\"Scurvy is caused by a lack of vitamin C.\","
                + "\"metadata\":{\"lang\":\"en\",\"year\":2020,\"score\":0.5,\"reviewed\":true},\"ignored\":[1]}");
        assertEquals(7, d.line());
        assertEquals("a1", d.id());
        assertEquals("Scurvy is caused by a lack of vitamin C.", d.text());
        assertEquals("{\"lang\":\"en\",\"year\":2020,\"score\":0.5,\"reviewed\":true}", d.metadata().toString());
        assertEquals("{\"id\":\"a1\",\"text\":\"Scurvy is caused by a lack of vitamin C.\",\"metadata\":"
                + "{\"lang\":\"en\",\"year\":2020,\"score\":0.5,\"reviewed\":true}}", d.toJson().toString());
    }

    @Test
    void metadataIsOptional() {
        assertEquals("{}", document("{\"id\":\"a\",\"text\":\"t\"}").metadata().toString());
        assertEquals("{}", document("{\"id\":\"a\",\"text\":\"t\",\"metadata\":null}").metadata().toString());
    }

    @Test
    void beirCorpusLineTakesIdFromUnderscoreIdAndTitleIntoMetadata() {
        IngestDocument d = document("{\"_id\":\"4983\",\"title\":\"Microstructural development\",\"text\":\"Alterations of the ...\","
                + "\"metadata\":{}}");
        assertEquals("4983", d.id());
        assertEquals("Alterations of the ...", d.text());
        assertEquals("{\"title\":\"Microstructural development\"}", d.metadata().toString());
        // BEIR writes "" for documents without a title: no empty title in the metadata.
        assertFalse(document("{\"_id\":\"1\",\"title\":\"\",\"text\":\"x\"}").metadata().has("title"));
        // A title already in the metadata wins.
        assertEquals("kept", document("{\"_id\":\"1\",\"title\":\"T\",\"text\":\"x\",\"metadata\":{\"title\":\"kept\"}}")
                .metadata().get("title").asText());
    }

    @Test
    void integerIdsBecomeStrings() {
        assertEquals("42", document("{\"id\":42,\"text\":\"t\"}").id());
        assertTrue(reason("{\"id\":4.2,\"text\":\"t\"}").contains("\"id\""));
    }

    @Test
    void refusesLinesThatAreNotJsonObjects() {
        assertTrue(reason("{\"id\":\"a\",\"text\":").startsWith("not valid JSON"));
        assertTrue(reason("{\"id\":\"a\",\"text\":\"t\"} {\"id\":\"b\"}").startsWith("not valid JSON"));
        assertEquals("not a JSON object", reason("[1,2]"));
        assertEquals("not a JSON object", reason("\"text\""));
    }

    @Test
    void refusesLinesWithoutIdOrText() {
        assertEquals("no \"id\" (or BEIR \"_id\")", reason("{\"text\":\"t\"}"));
        assertTrue(reason("{\"id\":\"\",\"text\":\"t\"}").contains("non-empty"));
        assertEquals("no \"text\"", reason("{\"id\":\"a\"}"));
        assertEquals("\"text\" must be a string", reason("{\"id\":\"a\",\"text\":[\"t\"]}"));
        assertEquals("\"text\" is empty", reason("{\"id\":\"a\",\"text\":\"  \"}"));
    }

    @Test
    void refusesNestedOrNullMetadataValues() {
        assertTrue(reason("{\"id\":\"a\",\"text\":\"t\",\"metadata\":{\"author\":{\"name\":\"x\"}}}")
                .startsWith("metadata.author is an object; metadata values must be strings, numbers or booleans"));
        assertTrue(reason("{\"id\":\"a\",\"text\":\"t\",\"metadata\":{\"tags\":[\"a\"]}}").startsWith("metadata.tags is an array"));
        assertTrue(reason("{\"id\":\"a\",\"text\":\"t\",\"metadata\":{\"x\":null}}").startsWith("metadata.x is null"));
        assertEquals("\"metadata\" must be an object", reason("{\"id\":\"a\",\"text\":\"t\",\"metadata\":\"en\"}"));
        assertEquals("\"title\" must be a string", reason("{\"_id\":\"a\",\"text\":\"t\",\"title\":3}"));
    }

    @Test
    void longParseErrorsAreShortened() {
        String reason = reason("{\"id\":\"" + "x".repeat(5000));
        assertTrue(reason.length() < 400, reason);
    }
}
