package io.llmpipe.retrieval.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmpipe.service.ApiException;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reads request bodies field by field, refusing what the API does not accept with a 400 that names the field. */
final class JsonBody {
    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonBody() {
    }

    static JsonNode parse(String body) {
        if (body == null || body.isBlank()) {
            throw ApiException.invalid(null, "The request body is empty; a JSON object is expected.");
        }
        try {
            JsonNode node = JSON.readTree(body);
            if (node == null || !node.isObject()) {
                throw ApiException.invalid(null, "The request body must be a JSON object.");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw ApiException.invalid(null, "The request body is not valid JSON: " + e.getOriginalMessage());
        }
    }

    static String requiredText(JsonNode node, String field, String param) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw ApiException.invalid(param, "'" + param + "' is required.");
        }
        if (!v.isTextual()) {
            throw ApiException.invalid(param, "'" + param + "' must be a string.");
        }
        return v.asText();
    }

    static JsonNode requiredArray(JsonNode node, String field, String what) {
        JsonNode v = node.get(field);
        if (v == null || !v.isArray()) {
            throw ApiException.invalid(field, "'" + field + "' must be " + what + ".");
        }
        return v;
    }

    static String optionalText(JsonNode node, String field, String param) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw ApiException.invalid(param, "'" + param + "' must be a string.");
        }
        return v.asText();
    }

    static int optionalInt(JsonNode node, String field, int fallback, int min, int max) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw ApiException.invalid(field, "'" + field + "' must be an integer.");
        }
        int i = v.intValue();
        if (i < min || i > max) {
            throw ApiException.unprocessable(field, "'" + field + "' must be in [" + min + ", " + max + "], got " + i + ".");
        }
        return i;
    }

    static boolean optionalBoolean(JsonNode node, String field, boolean fallback) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isBoolean()) {
            throw ApiException.invalid(field, "'" + field + "' must be true or false.");
        }
        return v.booleanValue();
    }

    /** A JSON object as plain Java values (strings, numbers, booleans, lists, maps), for metadata and filters. */
    static Map<String, Object> optionalObject(JsonNode node, String field, String param) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return Map.of();
        }
        if (!v.isObject()) {
            throw ApiException.invalid(param, "'" + param + "' must be a JSON object.");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> map = JSON.convertValue(v, LinkedHashMap.class);
        return map;
    }

    static float[] optionalVector(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isArray() || v.isEmpty()) {
            throw ApiException.invalid(field, "'" + field + "' must be a non-empty array of numbers.");
        }
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode x = v.get(i);
            if (!x.isNumber() || !Double.isFinite(x.doubleValue())) {
                throw ApiException.invalid(field, "'" + field + "[" + i + "]' must be a finite number.");
            }
            out[i] = x.floatValue();
        }
        return out;
    }
}
