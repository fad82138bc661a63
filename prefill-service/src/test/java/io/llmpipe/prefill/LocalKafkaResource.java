package io.llmpipe.prefill;

import io.llmpipe.localkafka.LocalKafka;
import io.llmpipe.protocol.Topics;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;

/** A real Kafka broker for the service's tests (started once, before Quarkus). */
public class LocalKafkaResource implements QuarkusTestResourceLifecycleManager {
    static LocalKafka kafka;

    @Override
    public Map<String, String> start() {
        try {
            Map<String, Integer> topics = new HashMap<>();
            for (String t : Topics.ALL) {
                topics.put(t, 2);
                topics.put(Topics.deadLetter(t), 1);
            }
            kafka = LocalKafka.start(LocalKafka.Options.of(Files.createTempDirectory("prefill-kafka"), topics));
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
