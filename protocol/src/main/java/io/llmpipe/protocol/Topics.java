package io.llmpipe.protocol;

import java.util.List;

/**
 * Kafka topic names of the pipeline. By convention a SmallRye channel is named after its topic,
 * so these strings are also the channel names in each service's configuration.
 *
 * <p>Constants only; safe from any thread.
 */
public final class Topics {

    /** Gateway to prefill: tokenized prompts with sampling parameters; key = request id. */
    public static final String REQUESTS = "llm.requests";
    /** Prefill to decode: compressed KV cache chunks and decode state; key = request id. */
    public static final String KV = "llm.kv";
    /** Prefill and decode to gateway: token and error events; key = request id. */
    public static final String TOKENS = "llm.tokens";
    /** Gateway to every decode instance: cancellations. */
    public static final String CONTROL = "llm.control";

    /** Suffix of a topic's dead-letter topic. */
    public static final String DEAD_LETTER_SUFFIX = ".dlq";

    public static final String REQUESTS_DLQ = REQUESTS + DEAD_LETTER_SUFFIX;
    public static final String KV_DLQ = KV + DEAD_LETTER_SUFFIX;
    public static final String TOKENS_DLQ = TOKENS + DEAD_LETTER_SUFFIX;
    public static final String CONTROL_DLQ = CONTROL + DEAD_LETTER_SUFFIX;

    /** The main topics, in data-flow order. */
    public static final List<String> ALL = List.of(REQUESTS, KV, TOKENS, CONTROL);

    private Topics() {
    }

    /** The dead-letter topic of {@code topic}. */
    public static String deadLetter(String topic) {
        return topic + DEAD_LETTER_SUFFIX;
    }
}
