package io.llmpipe.protocol;

import com.fasterxml.jackson.core.JacksonException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes a message record as one UTF-8 JSON object; the record's component names are the field names.
 * Stateless and thread-safe, as Kafka requires of a serializer shared by a producer's callers.
 */
abstract class JsonRecordSerializer<T extends Record> implements Serializer<T> {

    @Override
    public byte[] serialize(String topic, T message) {
        if (message == null) {
            // No topic of the pipeline uses tombstones; a null is a bug at the producer.
            throw new SerializationException("null message for " + topic + "; these topics carry no tombstones");
        }
        try {
            return ProtocolJson.MAPPER.writeValueAsBytes(message);
        } catch (JacksonException e) {
            throw new SerializationException("cannot write " + message.getClass().getSimpleName() + " to " + topic, e);
        }
    }
}
