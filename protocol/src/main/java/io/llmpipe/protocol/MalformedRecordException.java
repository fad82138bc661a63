package io.llmpipe.protocol;

import org.apache.kafka.common.errors.SerializationException;

/**
 * The one exception every deserializer of this package throws for a value it cannot accept: not
 * JSON, missing or out-of-range fields, an unknown or newer schema version, a bad magic number or a
 * truncated binary record. A consumer logs it, sends the raw record to {@link Topics#deadLetter the
 * topic's dead-letter topic} and goes on with the next record; retrying cannot help.
 *
 * <p>It extends Kafka's {@link SerializationException}, so Kafka clients and SmallRye treat it as a
 * deserialization failure. Immutable.
 */
public final class MalformedRecordException extends SerializationException {

    private final String topic;
    private final String reason;

    public MalformedRecordException(String topic, String reason) {
        this(topic, reason, null);
    }

    public MalformedRecordException(String topic, String reason, Throwable cause) {
        super("malformed record on " + topic + ": " + reason, cause);
        this.topic = topic;
        this.reason = reason;
    }

    /** The topic the record was read from (as the deserializer was told). */
    public String topic() {
        return topic;
    }

    /** What is wrong with the record, for logs and the dead-letter record's headers. */
    public String reason() {
        return reason;
    }
}
