package io.llmpipe.localkafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The broker really starts, takes topics, carries a record, survives a restart on the same data, and stops. */
class LocalKafkaTest {
    @TempDir
    Path dir;

    @Test
    void startsProducesConsumesRestartsAndStops() throws Exception {
        LocalKafka.Options options = new LocalKafka.Options(dir, 0, Map.of("t.one", 3), null, Duration.ofSeconds(90));
        try (LocalKafka kafka = LocalKafka.start(options)) {
            try (var admin = kafka.admin()) {
                assertEquals(3, admin.describeTopics(List.of("t.one")).allTopicNames().get(20, TimeUnit.SECONDS)
                        .get("t.one").partitions().size());
            }
            Properties pp = new Properties();
            pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
            pp.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            try (var producer = new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>("t.one", "k", "hello")).get(20, TimeUnit.SECONDS);
            }
            Properties cp = new Properties();
            cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
            cp.put(ConsumerConfig.GROUP_ID_CONFIG, "g");
            cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            try (var consumer = new KafkaConsumer<>(cp, new StringDeserializer(), new StringDeserializer())) {
                consumer.subscribe(List.of("t.one"));
                String got = null;
                long until = System.currentTimeMillis() + 30_000;
                while (got == null && System.currentTimeMillis() < until) {
                    ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(500));
                    for (var r : records) {
                        got = r.value();
                    }
                }
                assertEquals("hello", got);
            }
            kafka.close();
            assertFalse(kafka.isAlive());
        }
        // same data directory: storage is kept, topics survive
        try (LocalKafka again = LocalKafka.start(new LocalKafka.Options(dir, 0, Map.of(), null, Duration.ofSeconds(90)))) {
            try (var admin = again.admin()) {
                assertTrue(admin.listTopics().names().get(20, TimeUnit.SECONDS).contains("t.one"));
            }
        }
    }
}
