package io.llmpipe.gateway;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** {@code GET /v1/models}: the one model this pipeline serves, in OpenAI's list shape. */
@Path("/v1/models")
public class ModelsResource {

    /** OpenAI's {@code created} is a Unix time in seconds; we report when this gateway started. */
    private final long created = Instant.now().getEpochSecond();

    @ConfigProperty(name = "llmpipe.model.id")
    String modelId;

    @GET
    public ModelList list() {
        return new ModelList("list", List.of(new ModelList.Model(modelId, "model", created, "llmpipe")));
    }
}
