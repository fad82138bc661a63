package io.llmpipe.gateway;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmpipe.localkafka.quarkus.LocalKafkaResource;
import io.llmpipe.protocol.GenerationRequest;
import io.llmpipe.protocol.GenerationRequestDeserializer;
import io.llmpipe.protocol.Topics;
import io.llmpipe.service.ModelHolder;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/**
 * The gateway alone against a real broker (no prefill or decode running, so requests stay in flight):
 * it becomes ready, queues a tokenized request on llm.requests, refuses requests beyond its
 * in-flight bound with 429, and ends a request nobody answers at its deadline with 504. The test
 * profile sets max-in-flight=2 and request-timeout=PT1S.
 */
@QuarkusTest
@QuarkusTestResource(LocalKafkaResource.class)
class GatewayTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TestHTTPResource("/")
    URL base;

    @Inject
    ModelHolder holder;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void isLive() {
        given().when().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
    }

    private void awaitReady() throws InterruptedException {
        long until = System.currentTimeMillis() + 60_000;
        while (given().when().get("/q/health/ready").statusCode() != 200 && System.currentTimeMillis() < until) {
            Thread.sleep(200);
        }
        given().when().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
    }

    private CompletableFuture<HttpResponse<String>> postAsync(String body) {
        return http.sendAsync(HttpRequest.newBuilder(URI.create(base + "v1/chat/completions")).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String chat(String content, boolean stream) {
        return "{\"model\":\"stories260K\",\"stream\":" + stream + ",\"temperature\":0.5,\"seed\":42,\"max_tokens\":20,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]}";
    }

    @Test
    void queuesTokenizedRequestsRefusesBeyondItsBoundAndEndsThemAtTheDeadline() throws Exception {
        awaitReady();
        long before = System.currentTimeMillis();
        CompletableFuture<HttpResponse<String>> first = postAsync(chat("Once upon a time", true));
        CompletableFuture<HttpResponse<String>> second = postAsync(chat("The cat", false));
        long until = System.currentTimeMillis() + 20_000;
        while (!given().get("/q/metrics").asString().contains("llmpipe_gateway_in_flight{application=\"llmpipe-gateway\"} 2.0")
                && System.currentTimeMillis() < until) {
            Thread.sleep(20);
        }
        HttpResponse<String> third = postAsync(chat("A dog", false)).get();
        assertEquals(429, third.statusCode(), third.body());
        assertEquals("rate_limit_exceeded", JSON.readTree(third.body()).get("error").get("code").asText());

        // nobody answers: both end at the deadline (1 s + the gateway's grace) with an OpenAI error
        for (var f : List.of(first, second)) {
            HttpResponse<String> r = f.get();
            assertEquals(504, r.statusCode(), r.body());
            assertEquals("deadline_exceeded", JSON.readTree(r.body()).get("error").get("code").asText());
        }
        assertTrue(System.currentTimeMillis() - before < 15_000);

        // the queued request: prompt tokenized with the model's template, sampling, routing, deadline
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, LocalKafkaResource.kafka().bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "gateway-test");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        GenerationRequest queued = null;
        try (var consumer = new KafkaConsumer<>(p, new StringDeserializer(), new GenerationRequestDeserializer())) {
            consumer.subscribe(List.of(Topics.REQUESTS));
            until = System.currentTimeMillis() + 20_000;
            while (queued == null && System.currentTimeMillis() < until) {
                for (var r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value().promptTokenCount() == holder.model().tokenizer().encode("Once upon a time", true).length) {
                        queued = r.value();
                        assertEquals(r.key(), queued.requestId());
                    }
                }
            }
        }
        assertNotNull(queued);
        assertTrue(queued.requestId().startsWith("chatcmpl-"));
        assertArrayEquals(holder.model().tokenizer().encode("Once upon a time", true), queued.promptTokenIds());
        assertEquals(42L, queued.sampling().seed());
        assertEquals(0.5f, queued.sampling().temperature());
        assertEquals(20, queued.maxTokens());
        assertTrue(queued.replyTo().startsWith("gateway-"));
        assertTrue(queued.deadlineEpochMillis() >= queued.createdAtEpochMillis() + 1000);
        assertArrayEquals(holder.model().tokenizer().stopTokenIds().stream().mapToInt(Integer::intValue).toArray(), queued.stopTokenIds());
    }

    @Test
    void badRequestsGetOpenAiErrorsBeforeAnythingIsQueued() throws Exception {
        record Case(String body, int status, String param) {
        }
        for (Case c : List.of(
                new Case("[1,2]", 400, null),
                new Case("{\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\"}]}", 400, "messages[0].content"),
                new Case("{\"model\":\"stories260K\",\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}", 422, "messages[0].role"),
                new Case("{\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"n\":3}", 422, "n"),
                new Case("{\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":0}", 422, "max_tokens"),
                new Case("{\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"top_p\":0}", 422, "top_p"),
                new Case("{\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream\":\"yes\"}", 400, "stream"),
                new Case("{\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stop\":[1]}", 400, "stop"),
                new Case("{\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream_options\":{}}", 400, "stream_options"),
                new Case("{\"model\":7,\"messages\":[]}", 400, "model"))) {
            HttpResponse<String> r = postAsync(c.body()).get();
            assertEquals(c.status(), r.statusCode(), c.body() + " -> " + r.body());
            JsonNode error = JSON.readTree(r.body()).get("error");
            assertNotNull(error.get("message").asText());
            if (c.param() != null) {
                assertEquals(c.param(), error.get("param").asText(), c.body());
            }
        }
    }
}
