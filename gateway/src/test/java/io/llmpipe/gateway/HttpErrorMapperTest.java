package io.llmpipe.gateway;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.nullValue;

import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

@QuarkusTest
class HttpErrorMapperTest {

    @Test
    void unknownPathGetsOpenAiErrorShape() {
        given().when().get("/v1/nope").then()
                .statusCode(404)
                .contentType("application/json")
                .body("error.message", equalTo("Unknown request URL: GET /v1/nope."))
                .body("error.type", equalTo("invalid_request_error"))
                .body("error", hasKey("param"))
                .body("error.param", nullValue())
                .body("error.code", equalTo("unknown_url"));
    }

    @Test
    void wrongMethodKeepsItsStatus() {
        given().when().delete("/v1/models").then()
                .statusCode(405)
                .contentType("application/json")
                .body("error.type", equalTo("invalid_request_error"))
                .body("error.code", equalTo("method_not_allowed"));
    }
}
