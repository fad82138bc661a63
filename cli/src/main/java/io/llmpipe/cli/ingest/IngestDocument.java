package io.llmpipe.cli.ingest;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A document as the retrieval-service's upsert takes it, with the input line it came from (for error reports).
 * {@code metadata} is flat (string, number and boolean values only) and never null; callers must not modify it.
 */
public record IngestDocument(long line, String id, String text, ObjectNode metadata) implements ParsedLine {

    /** The document's JSON in an upsert request: {@code {"id","text","metadata"}}. */
    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode().put("id", id).put("text", text);
        o.set("metadata", metadata);
        return o;
    }
}
