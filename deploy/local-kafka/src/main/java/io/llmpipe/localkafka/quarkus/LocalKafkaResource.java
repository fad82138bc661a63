package io.llmpipe.localkafka.quarkus;

import io.llmpipe.localkafka.LocalKafka;
import io.llmpipe.protocol.Topics;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.nio.file.Files;
import java.util.Map;
import java.util.TreeMap;

/**
 * A real Kafka broker for a service's {@code @QuarkusTest}s, started before Quarkus with the
 * pipeline's topics (two partitions each, one per dead-letter topic); the services' tests use
 * it with {@code @QuarkusTestResource(LocalKafkaResource.class)}.
 */
public class LocalKafkaResource implements QuarkusTestResourceLifecycleManager {
    private static LocalKafka kafka;

    /** The running broker (between start and stop). */
    public static LocalKafka kafka() {
        return kafka;
    }

    @Override
    public Map<String, String> start() {
        try {
            Map<String, Integer> topics = new TreeMap<>();
            for (String t : Topics.ALL) {
                topics.put(t, 2);
                topics.put(Topics.deadLetter(t), 1);
            }
            kafka = LocalKafka.start(LocalKafka.Options.of(Files.createTempDirectory("service-test-kafka"), topics));
            return Map.of("kafka.bootstrap.servers", kafka.bootstrapServers());
        } catch (Exception e) {
            throw new IllegalStateException("could not start Kafka: " + e, e);
        }
    }

    @Override
    public void stop() {
        if (kafka != null) {
            kafka.close();
        }
    }
}
