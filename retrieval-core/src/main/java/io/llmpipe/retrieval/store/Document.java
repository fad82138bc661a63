package io.llmpipe.retrieval.store;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A document as a user gives it: an id, its text and flat metadata (strings, numbers, booleans). Long
 * texts are split into passages when the document is embedded.
 */
public record Document(String id, String text, Map<String, Object> metadata) {
    public static final int MAX_ID_LENGTH = 256;
    public static final int MAX_TEXT_CHARS = 1_000_000;

    public Document {
        if (id == null || id.isEmpty()) {
            throw new IllegalArgumentException("a document needs a non-empty id");
        }
        if (id.length() > MAX_ID_LENGTH) {
            throw new IllegalArgumentException("document id longer than " + MAX_ID_LENGTH + " characters");
        }
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("document '" + id + "' has no text");
        }
        if (text.length() > MAX_TEXT_CHARS) {
            throw new IllegalArgumentException("document '" + id + "' is longer than " + MAX_TEXT_CHARS + " characters");
        }
        Map<String, Object> copy = new LinkedHashMap<>();
        if (metadata != null) {
            for (Map.Entry<String, Object> e : metadata.entrySet()) {
                copy.put(e.getKey(), checkedValue(id, e.getKey(), e.getValue()));
            }
        }
        metadata = java.util.Collections.unmodifiableMap(copy);
    }

    /** The metadata's title, if it has a string one: titles are embedded as a view of their own. */
    public String title() {
        return metadata.get("title") instanceof String s && !s.isBlank() ? s : null;
    }

    private static Object checkedValue(String id, String key, Object value) {
        return switch (value) {
            case String s -> s;
            case Boolean b -> b;
            case Integer i -> i.longValue();
            case Long l -> l;
            case Short s -> s.longValue();
            case Byte b -> b.longValue();
            case Float f -> f.doubleValue();
            case Double d -> d;
            case java.math.BigInteger b when b.bitLength() < 64 -> b.longValue();
            case java.math.BigDecimal b -> b.doubleValue();
            case null -> throw new IllegalArgumentException("metadata '" + key + "' of document '" + id + "' is null");
            default -> throw new IllegalArgumentException("metadata '" + key + "' of document '" + id
                    + "' must be a string, number or boolean, not " + describe(value));
        };
    }

    private static String describe(Object value) {
        return value instanceof Map<?, ?> ? "an object" : value instanceof Iterable<?> ? "an array" : value.getClass().getSimpleName();
    }
}
