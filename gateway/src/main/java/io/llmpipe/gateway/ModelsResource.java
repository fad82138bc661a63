package io.llmpipe.gateway;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import java.time.Instant;
import java.util.List;
import io.llmpipe.service.ModelHolder;
import jakarta.inject.Inject;

/** {@code GET /v1/models}: the one model this pipeline serves, in OpenAI's list shape. */
@Path("/v1/models")
public class ModelsResource {

    /** OpenAI's {@code created} is a Unix time in seconds; we report when this gateway started. */
    private final long created = Instant.now().getEpochSecond();

    @Inject
    ModelHolder holder;

    @GET
    public ModelList list() {
        return new ModelList("list", List.of(new ModelList.Model(holder.id(), "model", created, "llmpipe")));
    }
}
