package io.llmpipe.cli.ingest;

import java.util.List;

/**
 * Where ingested documents go: a collection of the retrieval-service ({@link RetrievalClient}). Called from one thread.
 */
public interface DocumentSink {

    /** The service's answer to an upsert. */
    record Upserted(long upserted, long chunks) {
    }

    /**
     * Upserts the documents (at most 256), returning once they are durable.
     *
     * @throws Refused     the service refused the request (4xx): retrying it unchanged cannot succeed
     * @throws Unavailable the service failed (5xx, 429) or could not be reached: the same request may succeed later
     */
    Upserted upsert(List<IngestDocument> documents) throws Refused, Unavailable;

    /** A 4xx answer, with the OpenAI error's message and param. */
    final class Refused extends Exception {
        private final int status;
        private final String param;
        private final String code;

        public Refused(int status, String message, String code, String param) {
            super(message);
            this.status = status;
            this.code = code;
            this.param = param;
        }

        public int status() {
            return status;
        }

        /** The OpenAI error code ({@code collection_not_found}, ...), or null. */
        public String code() {
            return code;
        }

        /** The request field the error is about, or null. */
        public String param() {
            return param;
        }

        /** The refusal as a bad-line reason: message, and the field when the service named one. */
        public String reason() {
            return "refused by the service (HTTP " + status + "): " + getMessage() + (param != null ? " [" + param + "]" : "");
        }
    }

    /** The service failed or could not be reached; the message says which. */
    final class Unavailable extends Exception {
        public Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
