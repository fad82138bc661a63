package io.llmpipe.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class TopicsTest {

    // Kafka's legal topic name: [a-zA-Z0-9._-], at most 249 characters.
    private static final Pattern LEGAL = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    private static final List<String> DEAD_LETTERS =
            List.of(Topics.REQUESTS_DLQ, Topics.KV_DLQ, Topics.TOKENS_DLQ, Topics.CONTROL_DLQ);

    @Test
    void mainTopicsHaveTheAgreedNames() {
        assertEquals(List.of("llm.requests", "llm.kv", "llm.tokens", "llm.control"), Topics.ALL);
    }

    @Test
    void everyTopicHasItsOwnDeadLetterTopic() {
        for (int i = 0; i < Topics.ALL.size(); i++) {
            assertEquals(Topics.deadLetter(Topics.ALL.get(i)), DEAD_LETTERS.get(i));
        }
        var names = new HashSet<String>(Topics.ALL);
        names.addAll(DEAD_LETTERS);
        assertEquals(8, names.size(), "all topic names are distinct");
    }

    @Test
    void namesAreLegalKafkaTopicNames() {
        for (String name : Topics.ALL) {
            assertTrue(LEGAL.matcher(name).matches(), name);
            assertTrue(LEGAL.matcher(Topics.deadLetter(name)).matches(), name);
        }
    }
}
