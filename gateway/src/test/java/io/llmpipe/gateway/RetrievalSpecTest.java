package io.llmpipe.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmpipe.service.ApiException;
import org.junit.jupiter.api.Test;

class RetrievalSpecTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static RetrievalSpec parse(String field) throws Exception {
        return RetrievalSpec.parse(JSON.readTree("{\"retrieval\":" + field + "}").get("retrieval"));
    }

    @Test
    void absentOrNullMeansNoRetrieval() throws Exception {
        assertNull(RetrievalSpec.parse(null));
        assertNull(parse("null"));
    }

    @Test
    void shortFormNamesTheCollectionWithDefaults() throws Exception {
        RetrievalSpec spec = parse("\"docs\"");
        assertEquals("docs", spec.collection());
        assertEquals(RetrievalSpec.DEFAULT_K, spec.k());
        assertFalse(spec.rerank());
        assertNull(spec.filter());
    }

    @Test
    void objectFormCarriesKRerankAndFilter() throws Exception {
        RetrievalSpec spec = parse("{\"collection\":\"sci-fact_v2.1\",\"k\":20,\"rerank\":true,\"filter\":{\"lang\":\"en\",\"year\":{\"$in\":[2019]}}}");
        assertEquals("sci-fact_v2.1", spec.collection());
        assertEquals(20, spec.k());
        assertTrue(spec.rerank());
        assertEquals(JSON.readTree("{\"lang\":\"en\",\"year\":{\"$in\":[2019]}}"), spec.filter());
        assertEquals(RetrievalSpec.DEFAULT_K, parse("{\"collection\":\"docs\",\"k\":null,\"filter\":null}").k());
    }

    @Test
    void badFieldsAreRefusedNamingTheParameter() {
        record Case(String field, int status, String param) {
        }
        for (Case c : new Case[]{
                new Case("7", 400, "retrieval"),
                new Case("[\"docs\"]", 400, "retrieval"),
                new Case("\"\"", 422, "retrieval"),
                new Case("\"../admin\"", 422, "retrieval"),
                new Case("{}", 400, "retrieval.collection"),
                new Case("{\"collection\":3}", 400, "retrieval.collection"),
                new Case("{\"collection\":\"\"}", 422, "retrieval.collection"),
                new Case("{\"collection\":\"docs\",\"k\":0}", 422, "retrieval.k"),
                new Case("{\"collection\":\"docs\",\"k\":21}", 422, "retrieval.k"),
                new Case("{\"collection\":\"docs\",\"k\":99999999999}", 422, "retrieval.k"),
                new Case("{\"collection\":\"docs\",\"k\":2.5}", 400, "retrieval.k"),
                new Case("{\"collection\":\"docs\",\"rerank\":\"yes\"}", 400, "retrieval.rerank"),
                new Case("{\"collection\":\"docs\",\"filter\":[1]}", 400, "retrieval.filter"),
                new Case("{\"collection\":\"docs\",\"top_k\":3}", 400, "retrieval.top_k")}) {
            ApiException e = assertThrows(ApiException.class, () -> parse(c.field()), c.field());
            assertEquals(c.status(), e.status(), c.field());
            assertEquals(c.param(), e.param(), c.field());
        }
    }

    @Test
    void theFilterIsACopy() throws Exception {
        JsonNode field = JSON.readTree("{\"collection\":\"docs\",\"filter\":{\"lang\":\"en\"}}");
        RetrievalSpec spec = RetrievalSpec.parse(field);
        ((com.fasterxml.jackson.databind.node.ObjectNode) field.get("filter")).put("lang", "de");
        assertEquals("en", spec.filter().get("lang").asText());
    }
}
