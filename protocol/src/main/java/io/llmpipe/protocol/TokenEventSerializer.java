package io.llmpipe.protocol;

/**
 * Kafka value serializer for {@link Topics#TOKENS}: a {@link TokenEvent} as UTF-8 JSON.
 * Configure by class name ({@code value.serializer}). Stateless and thread-safe.
 */
public final class TokenEventSerializer extends JsonRecordSerializer<TokenEvent> {
}
