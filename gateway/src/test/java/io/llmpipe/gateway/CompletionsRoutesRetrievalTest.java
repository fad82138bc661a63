package io.llmpipe.gateway;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmpipe.localkafka.quarkus.LocalKafkaResource;
import io.llmpipe.protocol.GenerationRequest;
import io.llmpipe.protocol.GenerationRequestDeserializer;
import io.llmpipe.protocol.Topics;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/**
 * The retrieval extension's failures, which need no retrieval-service: a bad {@code retrieval} field is
 * a 4xx naming it, and a retrieval-service that cannot be reached (the test profile points
 * llmpipe.retrieval.url at a closed port) a 503 {@code retrieval_unavailable}, with nothing queued and
 * the in-flight slot given back. The happy path runs against the real retrieval-service in e2e.
 */
@QuarkusTest
@QuarkusTestResource(LocalKafkaResource.class)
class CompletionsRoutesRetrievalTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Marks this test's requests on llm.requests. */
    private static final long RAG_SEED = 770_001, MARKER_SEED = 770_002;

    @TestHTTPResource("/")
    URL base;

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String chat(String retrieval, boolean stream, long seed) {
        return "{\"model\":\"stories260K\",\"stream\":" + stream + ",\"seed\":" + seed + ",\"max_tokens\":20,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Where did Lily go?\"}]"
                + (retrieval == null ? "" : ",\"retrieval\":" + retrieval) + "}";
    }

    private static JsonNode error(HttpResponse<String> r) throws Exception {
        JsonNode error = JSON.readTree(r.body()).get("error");
        assertNotNull(error, r.body());
        return error;
    }

    @Test
    void badRetrievalFieldsAreRefusedNamingTheParameter() throws Exception {
        record Case(String path, String body, int status, String param) {
        }
        for (Case c : List.of(
                new Case("v1/chat/completions", chat("42", false, RAG_SEED), 400, "retrieval"),
                new Case("v1/chat/completions", chat("\"\"", false, RAG_SEED), 422, "retrieval"),
                new Case("v1/chat/completions", chat("{\"collection\":\"\"}", false, RAG_SEED), 422, "retrieval.collection"),
                new Case("v1/chat/completions", chat("{\"collection\":\"docs\",\"k\":0}", true, RAG_SEED), 422, "retrieval.k"),
                new Case("v1/chat/completions", chat("{\"collection\":\"docs\",\"k\":21}", false, RAG_SEED), 422, "retrieval.k"),
                new Case("v1/chat/completions", chat("{\"collection\":\"docs\",\"rerank\":1}", false, RAG_SEED), 400, "retrieval.rerank"),
                new Case("v1/chat/completions", "{\"model\":\"stories260K\",\"retrieval\":\"docs\",\"messages\":"
                        + "[{\"role\":\"system\",\"content\":\"Be brief.\"}]}", 400, "messages"),
                new Case("v1/completions", "{\"model\":\"stories260K\",\"prompt\":[1,2,3],\"retrieval\":\"docs\"}", 422, "retrieval"))) {
            HttpResponse<String> r = post(c.path(), c.body());
            assertEquals(c.status(), r.statusCode(), c.body() + " -> " + r.body());
            assertEquals(c.param(), error(r).get("param").asText(), c.body());
        }
    }

    @Test
    void anUnreachableRetrievalServiceIs503AndNothingIsQueued() throws Exception {
        // more failing requests than in-flight slots (2 in tests): each gives its slot back, so none is a 429
        List<HttpResponse<String>> failed = new ArrayList<>();
        failed.add(post("v1/chat/completions", chat("\"docs\"", false, RAG_SEED)));
        failed.add(post("v1/chat/completions", chat("{\"collection\":\"docs\",\"k\":3,\"rerank\":true,\"filter\":{\"lang\":\"en\"}}", true, RAG_SEED)));
        failed.add(post("v1/completions", "{\"model\":\"stories260K\",\"prompt\":\"Lily\",\"seed\":" + RAG_SEED + ",\"retrieval\":\"docs\"}"));
        for (HttpResponse<String> r : failed) {
            assertEquals(503, r.statusCode(), r.body());
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), r.body());
            JsonNode error = error(r);
            assertEquals("retrieval_unavailable", error.get("code").asText());
            assertEquals("server_error", error.get("type").asText());
            assertTrue(error.get("message").asText().contains("retrieval-service"), error.get("message").asText());
        }
        String metrics = given().get("/q/metrics").asString();
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("llmpipe_gateway_retrieval_seconds_count") && l.contains("outcome=\"unavailable\"")),
                "no llmpipe.gateway.retrieval timer with outcome unavailable");

        // a request without retrieval is queued; everything before it on llm.requests is free of the failed ones
        HttpResponse<String> marker = post("v1/chat/completions", chat(null, false, MARKER_SEED));
        assertEquals(504, marker.statusCode(), marker.body()); // nobody answers in the gateway's tests
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, LocalKafkaResource.kafka().bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "retrieval-test");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        boolean markerSeen = false;
        try (var consumer = new KafkaConsumer<>(p, new StringDeserializer(), new GenerationRequestDeserializer())) {
            consumer.subscribe(List.of(Topics.REQUESTS));
            long until = System.currentTimeMillis() + 20_000;
            while (!markerSeen && System.currentTimeMillis() < until) {
                for (var record : consumer.poll(Duration.ofMillis(200))) {
                    GenerationRequest queued = record.value();
                    assertFalse(queued.sampling().seed() == RAG_SEED, "a request whose retrieval failed was queued");
                    markerSeen |= queued.sampling().seed() == MARKER_SEED;
                }
            }
        }
        assertTrue(markerSeen);
    }
}
