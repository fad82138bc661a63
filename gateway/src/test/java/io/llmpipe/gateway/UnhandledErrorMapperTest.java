package io.llmpipe.gateway;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.containsString;

import io.quarkus.test.junit.QuarkusTest;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import org.junit.jupiter.api.Test;

@QuarkusTest
class UnhandledErrorMapperTest {

    /** A test-only endpoint that fails the way a bug would. */
    @Path("/test/boom")
    public static class BoomResource {
        @GET
        public String boom() {
            throw new IllegalStateException("secret internal detail");
        }
    }

    @Test
    void unhandledExceptionIsA500InOpenAiShape() {
        given().when().get("/test/boom").then()
                .statusCode(500)
                .contentType("application/json")
                .body("error.type", equalTo("server_error"))
                .body("error.code", equalTo("internal_error"))
                .body("error.message", not(containsString("secret")));
    }
}
