package io.llmpipe.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A command from the gateway on {@link Topics#CONTROL}, key = {@link #requestId()}. Every decode
 * instance reads every control message (each in its own consumer group, or by assigning all
 * partitions), because the gateway does not know which instance holds the request; an instance that
 * does not hold it ignores it. Prefill may read it too, to drop a request before it runs.
 *
 * <p>JSON: {@code {"schemaVersion":1,"requestId":"chatcmpl-42","type":"CANCEL","reason":"client
 * disconnected","timestampEpochMillis":1795000001000}}; {@code reason} may be absent. Immutable and
 * thread-safe.
 *
 * @param schemaVersion        this message's schema (major) version; {@link #SCHEMA_VERSION} when written
 * @param requestId            the request it concerns, also the Kafka key
 * @param type                 what to do
 * @param reason               why, for logs; "" when absent
 * @param timestampEpochMillis when the gateway decided (epoch millis)
 */
public record ControlMessage(
        @JsonProperty(required = true) int schemaVersion,
        @JsonProperty(required = true) String requestId,
        @JsonProperty(required = true) ControlType type,
        String reason,
        @JsonProperty(required = true) long timestampEpochMillis) {

    /** The schema version this code writes and the newest it reads. */
    public static final int SCHEMA_VERSION = 1;

    public ControlMessage {
        Checks.schemaVersion(schemaVersion, SCHEMA_VERSION, "ControlMessage");
        Checks.requestId(requestId);
        Checks.required(type, "type");
        reason = Checks.text(reason, "reason");
        Checks.atLeast(timestampEpochMillis, 0L, "timestampEpochMillis");
    }

    /** A cancellation of {@code requestId}. */
    public static ControlMessage cancel(String requestId, String reason, long timestampEpochMillis) {
        return new ControlMessage(SCHEMA_VERSION, requestId, ControlType.CANCEL, reason, timestampEpochMillis);
    }
}
