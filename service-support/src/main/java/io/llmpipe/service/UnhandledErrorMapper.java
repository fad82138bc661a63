package io.llmpipe.service;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import org.jboss.logging.Logger;

/**
 * Any exception nothing else handled: logged with its stack trace, answered as a 500
 * {@link OpenAiError} without internal details.
 */
@Provider
public class UnhandledErrorMapper implements ExceptionMapper<Throwable> {
    private static final Logger LOG = Logger.getLogger(UnhandledErrorMapper.class);

    @Override
    public Response toResponse(Throwable e) {
        LOG.error("Unhandled error", e);
        return Response.serverError()
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(OpenAiError.of(500, "The server had an error while processing your request.", "internal_error"))
                .build();
    }
}
