package io.llmpipe.protocol;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import java.io.IOException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads a message record from a JSON object. The schema version is checked before anything else is
 * bound, so a newer major version is reported as such rather than as some field that does not fit.
 * Every rejection is a {@link MalformedRecordException}. Stateless and thread-safe.
 */
abstract class JsonRecordDeserializer<T extends Record> implements Deserializer<T> {

    private final Class<T> type;
    private final int newestSchemaVersion;
    private final String defaultTopic;

    /**
     * @param defaultTopic named in exceptions when Kafka passes no topic
     */
    JsonRecordDeserializer(Class<T> type, int newestSchemaVersion, String defaultTopic) {
        this.type = type;
        this.newestSchemaVersion = newestSchemaVersion;
        this.defaultTopic = defaultTopic;
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        String source = topic == null ? defaultTopic : topic;
        if (data == null) {
            throw new MalformedRecordException(source, "null value (these topics carry no tombstones)");
        }
        JsonNode root;
        try {
            root = ProtocolJson.MAPPER.readTree(data);
        } catch (IOException e) {
            String detail = e instanceof JacksonException j ? j.getOriginalMessage() : e.getMessage();
            throw new MalformedRecordException(source, "not JSON: " + detail, e);
        }
        if (root == null || !root.isObject()) {
            throw new MalformedRecordException(source, "not a JSON object");
        }
        checkSchemaVersion(source, root.get(ProtocolJson.SCHEMA_VERSION_FIELD));
        try {
            return ProtocolJson.MAPPER.treeToValue(ProtocolJson.withoutNullFields(root), type);
        } catch (JacksonException e) {
            throw new MalformedRecordException(source, reason(e), e);
        } catch (IllegalArgumentException e) {
            throw new MalformedRecordException(source, e.getMessage(), e);
        }
    }

    private void checkSchemaVersion(String source, JsonNode version) {
        if (version == null || !version.isInt()) {
            throw new MalformedRecordException(source, "missing or non-integer " + ProtocolJson.SCHEMA_VERSION_FIELD);
        }
        int v = version.intValue();
        if (v > newestSchemaVersion) {
            throw new MalformedRecordException(source, type.getSimpleName() + " schema version " + v
                    + " is newer than this reader's " + newestSchemaVersion);
        }
        if (v < 1) {
            throw new MalformedRecordException(source, "unknown " + type.getSimpleName() + " schema version " + v);
        }
    }

    /** The validation message if a record constructor refused the values, else Jackson's, with the field path. */
    private static String reason(JacksonException e) {
        if (e instanceof ValueInstantiationException && e.getCause() instanceof IllegalArgumentException cause) {
            return cause.getMessage();
        }
        String message = e.getOriginalMessage();
        if (e instanceof JsonMappingException mapping && !mapping.getPath().isEmpty()) {
            var path = new StringBuilder();
            for (JsonMappingException.Reference ref : mapping.getPath()) {
                if (ref.getFieldName() != null) {
                    path.append(path.isEmpty() ? "" : ".").append(ref.getFieldName());
                } else {
                    path.append('[').append(ref.getIndex()).append(']');
                }
            }
            message = message + " (at " + path + ")";
        }
        return message;
    }
}
