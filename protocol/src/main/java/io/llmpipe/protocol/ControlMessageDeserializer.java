package io.llmpipe.protocol;

/**
 * Kafka value deserializer for {@link Topics#CONTROL}. Ignores unknown fields; throws
 * {@link MalformedRecordException} for anything else it cannot accept, including a schema version newer
 * than {@link ControlMessage#SCHEMA_VERSION}. Configure by class name ({@code value.deserializer}).
 * Stateless and thread-safe.
 */
public final class ControlMessageDeserializer extends JsonRecordDeserializer<ControlMessage> {

    public ControlMessageDeserializer() {
        super(ControlMessage.class, ControlMessage.SCHEMA_VERSION, Topics.CONTROL);
    }
}
