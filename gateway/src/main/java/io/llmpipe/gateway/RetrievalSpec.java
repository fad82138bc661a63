package io.llmpipe.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmpipe.service.ApiException;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code retrieval} extension field of a completion request: which collection to search with the
 * question, how many passages to ask for, whether to rerank them, and a metadata filter. Immutable.
 *
 * @param collection a collection name of the retrieval-service
 * @param k          passages to ask for, {@value #MIN_K}..{@value #MAX_K}
 * @param rerank     ask the retrieval-service to rerank the candidates
 * @param filter     the search's metadata filter as the client wrote it (checked by the retrieval-service), or null
 */
public record RetrievalSpec(String collection, int k, boolean rerank, JsonNode filter) {
    public static final int DEFAULT_K = 4;
    public static final int MIN_K = 1;
    /** More passages than this cannot fit a prompt of the contexts served here anyway. */
    public static final int MAX_K = 20;
    /** The retrieval-service's collection names; checked here too, so a name never alters the search URL. */
    private static final Pattern COLLECTION_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    private static final Set<String> FIELDS = Set.of("collection", "k", "rerank", "filter");
    private static final String FIELD = "retrieval";

    /**
     * The field's value: a collection name ({@code "docs"}) or an object
     * ({@code {"collection":"docs","k":4,"rerank":true,"filter":{...}}}); null when the field is absent or null.
     *
     * @throws ApiException 400 for a mistyped or unknown field, 422 for an out-of-range value
     */
    public static RetrievalSpec parse(JsonNode field) {
        if (field == null || field.isNull()) {
            return null;
        }
        if (field.isTextual()) {
            return new RetrievalSpec(collectionName(field.asText(), FIELD), DEFAULT_K, false, null);
        }
        if (!field.isObject()) {
            throw ApiException.invalid(FIELD, "'retrieval' must be a collection name or an object with a 'collection'.");
        }
        for (var entry : field.properties()) {
            if (!FIELDS.contains(entry.getKey())) {
                throw ApiException.invalid(FIELD + "." + entry.getKey(), "Unknown retrieval field '" + entry.getKey()
                        + "' (collection, k, rerank, filter).");
            }
        }
        JsonNode collection = field.get("collection");
        if (collection == null || !collection.isTextual()) {
            throw ApiException.invalid(FIELD + ".collection", "'retrieval.collection' must be a string.");
        }
        int k = DEFAULT_K;
        JsonNode kNode = field.get("k");
        if (kNode != null && !kNode.isNull()) {
            if (!kNode.isIntegralNumber()) {
                throw ApiException.invalid(FIELD + ".k", "'retrieval.k' must be an integer.");
            }
            if (!kNode.canConvertToInt() || kNode.asInt() < MIN_K || kNode.asInt() > MAX_K) {
                throw ApiException.unprocessable(FIELD + ".k", "'retrieval.k' must be between " + MIN_K + " and " + MAX_K
                        + ", got " + kNode.asText() + ".");
            }
            k = kNode.asInt();
        }
        boolean rerank = false;
        JsonNode rerankNode = field.get("rerank");
        if (rerankNode != null && !rerankNode.isNull()) {
            if (!rerankNode.isBoolean()) {
                throw ApiException.invalid(FIELD + ".rerank", "'retrieval.rerank' must be a boolean.");
            }
            rerank = rerankNode.asBoolean();
        }
        JsonNode filter = field.get("filter");
        if (filter != null && filter.isNull()) {
            filter = null;
        }
        if (filter != null && !filter.isObject()) {
            throw ApiException.invalid(FIELD + ".filter", "'retrieval.filter' must be an object.");
        }
        return new RetrievalSpec(collectionName(collection.asText(), FIELD + ".collection"), k, rerank,
                filter == null ? null : filter.deepCopy());
    }

    private static String collectionName(String name, String param) {
        if (name.isEmpty()) {
            throw ApiException.unprocessable(param, "The retrieval collection name is empty.");
        }
        if (!COLLECTION_NAME.matcher(name).matches()) {
            throw ApiException.unprocessable(param, "'" + name + "' is not a collection name (letters, digits, '_', '.', '-'; "
                    + "at most 64, starting with a letter or digit).");
        }
        return name;
    }
}
