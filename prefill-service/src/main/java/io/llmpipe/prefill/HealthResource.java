package io.llmpipe.prefill;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import java.util.List;

/**
 * Liveness and readiness at the MicroProfile Health paths ({@code /q/health}, {@code /live},
 * {@code /ready}) and in its JSON shape, standing in for quarkus-smallrye-health, which the
 * reachable Maven mirror lacks at 3.38.1. Delete this class when that extension is added: it
 * serves the same paths.
 */
@Path("/q/health")
public class HealthResource {

    /** MicroProfile Health's response body; no individual checks yet. */
    public record Health(String status, List<Object> checks) {
    }

    private static final Health UP = new Health("UP", List.of());

    @GET
    public Health health() {
        return UP;
    }

    @GET
    @Path("live")
    public Health live() {
        return UP;
    }

    @GET
    @Path("ready")
    public Health ready() {
        return UP;
    }
}
