package io.llmpipe.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.type.LogicalType;

/**
 * The JSON mapper of the protocol: lenient where forward compatibility needs it (unknown fields are
 * ignored), strict everywhere else (no "12" for 12 nor 12 for "12", no 1.5 for an int, no null inside an id array, no
 * duplicate keys, nothing after the object). Absent fields are not written; a field whose value is
 * {@code null} is read as absent (see {@link #withoutNullFields}), so a required field that is null
 * is reported missing and an optional one takes its default.
 *
 * <p>The mapper is configured once and thread-safe.
 */
final class ProtocolJson {

    /** Name of the version field every JSON message carries. */
    static final String SCHEMA_VERSION_FIELD = "schemaVersion";

    static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            // Jackson reports an absent optional number as a null one; nulls are removed before binding.
            .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            // Numbers and booleans are not text either.
            .withCoercionConfig(LogicalType.Textual, c -> c
                    .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
            .withConfigOverride(int[].class,
                    o -> o.setSetterInfo(JsonSetter.Value.forContentNulls(Nulls.FAIL)))
            .build();

    private ProtocolJson() {
    }

    /** {@code node} with every object field whose value is JSON null removed, recursively; in place. */
    static JsonNode withoutNullFields(JsonNode node) {
        if (node instanceof ObjectNode object) {
            object.properties().removeIf(field -> field.getValue().isNull());
            object.forEach(ProtocolJson::withoutNullFields);
        } else if (node instanceof ArrayNode array) {
            array.forEach(ProtocolJson::withoutNullFields);
        }
        return node;
    }
}
