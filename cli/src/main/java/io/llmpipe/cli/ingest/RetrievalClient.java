package io.llmpipe.cli.ingest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The collection and document calls of the retrieval-service's HTTP API (docs/RETRIEVAL.md) that ingest needs.
 * Errors come back as OpenAI error JSON and are turned into {@link DocumentSink.Refused} (4xx) or
 * {@link DocumentSink.Unavailable} (5xx, 429, I/O). Thread-safe.
 */
public final class RetrievalClient implements DocumentSink {

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** Collection calls answer at once. */
    private static final Duration COLLECTION_TIMEOUT = Duration.ofSeconds(30);
    /** An upsert answers once its documents are embedded and durable: 256 long documents on a CPU take a while. */
    private static final Duration UPSERT_TIMEOUT = Duration.ofMinutes(10);
    /** A non-JSON error body is quoted up to this length. */
    private static final int MAX_QUOTED_BODY = 200;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Nothing at the URL answers like a retrieval-service. */
    public static final class NoService extends Exception {
        public NoService(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final URI base;
    private final String collectionPath;
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(CONNECT_TIMEOUT)
            .build();

    /** {@code baseUrl} like {@code http://127.0.0.1:8083}; the collection's name is percent-encoded into paths. */
    public RetrievalClient(String baseUrl, String collection) {
        this.base = URI.create(baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl);
        this.collectionPath = "/v1/collections/" + URLEncoder.encode(collection, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** The collection ({@code {"object":"collection","name","similarity",...}}), or empty when it does not exist. */
    public Optional<JsonNode> collection() throws NoService, Refused, Unavailable {
        HttpResponse<String> response;
        try {
            response = send(HttpRequest.newBuilder(base.resolve(collectionPath)).timeout(COLLECTION_TIMEOUT).GET().build());
        } catch (java.net.ConnectException e) {
            throw new NoService("no retrieval-service at " + base + " (start it with ./pipeline up)", e);
        } catch (IOException e) { // something answers, but not like HTTP: say what
            throw new NoService("no retrieval-service at " + base + " (start it with ./pipeline up): " + describe(e), e);
        }
        if (response.statusCode() == 200) {
            return Optional.of(body(response));
        }
        JsonNode error = errorOf(response.body());
        if (response.statusCode() == 404) {
            // Only the retrieval-service says collection_not_found; another server's 404 means the URL is wrong.
            if ("collection_not_found".equals(error.path("code").asText(null))) {
                return Optional.empty();
            }
            throw new NoService("no retrieval-service at " + base + " (start it with ./pipeline up): "
                    + "GET " + collectionPath + " answered HTTP 404 " + messageOf(error, response.body()), null);
        }
        throwFailure(response, error);
        throw new AssertionError("unreachable");
    }

    /** Creates the collection; {@code similarity} null for the service's default. Returns the collection. */
    public JsonNode createCollection(String name, String similarity) throws Refused, Unavailable, NoService {
        ObjectNode body = JSON.createObjectNode().put("name", name);
        if (similarity != null) {
            body.put("similarity", similarity);
        }
        HttpResponse<String> response = post("/v1/collections", body, COLLECTION_TIMEOUT);
        if (response.statusCode() == 200 || response.statusCode() == 201) {
            return body(response);
        }
        JsonNode error = errorOf(response.body());
        if (response.statusCode() == 409) { // created by someone else since we looked: use theirs
            Optional<JsonNode> existing = collection();
            if (existing.isPresent()) {
                return existing.get();
            }
        }
        throwFailure(response, error);
        throw new AssertionError("unreachable");
    }

    @Override
    public Upserted upsert(List<IngestDocument> documents) throws Refused, Unavailable {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode array = body.putArray("documents");
        documents.forEach(d -> array.add(d.toJson()));
        HttpResponse<String> response = post(collectionPath + "/documents", body, UPSERT_TIMEOUT);
        if (response.statusCode() == 200 || response.statusCode() == 201) {
            JsonNode answer = body(response);
            return new Upserted(answer.path("upserted").asLong(documents.size()), answer.path("chunks").asLong());
        }
        throwFailure(response, errorOf(response.body()));
        throw new AssertionError("unreachable");
    }

    public URI baseUrl() {
        return base;
    }

    private HttpResponse<String> post(String path, JsonNode body, Duration timeout) throws Unavailable {
        try {
            return send(HttpRequest.newBuilder(base.resolve(path)).timeout(timeout)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body), StandardCharsets.UTF_8))
                    .build());
        } catch (IOException e) {
            throw new Unavailable("retrieval-service at " + base + " not reachable: " + describe(e), e);
        }
    }

    private HttpResponse<String> send(HttpRequest request) throws IOException {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** Always throws: {@link Refused} for a 4xx other than 429 (it will not change on retry), else {@link Unavailable}. */
    private static void throwFailure(HttpResponse<String> response, JsonNode error) throws Refused, Unavailable {
        int status = response.statusCode();
        String message = messageOf(error, response.body());
        if (status >= 400 && status < 500 && status != 429) {
            throw new Refused(status, message, error.path("code").asText(null), error.path("param").asText(null));
        }
        throw new Unavailable("retrieval-service answered HTTP " + status + ": " + message, null);
    }

    private static JsonNode body(HttpResponse<String> response) throws Unavailable {
        try {
            return JSON.readTree(response.body());
        } catch (JsonProcessingException e) {
            throw new Unavailable("retrieval-service answered HTTP " + response.statusCode() + " with a body that is not JSON", e);
        }
    }

    /** The {@code error} object of OpenAI's error JSON, or a missing node when the body is something else. */
    private static JsonNode errorOf(String body) {
        try {
            return JSON.readTree(body).path("error");
        } catch (JsonProcessingException | IllegalArgumentException e) {
            return JSON.missingNode();
        }
    }

    private static String messageOf(JsonNode error, String body) {
        String message = error.path("message").asText(null);
        if (message != null) {
            return message;
        }
        String quoted = body == null ? "" : body.strip();
        return quoted.isEmpty() ? "(no body)"
                : quoted.length() <= MAX_QUOTED_BODY ? quoted : quoted.substring(0, MAX_QUOTED_BODY) + "...";
    }

    private static String describe(IOException e) {
        String name = e.getClass().getSimpleName();
        return e.getMessage() == null ? name : name + ": " + e.getMessage();
    }
}
