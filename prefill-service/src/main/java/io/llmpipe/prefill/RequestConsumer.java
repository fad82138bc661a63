package io.llmpipe.prefill;

import io.llmpipe.protocol.ErrorInfo;
import io.llmpipe.protocol.GenerationRequest;
import io.llmpipe.protocol.KvMessage;
import io.llmpipe.protocol.PipelineStage;
import io.llmpipe.protocol.TokenEvent;
import io.llmpipe.protocol.Usage;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * llm.requests -> prefill -> the first token on llm.tokens (that is the time to first token), then
 * the KV handoff on llm.kv, all keyed by request id so each request's records stay in order.
 * Malformed records go to llm.requests.dlq (connector configuration) and consumption goes on.
 */
@ApplicationScoped
public class RequestConsumer {
    private static final Logger LOG = Logger.getLogger(RequestConsumer.class);

    @Inject
    Prefiller prefiller;

    @Inject
    @Channel("llm-tokens")
    Emitter<TokenEvent> tokens;

    @Inject
    @Channel("llm-kv")
    Emitter<KvMessage> kv;

    @Incoming("llm-requests")
    @Blocking(ordered = true)
    public void onRequest(GenerationRequest request) {
        Prefiller.Outcome outcome;
        try {
            outcome = prefiller.prefill(request, System.currentTimeMillis());
        } catch (RuntimeException e) {
            LOG.errorf(e, "prefill of %s failed", request.requestId());
            outcome = new Prefiller.Outcome(TokenEvent.failure(request.requestId(), TokenEvent.FIRST_SEQUENCE,
                    new ErrorInfo(ErrorInfo.INTERNAL, "prefill failed: " + e.getMessage()),
                    new Usage(request.promptTokenCount(), 0), PipelineStage.PREFILL), java.util.List::of);
        }
        // the first token goes out before the KV cache is encoded: that is the time to first token
        tokens.send(keyed(request.requestId(), outcome.firstEvent()));
        java.util.List<KvMessage> handoff;
        try {
            handoff = outcome.handoff().get();
        } catch (RuntimeException e) {
            LOG.errorf(e, "KV handoff of %s failed", request.requestId());
            // the first token is out: the failure continues the request's sequence
            tokens.send(keyed(request.requestId(), TokenEvent.failure(request.requestId(), 1,
                    new ErrorInfo(ErrorInfo.KV_HANDOFF_FAILED, "the KV cache could not be handed over: " + e.getMessage()),
                    new Usage(request.promptTokenCount(), 1), PipelineStage.DECODE)));
            return;
        }
        for (KvMessage m : handoff) {
            kv.send(keyed(request.requestId(), m));
        }
    }

    private static <T> Message<T> keyed(String key, T value) {
        return Message.of(value).addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(key).build());
    }
}
