package io.llmpipe.protocol;

/**
 * Kafka value serializer for {@link Topics#REQUESTS}: a {@link GenerationRequest} as UTF-8 JSON.
 * Configure by class name ({@code value.serializer}). Stateless and thread-safe.
 */
public final class GenerationRequestSerializer extends JsonRecordSerializer<GenerationRequest> {
}
