package io.llmpipe.gateway;

import io.llmpipe.service.OpenAiError;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmpipe.protocol.PrefillReport;
import io.vertx.core.http.HttpServerResponse;

/**
 * The two ways an OpenAI completion is answered: server-sent events ({@link Sse}) exactly as OpenAI
 * streams them, ending with {@code data: [DONE]}, or one JSON body ({@link Whole}). Called on the
 * HTTP connection's context only.
 */
final class ResponseSinks {
    private ResponseSinks() {
    }

    /**
     * The fields every response object of a request shares, and what goes on its first one.
     *
     * @param retrieval the passages in the prompt (extension {@code retrieval}), or null
     */
    record Envelope(String id, CompletionRequest.Kind kind, String model, long created, RetrievalResult retrieval) {
    }

    static void sendError(HttpServerResponse response, ObjectMapper json, int status, OpenAiError error) {
        if (response.ended() || response.closed()) {
            return;
        }
        response.setStatusCode(status).putHeader("Content-Type", "application/json").end(write(json, json.valueToTree(error)));
    }

    private static String write(ObjectMapper json, Object node) {
        try {
            return json.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The extension object on a response's last object: {@code "llmpipe":{"attention":"flexprefill","attention_density":0.44}}. */
    private static void addReport(ObjectMapper json, ObjectNode target, PrefillReport report) {
        if (report != null) {
            target.putObject("llmpipe").put("attention", report.attention()).put("attention_density", report.density());
        }
    }

    /** The extension object naming the passages in the prompt: {@code "retrieval":{"collection":"docs","passages":[{"id","document_id","score"}]}}. */
    private static void addRetrieval(ObjectMapper json, ObjectNode target, RetrievalResult retrieval) {
        if (retrieval == null) {
            return;
        }
        ObjectNode node = target.putObject("retrieval").put("collection", retrieval.collection());
        ArrayNode passages = node.putArray("passages");
        for (Passage p : retrieval.passages()) {
            passages.addObject().put("id", p.id()).put("document_id", p.documentId()).put("score", p.score());
        }
    }

    private static ObjectNode usage(ObjectMapper json, int prompt, int completion) {
        return json.createObjectNode().put("prompt_tokens", prompt).put("completion_tokens", completion)
                .put("total_tokens", prompt + completion);
    }

    /** {@code stream: true}: one SSE chunk per text piece, a final chunk with the finish reason, optional usage, [DONE]. */
    static final class Sse implements GenerationStream.Sink {
        private final HttpServerResponse response;
        private final ObjectMapper json;
        private final Envelope envelope;
        private final boolean includeUsage;
        private boolean started;
        private boolean sentFirst;
        private PrefillReport report;

        Sse(HttpServerResponse response, ObjectMapper json, Envelope envelope, boolean includeUsage) {
            this.response = response;
            this.json = json;
            this.envelope = envelope;
            this.includeUsage = includeUsage;
        }

        private boolean gone() {
            return response.ended() || response.closed();
        }

        private void start() {
            if (started) {
                return;
            }
            started = true;
            response.setStatusCode(200).setChunked(true)
                    .putHeader("Content-Type", "text/event-stream; charset=utf-8")
                    .putHeader("Cache-Control", "no-cache")
                    .putHeader("X-Accel-Buffering", "no");
            if (envelope.kind() == CompletionRequest.Kind.CHAT) {
                ObjectNode delta = json.createObjectNode().put("role", "assistant").put("content", "");
                send(chunk(choice(delta, null)));
            }
        }

        private ObjectNode chunk(ObjectNode choice) {
            ObjectNode c = json.createObjectNode();
            c.put("id", envelope.id());
            c.put("object", envelope.kind() == CompletionRequest.Kind.CHAT ? "chat.completion.chunk" : "text_completion");
            c.put("created", envelope.created());
            c.put("model", envelope.model());
            c.putNull("system_fingerprint");
            ArrayNode choices = c.putArray("choices");
            if (choice != null) {
                choices.add(choice);
            }
            if (includeUsage) {
                c.putNull("usage");
            }
            return c;
        }

        private ObjectNode choice(ObjectNode delta, String finishReason) {
            ObjectNode ch = json.createObjectNode();
            if (envelope.kind() == CompletionRequest.Kind.CHAT) {
                ch.put("index", 0);
                ch.set("delta", delta);
            } else {
                ch.put("text", delta.path("content").asText(""));
                ch.put("index", 0);
            }
            ch.putNull("logprobs");
            if (finishReason == null) {
                ch.putNull("finish_reason");
            } else {
                ch.put("finish_reason", finishReason);
            }
            return ch;
        }

        private void send(ObjectNode chunk) {
            if (!sentFirst) {
                sentFirst = true;
                addRetrieval(json, chunk, envelope.retrieval());
            }
            response.write("data: " + write(json, chunk) + "\n\n");
        }

        @Override
        public void text(String piece) {
            if (gone()) {
                return;
            }
            start();
            send(chunk(choice(json.createObjectNode().put("content", piece), null)));
        }

        @Override
        public void end(String finishReason, int promptTokens, int completionTokens) {
            if (gone()) {
                return;
            }
            start();
            ObjectNode last = chunk(choice(json.createObjectNode(), finishReason));
            addReport(json, last, report);
            send(last);
            if (includeUsage) {
                ObjectNode usageChunk = chunk(null);
                usageChunk.set("usage", usage(json, promptTokens, completionTokens));
                send(usageChunk);
            }
            response.end("data: [DONE]\n\n");
        }

        @Override
        public void fail(int status, String code, String message) {
            if (gone()) {
                return;
            }
            OpenAiError error = OpenAiError.of(status, message, code);
            if (!started) {
                sendError(response, json, status, error);
                return;
            }
            response.write("data: " + write(json, json.valueToTree(error)) + "\n\n");
            response.end("data: [DONE]\n\n");
        }

        @Override
        public void prefill(PrefillReport report) {
            this.report = report;
        }
    }

    /** {@code stream: false}: the whole completion in one JSON body. */
    static final class Whole implements GenerationStream.Sink {
        private final HttpServerResponse response;
        private final ObjectMapper json;
        private final Envelope envelope;
        private final StringBuilder text = new StringBuilder();
        private PrefillReport report;

        Whole(HttpServerResponse response, ObjectMapper json, Envelope envelope) {
            this.response = response;
            this.json = json;
            this.envelope = envelope;
        }

        @Override
        public void text(String piece) {
            text.append(piece);
        }

        @Override
        public void end(String finishReason, int promptTokens, int completionTokens) {
            if (response.ended() || response.closed()) {
                return;
            }
            ObjectNode body = json.createObjectNode();
            body.put("id", envelope.id());
            boolean chat = envelope.kind() == CompletionRequest.Kind.CHAT;
            body.put("object", chat ? "chat.completion" : "text_completion");
            body.put("created", envelope.created());
            body.put("model", envelope.model());
            body.putNull("system_fingerprint");
            ObjectNode choice = body.putArray("choices").addObject();
            choice.put("index", 0);
            if (chat) {
                choice.putObject("message").put("role", "assistant").put("content", text.toString());
            } else {
                choice.put("text", text.toString());
            }
            choice.putNull("logprobs");
            choice.put("finish_reason", finishReason);
            body.set("usage", usage(json, promptTokens, completionTokens));
            addReport(json, body, report);
            addRetrieval(json, body, envelope.retrieval());
            response.setStatusCode(200).putHeader("Content-Type", "application/json").end(write(json, body));
        }

        @Override
        public void fail(int status, String code, String message) {
            sendError(response, json, status, OpenAiError.of(status, message, code));
        }

        @Override
        public void prefill(PrefillReport report) {
            this.report = report;
        }
    }
}
