package io.llmpipe.service;

import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * Liveness and readiness at the MicroProfile Health paths ({@code /q/health}, {@code /live},
 * {@code /ready}) and in its JSON shape, shared by every service. It stands in for
 * quarkus-smallrye-health, which the reachable Maven mirror lacks at 3.38.1: delete it when that
 * extension is added, since it serves the same paths. Readiness is the conjunction of the
 * service's {@link ReadinessCheck} beans; DOWN answers 503, as Kubernetes probes expect.
 */
@Path("/q/health")
public class HealthResource {

    /** MicroProfile Health's response body. */
    public record Health(String status, List<Check> checks) {
    }

    /** One named check. */
    public record Check(String name, String status) {
    }

    @Inject
    Instance<ReadinessCheck> readinessChecks;

    @GET
    public Response health() {
        return ready();
    }

    @GET
    @Path("live")
    public Health live() {
        return new Health("UP", List.of());
    }

    @GET
    @Path("ready")
    public Response ready() {
        List<Check> checks = new ArrayList<>();
        boolean up = true;
        for (ReadinessCheck c : readinessChecks) {
            boolean ok = c.isUp();
            up &= ok;
            checks.add(new Check(c.name(), ok ? "UP" : "DOWN"));
        }
        Health body = new Health(up ? "UP" : "DOWN", checks);
        return Response.status(up ? 200 : 503).entity(body).build();
    }
}
