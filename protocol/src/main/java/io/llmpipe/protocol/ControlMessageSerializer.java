package io.llmpipe.protocol;

/**
 * Kafka value serializer for {@link Topics#CONTROL}: a {@link ControlMessage} as UTF-8 JSON.
 * Configure by class name ({@code value.serializer}). Stateless and thread-safe.
 */
public final class ControlMessageSerializer extends JsonRecordSerializer<ControlMessage> {
}
