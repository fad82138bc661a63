package io.llmpipe.gateway;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmpipe.service.ApiException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Searches a collection of the retrieval-service ({@code POST /v1/collections/{name}/search}) without
 * blocking: java.net.http's asynchronous client (Vert.x's WebClient is not on the gateway's
 * classpath). Failures come back as {@link ApiException}s to answer the client with: the
 * retrieval-service's own 4xx (404 {@code collection_not_found} above all) passed on, anything else
 * (unreachable, timeout, 5xx, an unreadable answer) a 503 {@code retrieval_unavailable}.
 * Thread-safe; the returned future completes on the HTTP client's threads.
 */
@ApplicationScoped
public class RetrievalClient {
    private static final Logger LOG = Logger.getLogger(RetrievalClient.class);
    static final String UNAVAILABLE = "retrieval_unavailable";

    @Inject
    ObjectMapper json;

    @Inject
    MeterRegistry meters;

    /** The retrieval-service's base URL. */
    @ConfigProperty(name = "llmpipe.retrieval.url", defaultValue = "http://127.0.0.1:8083")
    String baseUrl;

    /** How long a search may take, connecting included, before the request fails with 503. */
    @ConfigProperty(name = "llmpipe.gateway.retrieval.timeout", defaultValue = "PT10S")
    Duration timeout;

    private HttpClient http;

    @PostConstruct
    void init() {
        baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        URI.create(baseUrl); // a malformed URL fails the start, not every RAG request
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).build();
    }

    @PreDestroy
    void close() {
        http.close();
    }

    /** The passages {@code spec} asks for, best first, found with {@code query}. */
    public CompletableFuture<RetrievalResult> search(RetrievalSpec spec, String query) {
        ObjectNode body = json.createObjectNode().put("query", query).put("k", spec.k()).put("rerank", spec.rerank());
        if (spec.filter() != null) {
            body.set("filter", spec.filter());
        }
        // the collection name was checked against the service's name pattern: safe in a path as is
        URI uri = URI.create(baseUrl + "/v1/collections/" + spec.collection() + "/search");
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
        Timer.Sample sample = Timer.start(meters);
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .handle((response, failure) -> {
                    String outcome = "ok";
                    try {
                        if (failure != null) {
                            throw unreachable(failure);
                        }
                        return answer(spec.collection(), response);
                    } catch (ApiException e) {
                        outcome = e.code().equals(UNAVAILABLE) ? "unavailable" : "refused";
                        throw e;
                    } finally {
                        sample.stop(Timer.builder("llmpipe.gateway.retrieval")
                                .description("Searches of the retrieval-service for RAG, by outcome")
                                .tag("outcome", outcome).register(meters));
                    }
                });
    }

    private ApiException unreachable(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        String why = cause instanceof HttpTimeoutException || cause instanceof TimeoutException
                ? "did not answer within " + timeout.toMillis() + " ms"
                : "could not be reached (" + (cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName()) + ")";
        return unavailable(why);
    }

    /** A 503 for the client; the service's URL only in the log, since clients need not know the deployment. */
    private ApiException unavailable(String why) {
        LOG.warnf("retrieval-service %s %s", baseUrl, why);
        return new ApiException(503, UNAVAILABLE, null, "The retrieval-service " + why + "; retry later.");
    }

    private RetrievalResult answer(String collection, HttpResponse<String> response) {
        int status = response.statusCode();
        JsonNode body;
        try {
            body = json.readTree(response.body());
        } catch (JacksonException e) {
            body = null;
        }
        if (status >= 400 && status < 500) {
            JsonNode error = body == null ? null : body.path("error");
            String code = error == null ? null : error.path("code").asText(null);
            String message = error == null ? null : error.path("message").asText(null);
            if (status == 404 && "collection_not_found".equals(code)) {
                throw new ApiException(404, code, "retrieval.collection", message != null ? message
                        : "The collection '" + collection + "' does not exist.");
            }
            if (status != 404 && code != null && message != null) {
                // the search itself was refused (a filter the retrieval-service cannot use): the client's to fix
                String param = error.path("param").asText(null);
                throw new ApiException(status, code, param == null ? "retrieval" : "retrieval." + param,
                        "The retrieval-service refused the search: " + message);
            }
        }
        if (status != 200) {
            throw unavailable("answered the search with status " + status);
        }
        JsonNode data = body == null ? null : body.get("data");
        if (data == null || !data.isArray()) {
            throw unavailable("answered the search without 'data'");
        }
        List<Passage> passages = new ArrayList<>(data.size());
        for (JsonNode p : data) {
            JsonNode id = p.get("id"), documentId = p.get("document_id"), score = p.get("score"), text = p.get("text");
            if (id == null || !id.isTextual() || documentId == null || !documentId.isTextual() || score == null
                    || !score.isNumber() || text == null || !text.isTextual()) {
                throw unavailable("answered the search with a passage lacking id, document_id, score or text");
            }
            passages.add(new Passage(id.asText(), documentId.asText(), score.asDouble(), text.asText()));
        }
        return new RetrievalResult(collection, passages);
    }
}
