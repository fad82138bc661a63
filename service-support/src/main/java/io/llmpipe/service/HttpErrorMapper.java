package io.llmpipe.service;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Request;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import java.util.Locale;

/**
 * Renders JAX-RS HTTP errors (unknown path, wrong method, unsupported media type, ...) as
 * {@link OpenAiError}, keeping the status. Every 404 reads as an unknown path (OpenAI's
 * {@code unknown_url}); a resource reporting a missing thing (e.g. a model) should use its own
 * exception and mapper rather than {@code NotFoundException}.
 */
@Provider
public class HttpErrorMapper implements ExceptionMapper<WebApplicationException> {

    @Context
    UriInfo uriInfo;

    @Context
    Request request;

    @Override
    public Response toResponse(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        Response.StatusType statusType = e.getResponse().getStatusInfo();
        OpenAiError body = status == 404
                ? OpenAiError.of(status, "Unknown request URL: " + request.getMethod() + " "
                        + uriInfo.getRequestUri().getRawPath() + ".", "unknown_url")
                : OpenAiError.of(status, e.getMessage(), snakeCase(statusType.getReasonPhrase()));
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(body).build();
    }

    private static String snakeCase(String reasonPhrase) {
        return reasonPhrase.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_");
    }
}
