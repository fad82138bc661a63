package io.llmpipe.retrieval.service;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.greaterThan;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The HTTP API over real all-MiniLM-L6-v2 embeddings and durable collections (under target/): collections,
 * documents (long ones chunked), search by text and vector with filters and reranking, OpenAI embeddings,
 * and OpenAI-shaped 4xx errors for bad input.
 */
@QuarkusTest
class RetrievalApiTest {
    private static final List<Map<String, Object>> DOCUMENTS = List.of(
            Map.of("id", "scurvy", "text", "Scurvy is a disease caused by a lack of vitamin C. Sailors on long voyages suffered from"
                    + " it until citrus fruit was carried on board.", "metadata", Map.of("topic", "medicine", "year", 1753)),
            Map.of("id", "insulin", "text", "Insulin is a hormone made by the pancreas that lets cells take up glucose.",
                    "metadata", Map.of("topic", "medicine", "year", 1921)),
            Map.of("id", "everest", "text", "Mount Everest is the highest mountain above sea level, in the Himalayas.",
                    "metadata", Map.of("topic", "geography", "title", "Mount Everest")),
            Map.of("id", "river", "text", "The river flows north through the plain. ".repeat(40) + "At its mouth lies a delta rich in birds.",
                    "metadata", Map.of("topic", "geography")));

    private static String fresh(String prefix) {
        return prefix + "-" + Long.toString(System.nanoTime(), 36);
    }

    private static String create(String name) {
        given().contentType(ContentType.JSON).body(Map.of("name", name)).post("/v1/collections")
                .then().statusCode(201).body("name", equalTo(name)).body("dimension", equalTo(384))
                .body("similarity", equalTo("cosine")).body("documents", equalTo(0));
        return name;
    }

    private static void upsertAll(String name) {
        given().contentType(ContentType.JSON).body(Map.of("documents", DOCUMENTS)).post("/v1/collections/" + name + "/documents")
                .then().statusCode(200).body("upserted", equalTo(4)).body("chunks", greaterThan(4));
    }

    @Test
    void collectionsAreCreatedListedAndDeleted() {
        String name = create(fresh("life"));
        given().contentType(ContentType.JSON).body(Map.of("name", name)).post("/v1/collections")
                .then().statusCode(409).body("error.code", equalTo("collection_exists"));
        given().get("/v1/collections").then().statusCode(200).body("object", equalTo("list")).body("data.name", hasItem(name));
        given().get("/v1/collections/" + name).then().statusCode(200).body("embedding_model", equalTo("all-MiniLM-L6-v2"));
        given().delete("/v1/collections/" + name).then().statusCode(200).body("deleted", equalTo(true));
        given().get("/v1/collections/" + name).then().statusCode(404).body("error.code", equalTo("collection_not_found"))
                .body("error.type", equalTo("invalid_request_error"));
        given().delete("/v1/collections/" + name).then().statusCode(404);
    }

    @Test
    void documentsAreChunkedSearchedFilteredRerankedAndDeleted() {
        String name = create(fresh("docs"));
        upsertAll(name);
        given().get("/v1/collections/" + name + "/documents/river").then().statusCode(200)
                .body("chunks", greaterThan(1)).body("metadata.topic", equalTo("geography"));
        given().get("/v1/collections/" + name).then().body("documents", equalTo(4));

        given().contentType(ContentType.JSON).body(Map.of("query", "which illness comes from too little vitamin C?", "k", 2))
                .post("/v1/collections/" + name + "/search").then().statusCode(200)
                .body("reranked", equalTo(false)).body("data", hasSize(2))
                .body("data[0].document_id", equalTo("scurvy")).body("data[0].id", equalTo("scurvy#0"))
                .body("data[0].metadata.year", equalTo(1753)).body("data[0].text", containsString("vitamin C"));
        given().contentType(ContentType.JSON).body(Map.of("query", "vitamin C deficiency disease", "k", 3, "rerank", true))
                .post("/v1/collections/" + name + "/search").then().statusCode(200)
                .body("reranked", equalTo(true)).body("data[0].document_id", equalTo("scurvy"));
        given().contentType(ContentType.JSON).body(Map.of("query", "vitamin C", "k", 10, "filter", Map.of("topic", "geography")))
                .post("/v1/collections/" + name + "/search").then().statusCode(200)
                .body("data.metadata.topic", everyItem(equalTo("geography")));
        given().contentType(ContentType.JSON).body(Map.of("query", "a hormone", "filter", Map.of("year", Map.of("$in", List.of(1921, 1999)))))
                .post("/v1/collections/" + name + "/search").then().statusCode(200)
                .body("data.document_id", equalTo(List.of("insulin")));

        List<Float> vector = given().contentType(ContentType.JSON).body(Map.of("input", "the tallest peak on earth"))
                .post("/v1/embeddings").then().statusCode(200).extract().path("data[0].embedding");
        given().contentType(ContentType.JSON).body(Map.of("vector", vector, "k", 1)).post("/v1/collections/" + name + "/search")
                .then().statusCode(200).body("data[0].document_id", equalTo("everest"));

        // an upsert replaces; deletes one by one and in bulk
        given().contentType(ContentType.JSON).body(Map.of("documents", List.of(Map.of("id", "insulin", "text", "Replaced text about glaciers."))))
                .post("/v1/collections/" + name + "/documents").then().statusCode(200).body("chunks", equalTo(1));
        given().get("/v1/collections/" + name + "/documents/insulin").then().body("text", equalTo("Replaced text about glaciers."));
        given().delete("/v1/collections/" + name + "/documents/scurvy").then().statusCode(200).body("deleted", equalTo(true));
        given().delete("/v1/collections/" + name + "/documents/scurvy").then().statusCode(404).body("error.code", equalTo("document_not_found"));
        given().contentType(ContentType.JSON).body(Map.of("ids", List.of("river", "nope"))).post("/v1/collections/" + name + "/documents/delete")
                .then().statusCode(200).body("deleted", equalTo(1));
        given().contentType(ContentType.JSON).body(Map.of("query", "vitamin C", "k", 10)).post("/v1/collections/" + name + "/search")
                .then().statusCode(200).body("data.document_id", containsInAnyOrder("everest", "insulin"));
    }

    @Test
    void embeddingsAreOpenAiShaped() {
        given().contentType(ContentType.JSON).body(Map.of("input", List.of("a cat", "a dog"), "model", "all-MiniLM-L6-v2"))
                .post("/v1/embeddings").then().statusCode(200)
                .body("object", equalTo("list")).body("data", hasSize(2)).body("data[1].index", equalTo(1))
                .body("data[0].object", equalTo("embedding")).body("data[0].embedding", hasSize(384))
                .body("usage.prompt_tokens", equalTo(8)).body("model", equalTo("all-MiniLM-L6-v2"));
        List<Float> floats = given().contentType(ContentType.JSON).body(Map.of("input", "a cat")).post("/v1/embeddings")
                .then().extract().path("data[0].embedding");
        String base64 = given().contentType(ContentType.JSON).body(Map.of("input", "a cat", "encoding_format", "base64"))
                .post("/v1/embeddings").then().statusCode(200).extract().path("data[0].embedding");
        ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(base64)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(384 * 4, bytes.remaining());
        double norm = 0;
        for (int i = 0; i < 384; i++) {
            float x = bytes.getFloat();
            assertEquals(floats.get(i), x, 1e-6);
            norm += x * x;
        }
        assertEquals(1.0, norm, 1e-4);
    }

    @Test
    void badInputGetsClearOpenAiErrors() {
        String name = create(fresh("bad"));
        record Case(String path, String body, int status, String param) {
        }
        List<Case> cases = List.of(
                new Case("/v1/collections", "{not json", 400, null),
                new Case("/v1/collections", "[]", 400, null),
                new Case("/v1/collections", "{\"name\":\"../etc\"}", 400, "name"),
                new Case("/v1/collections", "{\"name\":\"ok\",\"similarity\":\"hamming\"}", 422, "similarity"),
                new Case("/v1/collections/" + name + "/documents", "{\"documents\":{}}", 400, "documents"),
                new Case("/v1/collections/" + name + "/documents", "{\"documents\":[]}", 422, "documents"),
                new Case("/v1/collections/" + name + "/documents", "{\"documents\":[{\"text\":\"x\"}]}", 400, "documents[0].id"),
                new Case("/v1/collections/" + name + "/documents", "{\"documents\":[{\"id\":\"a\",\"text\":\"  \"}]}", 400, "documents[0]"),
                new Case("/v1/collections/" + name + "/documents", "{\"documents\":[{\"id\":\"a\",\"text\":\"x\",\"metadata\":{\"n\":{\"deep\":1}}}]}", 400, "documents[0]"),
                new Case("/v1/collections/" + name + "/documents", "{\"documents\":[{\"id\":\"a\",\"text\":\"x\"},{\"id\":\"a\",\"text\":\"y\"}]}", 400, "documents[1].id"),
                new Case("/v1/collections/" + name + "/search", "{}", 400, "query"),
                new Case("/v1/collections/" + name + "/search", "{\"query\":\"x\",\"k\":0}", 422, "k"),
                new Case("/v1/collections/" + name + "/search", "{\"query\":\"x\",\"k\":\"3\"}", 400, "k"),
                new Case("/v1/collections/" + name + "/search", "{\"vector\":[1,2,3]}", 422, "vector"),
                new Case("/v1/collections/" + name + "/search", "{\"vector\":[1,\"a\"]}", 400, "vector"),
                new Case("/v1/collections/" + name + "/search", "{\"query\":\"x\",\"filter\":{\"a\":{\"$gt\":1}}}", 400, "filter"),
                new Case("/v1/collections/" + name + "/search", "{\"query\":\"x\",\"rerank\":\"yes\"}", 400, "rerank"),
                new Case("/v1/collections/missing/search", "{\"query\":\"x\"}", 404, null),
                new Case("/v1/embeddings", "{}", 400, "input"),
                new Case("/v1/embeddings", "{\"input\":[1,2,3]}", 400, "input"),
                new Case("/v1/embeddings", "{\"input\":\"\"}", 400, "input"),
                new Case("/v1/embeddings", "{\"input\":\"x\",\"model\":\"gpt-5\"}", 404, "model"),
                new Case("/v1/embeddings", "{\"input\":\"x\",\"encoding_format\":\"int8\"}", 422, "encoding_format"));
        for (Case c : cases) {
            var response = given().contentType(ContentType.JSON).body(c.body()).post(c.path()).then()
                    .statusCode(c.status()).body("error.message", containsString(""));
            if (c.param() != null) {
                response.body("error.param", equalTo(c.param()));
            }
        }
        given().get("/v1/collections/" + name).then().body("documents", equalTo(0)); // nothing half-written
        given().get("/v1/nothing-here").then().statusCode(404).body("error.code", equalTo("unknown_url"));
    }

    @Test
    void similaritiesOtherThanCosineWork() {
        String name = fresh("l2");
        given().contentType(ContentType.JSON).body(Map.of("name", name, "similarity", "euclidean", "passage_tokens", 64))
                .post("/v1/collections").then().statusCode(201).body("similarity", equalTo("l2")).body("passage_tokens", equalTo(64));
        upsertAll(name);
        given().contentType(ContentType.JSON).body(Map.of("query", "highest mountain", "k", 1)).post("/v1/collections/" + name + "/search")
                .then().statusCode(200).body("data[0].document_id", equalTo("everest")).body("data[0].score", greaterThan(0.3f));
    }
}
