package io.llmpipe.gateway;

import io.quarkus.logging.Log;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

/**
 * Any exception nothing else handled: logged with its stack trace, answered as a 500
 * {@link OpenAiError} without internal details.
 */
@Provider
public class UnhandledErrorMapper implements ExceptionMapper<Throwable> {

    @Override
    public Response toResponse(Throwable e) {
        Log.error("Unhandled error", e);
        return Response.serverError()
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(OpenAiError.of(500, "The server had an error while processing your request.", "internal_error"))
                .build();
    }
}
