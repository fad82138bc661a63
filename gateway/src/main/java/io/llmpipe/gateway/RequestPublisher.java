package io.llmpipe.gateway;

import io.llmpipe.protocol.ControlMessage;
import io.llmpipe.protocol.GenerationRequest;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;
import org.jboss.logging.Logger;

/** Puts requests on llm.requests and cancellations on llm.control, keyed by request id. */
@ApplicationScoped
public class RequestPublisher {
    private static final Logger LOG = Logger.getLogger(RequestPublisher.class);

    @Inject
    @Channel("llm-requests")
    Emitter<GenerationRequest> requests;

    @Inject
    @Channel("llm-control")
    Emitter<ControlMessage> control;

    /** Completes when the broker has the request, or fails (the broker is unreachable, the buffer is full). */
    public CompletionStage<Void> publish(GenerationRequest request) {
        return send(requests, request.requestId(), request);
    }

    /** Fire and forget: a lost cancellation only costs the decode work it would have saved. */
    public void cancel(String requestId, String reason) {
        send(control, requestId, ControlMessage.cancel(requestId, reason, System.currentTimeMillis()))
                .whenComplete((v, e) -> {
                    if (e != null) {
                        LOG.warnf("cancellation of %s not sent: %s", requestId, e.getMessage());
                    }
                });
    }

    private static <T> CompletionStage<Void> send(Emitter<T> emitter, String key, T payload) {
        CompletableFuture<Void> sent = new CompletableFuture<>();
        Message<T> message = Message.of(payload, Metadata.of(OutgoingKafkaRecordMetadata.<String>builder().withKey(key).build()),
                () -> {
                    sent.complete(null);
                    return CompletableFuture.completedFuture(null);
                },
                e -> {
                    sent.completeExceptionally(e);
                    return CompletableFuture.completedFuture(null);
                });
        try {
            emitter.send(message);
        } catch (RuntimeException e) {
            sent.completeExceptionally(e);
        }
        return sent;
    }
}
