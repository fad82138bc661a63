package io.llmpipe.decode;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.llmpipe.localkafka.quarkus.LocalKafkaResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/** The service starts against a real broker, reports itself live and ready, and exposes its meters. */
@QuarkusTest
@QuarkusTestResource(LocalKafkaResource.class)
class DecodeServiceTest {

    @Test
    void isLive() {
        given().when().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
    }

    @Test
    void becomesReady() throws InterruptedException {
        // the Kafka consumers need a moment to join their groups
        long until = System.currentTimeMillis() + 60_000;
        while (given().when().get("/q/health/ready").statusCode() != 200 && System.currentTimeMillis() < until) {
            Thread.sleep(200);
        }
        given().when().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
    }

    @Test
    void exposesPrometheusMetrics() {
        given().when().get("/q/metrics").then().statusCode(200)
                .body(containsString("llmpipe_decode_batch_size"))
                .body(containsString("llmpipe_decode_active"));
    }
}
