package io.llmpipe.gateway;

import io.llmpipe.service.OpenAiError;
import io.llmpipe.service.ApiException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmpipe.protocol.GenerationRequest;
import io.llmpipe.protocol.SamplingParameters;
import io.llmpipe.service.ModelHolder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * {@code POST /v1/chat/completions} and {@code POST /v1/completions}: read and tokenize the request
 * (long bodies on a worker thread), take an in-flight slot, put it on llm.requests, and answer from
 * the token events as they come back, streamed (SSE) or whole. A request with the {@code retrieval}
 * extension takes its slot before the search, then gets the passages into its prompt (tokenized on a
 * worker thread); it gives the slot back if the search fails, and nothing is queued. A client that
 * disconnects cancels its request; a request still running at its deadline ends with a 504 error.
 * Plain Vert.x routes, so the SSE bytes are exactly OpenAI's.
 */
@ApplicationScoped
public class CompletionsRoutes {
    private static final Logger LOG = Logger.getLogger(CompletionsRoutes.class);
    /** Time the pipeline gets past the deadline to deliver its own deadline error before the gateway gives up. */
    private static final long DEADLINE_GRACE_MILLIS = 2_000;
    /** Bodies up to this size are read and tokenized on the event loop; longer ones on a worker thread. */
    private static final int INLINE_BODY_CHARS = 4096;

    @Inject
    RequestReader reader;

    @Inject
    StreamRegistry registry;

    @Inject
    RequestPublisher publisher;

    @Inject
    ModelHolder holder;

    @Inject
    RetrievalClient retrieval;

    @Inject
    ObjectMapper json;

    @Inject
    MeterRegistry meters;

    @ConfigProperty(name = "llmpipe.instance-id")
    String instanceId;

    @ConfigProperty(name = "llmpipe.gateway.request-timeout", defaultValue = "PT5M")
    Duration requestTimeout;

    @ConfigProperty(name = "llmpipe.gateway.max-body-bytes", defaultValue = "8388608")
    long maxBodyBytes;

    private Timer timeToFirstToken;
    private Timer timePerOutputToken;
    private Timer requestDuration;

    @PostConstruct
    void init() {
        timeToFirstToken = Timer.builder("llmpipe.gateway.time.to.first.token")
                .description("From receiving a request to its first token arriving back").publishPercentiles(0.5, 0.99).register(meters);
        timePerOutputToken = Timer.builder("llmpipe.gateway.time.per.output.token")
                .description("Mean time between a request's tokens after the first").publishPercentiles(0.5, 0.99).register(meters);
        requestDuration = Timer.builder("llmpipe.gateway.request.duration")
                .description("From receiving a request to its last token").publishPercentiles(0.5, 0.99).register(meters);
    }

    void routes(@Observes Router router) {
        BodyHandler body = BodyHandler.create(false).setBodyLimit(maxBodyBytes);
        router.post("/v1/chat/completions").handler(body).handler(ctx -> handle(ctx, CompletionRequest.Kind.CHAT));
        router.post("/v1/completions").handler(body).handler(ctx -> handle(ctx, CompletionRequest.Kind.TEXT));
    }

    private void handle(RoutingContext ctx, CompletionRequest.Kind kind) {
        long receivedNanos = System.nanoTime();
        long receivedMillis = System.currentTimeMillis();
        String body = ctx.body().asString();
        Context context = Vertx.currentContext();
        // a short prompt parses and tokenizes in microseconds: no worker hand-off on the time to first token
        boolean inline = body != null && body.length() <= INLINE_BODY_CHARS;
        compute(ctx, inline, () -> {
            CompletionDraft draft = reader.parse(kind, body);
            return new Read(draft, draft.retrieval() == null ? reader.complete(draft, null) : null);
        }).onComplete(read -> {
            if (read.failed()) {
                refuse(ctx, kind, read.cause());
                return;
            }
            CompletionDraft draft = read.result().draft();
            if (!admit(ctx, kind)) {
                return;
            }
            if (draft.retrieval() == null) {
                start(ctx, context, read.result().request(), receivedNanos, receivedMillis);
                return;
            }
            // the slot is held during the search too, so max-in-flight bounds the load on the retrieval-service
            Future.fromCompletionStage(retrieval.search(draft.retrieval(), draft.prompt().question()), context)
                    .compose(found -> ctx.vertx().executeBlocking(() -> reader.complete(draft, found), false))
                    .onComplete(built -> {
                        if (built.failed()) {
                            registry.release();
                            refuse(ctx, kind, built.cause());
                            return;
                        }
                        start(ctx, context, built.result(), receivedNanos, receivedMillis);
                    });
        });
    }

    /** A checked request, and when it needs no retrieval its encoded prompt too (else null). */
    private record Read(CompletionDraft draft, CompletionRequest request) {
    }

    /** Takes an in-flight slot, or answers 429; false when the request goes no further. */
    private boolean admit(RoutingContext ctx, CompletionRequest.Kind kind) {
        if (ctx.response().closed()) {
            return false;
        }
        if (!registry.tryAcquire()) {
            outcome(kind, "overloaded").increment();
            ResponseSinks.sendError(ctx.response(), json, 429, new OpenAiError(new OpenAiError.Detail(
                    "Too many requests in flight on this server (" + registry.maxInFlight + "); retry later.",
                    "requests", null, "rate_limit_exceeded")));
            return false;
        }
        return true;
    }

    /** {@code work} on this event loop when it is short, else on a worker thread. */
    private static <T> Future<T> compute(RoutingContext ctx, boolean inline, Callable<T> work) {
        if (!inline) {
            return ctx.vertx().executeBlocking(work, false);
        }
        try {
            return Future.succeededFuture(work.call());
        } catch (Exception e) {
            return Future.failedFuture(e);
        }
    }

    private void refuse(RoutingContext ctx, CompletionRequest.Kind kind, Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof ApiException e) {
            outcome(kind, e.status() >= 500 ? "unavailable" : "rejected").increment();
            ResponseSinks.sendError(ctx.response(), json, e.status(), e.toError());
        } else {
            LOG.error("reading a completion request failed", cause);
            outcome(kind, "error").increment();
            ResponseSinks.sendError(ctx.response(), json, 500,
                    OpenAiError.of(500, "The server had an error while processing your request.", "internal_error"));
        }
    }

    /** Queues a request that holds an in-flight slot, and answers it from its token events. */
    private void start(RoutingContext ctx, Context context, CompletionRequest req, long receivedNanos, long receivedMillis) {
        if (ctx.response().closed()) {
            registry.release();
            return;
        }
        String id = req.kind().idPrefix() + UUID.randomUUID().toString().replace("-", "");
        var envelope = new ResponseSinks.Envelope(id, req.kind(), req.model(), receivedMillis / 1000, req.retrieval());
        GenerationStream.Sink sink = req.stream()
                ? new ResponseSinks.Sse(ctx.response(), json, envelope, req.includeUsage())
                : new ResponseSinks.Whole(ctx.response(), json, envelope);
        long deadline = receivedMillis + requestTimeout.toMillis();
        Exchange exchange = new Exchange(req, receivedNanos);
        GenerationStream stream = new GenerationStream(id, req, holder.model().tokenizer(), sink, exchange,
                task -> context.runOnContext(v -> task.run()));
        registry.register(stream);
        exchange.timer = ctx.vertx().setTimer(requestTimeout.toMillis() + DEADLINE_GRACE_MILLIS,
                t -> stream.fail(504, "deadline_exceeded", "The request did not finish within " + requestTimeout.toSeconds() + " s."));
        ctx.response().closeHandler(v -> stream.abandon());
        exchange.vertx = ctx.vertx();
        GenerationRequest message = new GenerationRequest(GenerationRequest.SCHEMA_VERSION, id, req.model(), req.promptTokenIds(),
                new SamplingParameters(req.temperature(), req.topK(), req.topP(), req.seed()), req.maxTokens(), req.stopTokenIds(),
                req.attention(), req.kvCodec(), instanceId, deadline, receivedMillis);
        publisher.publish(message).whenComplete((v, e) -> {
            if (e != null) {
                LOG.warnf("request %s could not be queued: %s", id, e.getMessage());
                stream.fail(503, "service_unavailable", "The request could not be queued: " + e.getMessage());
            }
        });
    }

    private Counter outcome(CompletionRequest.Kind kind, String outcome) {
        return Counter.builder("llmpipe.gateway.requests").description("Completion requests by how they ended")
                .tag("api", kind == CompletionRequest.Kind.CHAT ? "chat" : "completions").tag("outcome", outcome).register(meters);
    }

    /** One request's bookkeeping: metrics, the in-flight slot, the deadline timer, upstream cancellation. */
    private final class Exchange implements GenerationStream.Observer {
        private final CompletionRequest request;
        private final long receivedNanos;
        private volatile long firstTokenNanos;
        volatile long timer = -1;
        volatile Vertx vertx;

        Exchange(CompletionRequest request, long receivedNanos) {
            this.request = request;
            this.receivedNanos = receivedNanos;
        }

        @Override
        public void firstToken() {
            firstTokenNanos = System.nanoTime();
            timeToFirstToken.record(firstTokenNanos - receivedNanos, TimeUnit.NANOSECONDS);
        }

        @Override
        public void ended(GenerationStream stream, boolean cancelUpstream, int completionTokens) {
            if (!registry.remove(stream)) {
                return;
            }
            registry.release();
            if (vertx != null && timer >= 0) {
                vertx.cancelTimer(timer);
            }
            long now = System.nanoTime();
            requestDuration.record(now - receivedNanos, TimeUnit.NANOSECONDS);
            if (firstTokenNanos != 0 && completionTokens > 1) {
                timePerOutputToken.record((now - firstTokenNanos) / (completionTokens - 1), TimeUnit.NANOSECONDS);
            }
            outcome(request.kind(), cancelUpstream ? "cancelled" : "completed").increment();
            if (cancelUpstream) {
                publisher.cancel(stream.requestId(), "the client went away or the gateway gave up");
            }
        }
    }
}
