package io.llmpipe.retrieval.store;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.HashSet;

/**
 * Which documents a search may return: every named field must hold one of its allowed values. Numbers
 * compare by value (2020 matches 2020.0); a document lacking a field does not match it.
 */
public final class MetadataFilter {
    public static final MetadataFilter NONE = new MetadataFilter(Map.of());

    private final Map<String, Set<Object>> allowed;

    private MetadataFilter(Map<String, Set<Object>> allowed) {
        this.allowed = allowed;
    }

    /**
     * From the API's JSON form: {@code {"field": value}} for equality, {@code {"field": {"$in": [v, ...]}}}
     * for any of several values.
     */
    public static MetadataFilter of(Map<String, ?> spec) {
        if (spec == null || spec.isEmpty()) {
            return NONE;
        }
        Map<String, Set<Object>> allowed = new LinkedHashMap<>();
        for (Map.Entry<String, ?> e : spec.entrySet()) {
            String field = e.getKey();
            List<Object> values = new ArrayList<>();
            if (e.getValue() instanceof Map<?, ?> operator) {
                if (operator.size() != 1 || !(operator.get("$in") instanceof List<?> list)) {
                    throw new IllegalArgumentException("filter '" + field + "': the only operator is {\"$in\": [values]}");
                }
                if (list.isEmpty()) {
                    throw new IllegalArgumentException("filter '" + field + "': $in needs at least one value");
                }
                values.addAll(list);
            } else {
                values.add(e.getValue());
            }
            Set<Object> normalized = new HashSet<>();
            for (Object v : values) {
                normalized.add(normalize(field, v));
            }
            allowed.put(field, normalized);
        }
        return new MetadataFilter(allowed);
    }

    public boolean isEmpty() {
        return allowed.isEmpty();
    }

    public boolean matches(Map<String, Object> metadata) {
        for (Map.Entry<String, Set<Object>> e : allowed.entrySet()) {
            Object value = metadata.get(e.getKey());
            if (value == null || !e.getValue().contains(normalize(e.getKey(), value))) {
                return false;
            }
        }
        return true;
    }

    private static Object normalize(String field, Object v) {
        return switch (v) {
            case String s -> s;
            case Boolean b -> b;
            case Number n -> n.doubleValue();
            case null -> throw new IllegalArgumentException("filter '" + field + "': null is not a value to match");
            default -> throw new IllegalArgumentException("filter '" + field + "': values are strings, numbers or booleans");
        };
    }
}
