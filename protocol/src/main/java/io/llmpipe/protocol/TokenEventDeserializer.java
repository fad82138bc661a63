package io.llmpipe.protocol;

/**
 * Kafka value deserializer for {@link Topics#TOKENS}. Ignores unknown fields; throws
 * {@link MalformedRecordException} for anything else it cannot accept, including a schema version newer
 * than {@link TokenEvent#SCHEMA_VERSION}. Configure by class name ({@code value.deserializer}).
 * Stateless and thread-safe.
 */
public final class TokenEventDeserializer extends JsonRecordDeserializer<TokenEvent> {

    public TokenEventDeserializer() {
        super(TokenEvent.class, TokenEvent.SCHEMA_VERSION, Topics.TOKENS);
    }
}
