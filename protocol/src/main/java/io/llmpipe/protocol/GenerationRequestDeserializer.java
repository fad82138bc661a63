package io.llmpipe.protocol;

/**
 * Kafka value deserializer for {@link Topics#REQUESTS}. Ignores unknown fields; throws
 * {@link MalformedRecordException} for anything else it cannot accept, including a schema version newer
 * than {@link GenerationRequest#SCHEMA_VERSION}. Configure by class name ({@code value.deserializer}).
 * Stateless and thread-safe.
 */
public final class GenerationRequestDeserializer extends JsonRecordDeserializer<GenerationRequest> {

    public GenerationRequestDeserializer() {
        super(GenerationRequest.class, GenerationRequest.SCHEMA_VERSION, Topics.REQUESTS);
    }
}
