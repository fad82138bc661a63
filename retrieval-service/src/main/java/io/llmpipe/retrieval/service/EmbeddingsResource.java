package io.llmpipe.retrieval.service;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.llmpipe.retrieval.embed.Embedder;
import io.llmpipe.service.ApiException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** OpenAI's {@code POST /v1/embeddings} over the service's embedding model. */
@Path("/v1/embeddings")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.WILDCARD)
public class EmbeddingsResource {
    static final int MAX_INPUTS = 256;

    @Inject
    Retrieval retrieval;

    @Inject
    MeterRegistry registry;

    /** {@code embedding} is a float array, or a base64 string of little-endian float32 when asked for. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Item(String object, int index, Object embedding) {
    }

    public record Usage(@JsonProperty("prompt_tokens") int promptTokens, @JsonProperty("total_tokens") int totalTokens) {
    }

    public record Embeddings(String object, List<Item> data, String model, Usage usage) {
    }

    @POST
    public Embeddings embed(String body) {
        JsonNode req = JsonBody.parse(body);
        Embedder embedder = retrieval.embedder();
        String model = JsonBody.optionalText(req, "model", "model");
        if (model != null && !model.equalsIgnoreCase(embedder.name())) {
            throw new ApiException(404, "model_not_found", "model", "The model '" + model + "' does not exist; this service embeds with '"
                    + embedder.name() + "'.");
        }
        String format = JsonBody.optionalText(req, "encoding_format", "encoding_format");
        if (format != null && !format.equals("float") && !format.equals("base64")) {
            throw ApiException.unprocessable("encoding_format", "'encoding_format' must be float or base64, got '" + format + "'.");
        }
        JsonNode dimensions = req.get("dimensions");
        if (dimensions != null && !dimensions.isNull() && dimensions.asInt(-1) != embedder.dimension()) {
            throw ApiException.unprocessable("dimensions", "'" + embedder.name() + "' embeds in " + embedder.dimension()
                    + " dimensions and cannot shorten them.");
        }
        List<String> inputs = inputs(req.get("input"));
        Timer.Sample sample = Timer.start(registry);
        float[][] vectors = embedder.embed(inputs);
        sample.stop(registry.timer("llmpipe.retrieval.embed"));
        int tokens = 0;
        for (String s : inputs) {
            tokens += Math.min(embedder.countTokens(s), embedder.maxTokens());
        }
        List<Item> data = new ArrayList<>(vectors.length);
        for (int i = 0; i < vectors.length; i++) {
            data.add(new Item("embedding", i, "base64".equals(format) ? base64(vectors[i]) : vectors[i]));
        }
        return new Embeddings("list", data, embedder.name(), new Usage(tokens, tokens));
    }

    private static List<String> inputs(JsonNode input) {
        if (input == null || input.isNull()) {
            throw ApiException.invalid("input", "'input' is required: a string or an array of strings.");
        }
        List<String> out = new ArrayList<>();
        if (input.isTextual()) {
            out.add(input.asText());
        } else if (input.isArray()) {
            for (int i = 0; i < input.size(); i++) {
                JsonNode x = input.get(i);
                if (!x.isTextual()) {
                    throw ApiException.invalid("input", "'input[" + i + "]' must be a string (token arrays are not accepted).");
                }
                out.add(x.asText());
            }
        } else {
            throw ApiException.invalid("input", "'input' must be a string or an array of strings.");
        }
        if (out.isEmpty() || out.size() > MAX_INPUTS) {
            throw ApiException.unprocessable("input", "'input' must hold 1 to " + MAX_INPUTS + " strings, got " + out.size() + ".");
        }
        for (int i = 0; i < out.size(); i++) {
            if (out.get(i).isEmpty()) {
                throw ApiException.invalid("input", "'input[" + i + "]' is empty.");
            }
        }
        return out;
    }

    private static String base64(float[] v) {
        ByteBuffer bytes = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            bytes.putFloat(x);
        }
        return Base64.getEncoder().encodeToString(bytes.array());
    }
}
