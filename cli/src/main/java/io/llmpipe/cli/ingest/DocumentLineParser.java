package io.llmpipe.cli.ingest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/**
 * Turns one JSONL line into a document or a reason it is refused. Two shapes are accepted:
 * {@code {"id","text","metadata"}} and BEIR corpus lines {@code {"_id","title","text","metadata"}}, whose title
 * becomes {@code metadata.title} (how the retrieval-service embeds titles). Other fields are ignored.
 * Stateless and thread-safe.
 */
public final class DocumentLineParser {

    /** Parse errors quote the input; a few hundred characters of it say enough. */
    private static final int MAX_REASON_CHARS = 300;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS); // "{...} {...}" on one line is an error, not the first object

    public ParsedLine parse(String line, long lineNumber) {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            return new BadLine(lineNumber, "not valid JSON: " + shorten(e.getOriginalMessage()));
        }
        if (node == null || !node.isObject()) {
            return new BadLine(lineNumber, "not a JSON object");
        }
        JsonNode idNode = node.hasNonNull("id") ? node.get("id") : node.get("_id");
        String id = idOf(idNode);
        if (id == null) {
            return new BadLine(lineNumber, idNode == null || idNode.isNull() ? "no \"id\" (or BEIR \"_id\")"
                    : "\"id\" must be a non-empty string or an integer");
        }
        JsonNode textNode = node.get("text");
        if (textNode == null || textNode.isNull()) {
            return new BadLine(lineNumber, "no \"text\"");
        }
        if (!textNode.isTextual()) {
            return new BadLine(lineNumber, "\"text\" must be a string");
        }
        if (textNode.asText().isBlank()) {
            return new BadLine(lineNumber, "\"text\" is empty");
        }
        ObjectNode metadata = JsonNodeFactory.instance.objectNode();
        JsonNode given = node.get("metadata");
        if (given != null && !given.isNull()) {
            if (!given.isObject()) {
                return new BadLine(lineNumber, "\"metadata\" must be an object");
            }
            for (Map.Entry<String, JsonNode> field : given.properties()) {
                JsonNode value = field.getValue();
                if (!(value.isTextual() || value.isNumber() || value.isBoolean())) {
                    return new BadLine(lineNumber, "metadata." + field.getKey() + " is " + kindOf(value)
                            + "; metadata values must be strings, numbers or booleans (flat)");
                }
                metadata.set(field.getKey(), value);
            }
        }
        JsonNode title = node.get("title");
        if (title != null && !title.isNull() && !metadata.has("title")) {
            if (!title.isTextual()) {
                return new BadLine(lineNumber, "\"title\" must be a string");
            }
            if (!title.asText().isBlank()) { // BEIR corpora carry "" for documents without a title
                metadata.put("title", title.asText());
            }
        }
        return new IngestDocument(lineNumber, id, textNode.asText(), metadata);
    }

    private static String idOf(JsonNode idNode) {
        if (idNode == null) {
            return null;
        }
        if (idNode.isTextual()) {
            return idNode.asText().isEmpty() ? null : idNode.asText();
        }
        return idNode.isIntegralNumber() ? idNode.asText() : null;
    }

    private static String kindOf(JsonNode value) {
        return switch (value.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case NULL -> "null";
            default -> "a " + value.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    static String shorten(String message) {
        String oneLine = message == null ? "" : message.replaceAll("\\s+", " ").strip();
        return oneLine.length() <= MAX_REASON_CHARS ? oneLine : oneLine.substring(0, MAX_REASON_CHARS) + "...";
    }
}
