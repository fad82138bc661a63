package io.llmpipe.retrieval.service;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.llmpipe.retrieval.hnsw.HnswParameters;
import io.llmpipe.retrieval.hnsw.Similarity;
import io.llmpipe.retrieval.store.Collection;
import io.llmpipe.retrieval.store.CollectionConfig;
import io.llmpipe.retrieval.store.Document;
import io.llmpipe.retrieval.store.MetadataFilter;
import io.llmpipe.retrieval.store.PreparedDocument;
import io.llmpipe.retrieval.store.Retriever;
import io.llmpipe.service.ApiException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Collections, their documents and search: the API in docs/RETRIEVAL.md. */
@Path("/v1/collections")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.WILDCARD)
public class CollectionsResource {
    /** Documents per upsert request: bounds one request's embedding work and log record. */
    static final int MAX_BATCH = 256;

    @Inject
    Retrieval retrieval;

    @Inject
    MeterRegistry registry;

    public record CollectionInfo(String object, String name, String similarity,
                                 @JsonProperty("embedding_model") String embeddingModel, int dimension,
                                 @JsonProperty("passage_tokens") int passageTokens, int documents, int chunks) {
        static CollectionInfo of(Collection c) {
            CollectionConfig k = c.config();
            return new CollectionInfo("collection", k.name(), k.similarity().wireName(), k.embeddingModel(), k.dimension(),
                    k.passageTokens(), c.documentCount(), c.passageCount());
        }
    }

    public record CollectionList(String object, List<CollectionInfo> data) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Deleted(String name, String id, boolean deleted) {
    }

    public record Upserted(int upserted, int chunks) {
    }

    public record BulkDeleted(int deleted) {
    }

    public record StoredDocument(String id, String text, Map<String, Object> metadata, int chunks) {
    }

    public record Hit(String id, @JsonProperty("document_id") String documentId, int chunk, double score, String text,
                      Map<String, Object> metadata) {
    }

    public record SearchResults(String object, boolean reranked, List<Hit> data) {
    }

    @POST
    public Response create(String body) throws IOException {
        JsonNode req = JsonBody.parse(body);
        String name = JsonBody.requiredText(req, "name", "name");
        try {
            CollectionConfig.checkName(name);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("name", e.getMessage());
        }
        String similarityName = JsonBody.optionalText(req, "similarity", "similarity");
        Similarity similarity;
        try {
            similarity = similarityName == null ? Similarity.COSINE : Similarity.fromWireName(similarityName);
        } catch (IllegalArgumentException e) {
            throw ApiException.unprocessable("similarity", "'similarity' must be cosine, dot or l2 (euclidean), got '" + similarityName + "'.");
        }
        var embedder = retrieval.embedder();
        int passageTokens = JsonBody.optionalInt(req, "passage_tokens", Math.min(retrieval.settings().passageTokens(),
                embedder.maxTokens()), 16, embedder.maxTokens());
        HnswParameters hnsw = new HnswParameters(JsonBody.optionalInt(req, "m", HnswParameters.DEFAULT.m(), 4, 128),
                JsonBody.optionalInt(req, "ef_construction", HnswParameters.DEFAULT.efConstruction(), 10, 2000),
                HnswParameters.DEFAULT.seed());
        CollectionConfig config = new CollectionConfig(name, similarity, embedder.name(), embedder.fingerprint(),
                embedder.dimension(), hnsw, passageTokens);
        try {
            return Response.status(201).entity(CollectionInfo.of(retrieval.store().create(config))).build();
        } catch (IllegalStateException e) {
            throw new ApiException(409, "collection_exists", "name", "Collection '" + name + "' already exists.");
        }
    }

    @GET
    public CollectionList list() {
        return new CollectionList("list", retrieval.store().list().stream().map(CollectionInfo::of).toList());
    }

    @GET
    @Path("{name}")
    public CollectionInfo get(@PathParam("name") String name) {
        return CollectionInfo.of(collection(name));
    }

    @DELETE
    @Path("{name}")
    public Deleted delete(@PathParam("name") String name) throws IOException {
        if (!retrieval.store().delete(name)) {
            throw notFound(name);
        }
        return new Deleted(name, null, true);
    }

    @POST
    @Path("{name}/documents")
    public Upserted upsert(@PathParam("name") String name, String body) throws IOException {
        Collection c = writable(name);
        JsonNode req = JsonBody.parse(body);
        JsonNode docs = JsonBody.requiredArray(req, "documents", "an array of {id, text, metadata} objects");
        if (docs.isEmpty() || docs.size() > MAX_BATCH) {
            throw ApiException.unprocessable("documents", "'documents' must hold 1 to " + MAX_BATCH + " documents, got " + docs.size() + ".");
        }
        List<Document> parsed = new ArrayList<>(docs.size());
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (int i = 0; i < docs.size(); i++) {
            String param = "documents[" + i + "]";
            JsonNode d = docs.get(i);
            if (!d.isObject()) {
                throw ApiException.invalid(param, "'" + param + "' must be an object with id, text and metadata.");
            }
            String id = JsonBody.requiredText(d, "id", param + ".id");
            String text = JsonBody.requiredText(d, "text", param + ".text");
            Map<String, Object> metadata = JsonBody.optionalObject(d, "metadata", param + ".metadata");
            if (!ids.add(id)) {
                throw ApiException.invalid(param + ".id", "Document id '" + id + "' appears twice in one request.");
            }
            try {
                parsed.add(new Document(id, text, metadata));
            } catch (IllegalArgumentException e) {
                throw ApiException.invalid(param, e.getMessage());
            }
        }
        Timer.Sample sample = Timer.start(registry);
        List<PreparedDocument> prepared = retrieval.documents().prepare(parsed, c.config().passageTokens());
        Collection.UpsertResult result = c.upsert(prepared);
        sample.stop(registry.timer("llmpipe.retrieval.upsert", "collection", name));
        registry.counter("llmpipe.retrieval.documents.upserted").increment(result.documents());
        return new Upserted(result.documents(), result.passages());
    }

    @GET
    @Path("{name}/documents/{id}")
    public StoredDocument document(@PathParam("name") String name, @PathParam("id") String id) {
        Collection.StoredDocument d = collection(name).document(id).orElseThrow(() -> documentNotFound(name, id));
        return new StoredDocument(id, d.document().text(), d.document().metadata(), d.ordinals().length);
    }

    @DELETE
    @Path("{name}/documents/{id}")
    public Deleted deleteDocument(@PathParam("name") String name, @PathParam("id") String id) throws IOException {
        if (collection(name).delete(List.of(id)) == 0) {
            throw documentNotFound(name, id);
        }
        return new Deleted(null, id, true);
    }

    @POST
    @Path("{name}/documents/delete")
    public BulkDeleted deleteDocuments(@PathParam("name") String name, String body) throws IOException {
        Collection c = collection(name);
        JsonNode req = JsonBody.parse(body);
        JsonNode ids = JsonBody.requiredArray(req, "ids", "an array of document ids");
        List<String> list = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            if (!ids.get(i).isTextual()) {
                throw ApiException.invalid("ids[" + i + "]", "'ids[" + i + "]' must be a string.");
            }
            list.add(ids.get(i).asText());
        }
        return new BulkDeleted(c.delete(list));
    }

    @POST
    @Path("{name}/search")
    public SearchResults search(@PathParam("name") String name, String body) {
        Collection c = collection(name);
        JsonNode req = JsonBody.parse(body);
        String query = JsonBody.optionalText(req, "query", "query");
        float[] vector = JsonBody.optionalVector(req, "vector");
        if ((query == null || query.isBlank()) && vector == null) {
            throw ApiException.invalid("query", "Give 'query' (text) or 'vector' (numbers), or both.");
        }
        if (vector != null && vector.length != c.config().dimension()) {
            throw ApiException.unprocessable("vector", "Collection '" + name + "' holds vectors of " + c.config().dimension()
                    + " dimensions; 'vector' has " + vector.length + ".");
        }
        if (vector == null && !retrieval.embeddedHere(c)) {
            throw embeddingMismatch(c);
        }
        int k = JsonBody.optionalInt(req, "k", 10, 1, 100);
        int ef = JsonBody.optionalInt(req, "ef", Math.max(k, 100), 1, 10_000);
        boolean rerank = JsonBody.optionalBoolean(req, "rerank", false);
        if (rerank && (query == null || query.isBlank())) {
            throw ApiException.invalid("rerank", "Reranking reads the query text: give 'query' too.");
        }
        MetadataFilter filter;
        try {
            filter = MetadataFilter.of(JsonBody.optionalObject(req, "filter", "filter"));
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("filter", e.getMessage());
        }
        Timer.Sample sample = Timer.start(registry);
        List<Retriever.Result> results = retrieval.retriever().search(c, new Retriever.Query(query, vector, k, ef, filter, rerank));
        sample.stop(registry.timer("llmpipe.retrieval.search", "rerank", String.valueOf(rerank)));
        List<Hit> hits = results.stream().map(r -> new Hit(r.passage().id(), r.passage().documentId(), r.passage().index(),
                r.score(), r.passage().text(), r.metadata())).toList();
        return new SearchResults("list", rerank, hits);
    }

    private Collection collection(String name) {
        return retrieval.store().get(name).orElseThrow(() -> notFound(name));
    }

    private Collection writable(String name) {
        Collection c = collection(name);
        if (!retrieval.embeddedHere(c)) {
            throw embeddingMismatch(c);
        }
        return c;
    }

    private ApiException embeddingMismatch(Collection c) {
        return new ApiException(409, "embedding_model_mismatch", null, "Collection '" + c.config().name()
                + "' was embedded with " + c.config().embeddingFingerprint() + "; this service runs "
                + retrieval.embedder().fingerprint() + ". Search it by vector, or serve it with its model.");
    }

    static ApiException notFound(String name) {
        return new ApiException(404, "collection_not_found", null, "Collection '" + name + "' does not exist.");
    }

    private static ApiException documentNotFound(String name, String id) {
        return new ApiException(404, "document_not_found", null, "Collection '" + name + "' has no document '" + id + "'.");
    }
}
