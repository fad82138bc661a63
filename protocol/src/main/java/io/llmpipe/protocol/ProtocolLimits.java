package io.llmpipe.protocol;

/**
 * Size limits shared by every message type. They keep each Kafka record below the broker's and
 * producer's default limit of 1 MiB ({@code message.max.bytes}, {@code max.request.size}), so no
 * service has to raise Kafka defaults.
 *
 * <p>Constants only; safe from any thread.
 */
public final class ProtocolLimits {

    /** Kafka's default largest record (producer {@code max.request.size}): 1 MiB. */
    public static final int KAFKA_DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;

    /** Longest request id, in chars; bounds the per-record overhead of the key and every KV chunk. */
    public static final int MAX_REQUEST_ID_CHARS = 256;

    /**
     * Longest prompt, in tokens. As JSON a token id costs at most 7 bytes (6 digits and a comma for
     * vocabularies below a million), so the largest request stays below 1 MiB.
     */
    public static final int MAX_PROMPT_TOKENS = 131_072;

    /** Most stop token ids one request may give. */
    public static final int MAX_STOP_TOKEN_IDS = 1024;

    /** Longest short string field (model id, fingerprint, reply routing, codes), in chars. */
    public static final int MAX_NAME_CHARS = 1024;

    /** Longest free-text field (error message, cancellation reason, text piece), in chars. */
    public static final int MAX_TEXT_CHARS = 16 * 1024;

    private ProtocolLimits() {
    }
}
