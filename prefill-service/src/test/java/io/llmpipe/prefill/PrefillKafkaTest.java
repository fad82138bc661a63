package io.llmpipe.prefill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmpipe.engine.generation.Generator;
import io.llmpipe.engine.generation.Sequence;
import io.llmpipe.engine.kv.KvCodec;
import io.llmpipe.engine.sampling.Sampler;
import io.llmpipe.protocol.AttentionSpec;
import io.llmpipe.protocol.GenerationRequest;
import io.llmpipe.protocol.GenerationRequestSerializer;
import io.llmpipe.protocol.KvCodecSpec;
import io.llmpipe.protocol.KvHandoff;
import io.llmpipe.protocol.KvHandoffAssembler;
import io.llmpipe.protocol.KvMessage;
import io.llmpipe.protocol.KvMessageDeserializer;
import io.llmpipe.protocol.PipelineStage;
import io.llmpipe.protocol.SamplingParameters;
import io.llmpipe.protocol.TokenEvent;
import io.llmpipe.protocol.TokenEventDeserializer;
import io.llmpipe.protocol.Topics;
import io.llmpipe.localkafka.quarkus.LocalKafkaResource;
import io.llmpipe.service.ModelHolder;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * Through a real broker: a request on llm.requests gives run.c's first token on llm.tokens and a KV
 * handoff on llm.kv from which decode continues with run.c's next tokens; a malformed record goes to
 * llm.requests.dlq and the next request is still served.
 */
@QuarkusTest
@QuarkusTestResource(LocalKafkaResource.class)
class PrefillKafkaTest {

    @Inject
    ModelHolder holder;

    private static JsonNode golden() throws Exception {
        return new ObjectMapper().readTree(Path.of(System.getProperty("llmpipe.shared.dir"), "models", "stories260K.golden.json").toFile())
                .get("runs").get(0);
    }

    private static GenerationRequest request(String id, int[] prompt) {
        return new GenerationRequest(GenerationRequest.SCHEMA_VERSION, id, "stories260K", prompt, SamplingParameters.GREEDY,
                30, new int[0], AttentionSpec.DENSE, KvCodecSpec.FP32, "test-gateway", 0L, System.currentTimeMillis());
    }

    private static Properties consumerProps(String group) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, LocalKafkaResource.kafka().bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        return p;
    }

    @Test
    void requestGivesFirstTokenAndAHandoffThatDecodeContinues() throws Exception {
        JsonNode g = golden();
        int[] prompt = new ObjectMapper().convertValue(g.get("prompt_token_ids"), int[].class);
        int[] expected = new ObjectMapper().convertValue(g.get("generated_token_ids"), int[].class);
        String id = "req-" + UUID.randomUUID();
        Properties pp = new Properties();
        pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, LocalKafkaResource.kafka().bootstrapServers());
        try (var garbage = new KafkaProducer<>(pp, new StringSerializer(), new ByteArraySerializer());
             var producer = new KafkaProducer<>(pp, new StringSerializer(), new GenerationRequestSerializer())) {
            // a malformed record first: it must not stop the consumer
            garbage.send(new ProducerRecord<>(Topics.REQUESTS, "junk", "{not json".getBytes())).get();
            producer.send(new ProducerRecord<>(Topics.REQUESTS, id, request(id, prompt))).get();
        }

        TokenEvent first = null;
        KvHandoff handoff = null;
        KvHandoffAssembler assembler = new KvHandoffAssembler(holder.model().fingerprint());
        try (var tokens = new KafkaConsumer<>(consumerProps("t-" + id), new StringDeserializer(), new TokenEventDeserializer());
             var kv = new KafkaConsumer<>(consumerProps("k-" + id), new StringDeserializer(), new KvMessageDeserializer())) {
            tokens.subscribe(List.of(Topics.TOKENS));
            kv.subscribe(List.of(Topics.KV));
            long until = System.currentTimeMillis() + 60_000;
            while ((first == null || handoff == null) && System.currentTimeMillis() < until) {
                for (ConsumerRecord<String, TokenEvent> r : tokens.poll(Duration.ofMillis(200))) {
                    if (r.key().equals(id)) {
                        first = r.value();
                    }
                }
                for (ConsumerRecord<String, KvMessage> r : kv.poll(Duration.ofMillis(200))) {
                    if (r.key().equals(id)) {
                        Optional<KvHandoff> done = assembler.accept(r.value());
                        if (done.isPresent()) {
                            handoff = done.get();
                        }
                    }
                }
            }
        }
        assertNotNull(first, "no token event for " + id);
        assertNotNull(handoff, "no complete KV handoff for " + id);
        assertEquals(0, first.sequence());
        assertEquals(PipelineStage.PREFILL, first.stage());
        assertEquals(expected[0], first.tokenId(), "first token = run.c's");
        assertEquals(prompt.length, handoff.header().positions());
        assertEquals(expected[0], handoff.header().firstTokenId());

        // decode continues from the handed-over cache exactly as run.c did
        var c = holder.model().config();
        Sequence seq = Sequence.restored(KvCodec.FP32.decode(handoff.payload(), c.layers(), c.kvHeads(), c.headSize(),
                prompt.length, c.contextLength()), prompt.length);
        float[] logits = new float[c.vocabularySize()];
        int token = first.tokenId();
        Generator gen = holder.newGenerator();
        for (int i = 1; i < 10; i++) {
            gen.decode(List.of(seq), new int[]{token}, logits);
            token = Sampler.argmax(logits, 0, c.vocabularySize());
            assertEquals(expected[i], token, "token " + i + " after the handoff");
        }

        // the malformed record reached the dead-letter topic
        boolean dead = false;
        try (var dlq = new KafkaConsumer<>(consumerProps("d-" + id), new StringDeserializer(), new ByteArrayDeserializer())) {
            dlq.subscribe(List.of(Topics.REQUESTS_DLQ));
            long until = System.currentTimeMillis() + 30_000;
            while (!dead && System.currentTimeMillis() < until) {
                for (var r : dlq.poll(Duration.ofMillis(200))) {
                    dead |= "junk".equals(r.key());
                }
            }
        }
        assertTrue(dead, "malformed request not found on " + Topics.REQUESTS_DLQ);
    }
}
