package io.llmpipe.gateway;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasSize;

import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

@QuarkusTest
class ModelsResourceTest {

    @Test
    void listsTheConfiguredModelInOpenAiShape() {
        given().when().get("/v1/models").then()
                .statusCode(200)
                .contentType("application/json")
                .body("object", equalTo("list"))
                .body("data", hasSize(1))
                .body("data[0].id", equalTo("stories260K"))
                .body("data[0].object", equalTo("model"))
                .body("data[0].created", greaterThan(1_700_000_000))
                .body("data[0].owned_by", equalTo("llmpipe"));
    }
}
