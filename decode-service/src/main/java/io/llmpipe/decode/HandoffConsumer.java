package io.llmpipe.decode;

import io.llmpipe.engine.generation.Sequence;
import io.llmpipe.engine.kv.KvCodec;
import io.llmpipe.engine.model.ModelConfig;
import io.llmpipe.protocol.ErrorInfo;
import io.llmpipe.protocol.KvHandoff;
import io.llmpipe.protocol.KvHandoffAssembler;
import io.llmpipe.protocol.KvHandoffException;
import io.llmpipe.protocol.KvHandoffHeader;
import io.llmpipe.protocol.KvHandoffStart;
import io.llmpipe.protocol.KvMessage;
import io.llmpipe.protocol.PipelineStage;
import io.llmpipe.protocol.TokenEvent;
import io.llmpipe.protocol.Usage;
import io.llmpipe.service.EngineAdapters;
import io.llmpipe.service.ModelHolder;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * llm.kv -> reassembled, verified handoffs -> the {@link DecodeLoop}. A handoff's start record is
 * acknowledged only when its request leaves the batch, so with the throttled commit strategy the
 * group's committed offset never passes an unfinished request: after a crash or a rebalance the
 * request is decoded again from its handoff, deterministically from its seed. Chunk records are
 * acknowledged at once (the start before them holds the offset back).
 */
@ApplicationScoped
public class HandoffConsumer {
    private static final Logger LOG = Logger.getLogger(HandoffConsumer.class);
    private static final Duration INCOMPLETE_HANDOFF_MAX_AGE = Duration.ofMinutes(2);

    @Inject
    ModelHolder holder;

    @Inject
    DecodeService decode;

    private KvHandoffAssembler assembler;
    private final Map<String, Message<KvMessage>> unfinishedStarts = new HashMap<>();
    private long lastExpiry = System.nanoTime();

    @PostConstruct
    void init() {
        assembler = new KvHandoffAssembler(holder.model().fingerprint());
    }

    /** One record at a time: the next comes when the returned stage completes (backpressure from the loop). */
    @Incoming("llm-kv")
    public synchronized CompletionStage<Void> onMessage(Message<KvMessage> message) {
        KvMessage kv = message.getPayload();
        expireStale();
        Optional<KvHandoff> done;
        try {
            if (kv instanceof KvHandoffStart start) {
                Message<KvMessage> previous = unfinishedStarts.put(start.requestId(), message);
                if (previous != null) {
                    previous.ack(); // a redelivered or redone start replaces the one in progress
                }
            }
            done = assembler.accept(kv);
        } catch (KvHandoffException e) {
            return refuse(e, kv, message);
        }
        if (!(kv instanceof KvHandoffStart)) {
            message.ack();
        }
        if (done.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        KvHandoff handoff = done.get();
        KvHandoffHeader h = handoff.header();
        Message<KvMessage> start = unfinishedStarts.remove(h.requestId());
        Runnable onDone = start == null ? () -> { } : start::ack;
        Sequence sequence;
        try {
            sequence = restore(handoff);
        } catch (RuntimeException e) {
            LOG.errorf("handoff of %s cannot be restored: %s", h.requestId(), e.getMessage());
            failed(h.requestId(), h.sampledTokens(), h.promptTokenCount(), "KV handoff cannot be restored: " + e.getMessage());
            onDone.run();
            return CompletableFuture.completedFuture(null);
        }
        return decode.loop().submit(new DecodeLoop.Work(h, sequence, onDone));
    }

    private Sequence restore(KvHandoff handoff) {
        KvHandoffHeader h = handoff.header();
        ModelConfig c = holder.model().config();
        if (h.layers() != c.layers() || h.kvHeads() != c.kvHeads() || h.headSize() != c.headSize()) {
            throw new IllegalArgumentException("cache shape " + h.layers() + "x" + h.kvHeads() + "x" + h.headSize()
                    + " does not match the model's " + c.layers() + "x" + c.kvHeads() + "x" + c.headSize());
        }
        KvCodec codec = EngineAdapters.kvCodec(h.codec());
        if (h.positions() > c.contextLength()) {
            throw new IllegalArgumentException(h.positions() + " positions exceed this instance's context of " + c.contextLength());
        }
        return Sequence.restored(codec.decode(handoff.payload(), h.layers(), h.kvHeads(), h.headSize(), h.positions(),
                c.contextLength()), h.positions());
    }

    private CompletionStage<Void> refuse(KvHandoffException e, KvMessage kv, Message<KvMessage> message) {
        LOG.errorf("KV handoff of %s refused: %s", e.requestId(), e.getMessage());
        Message<KvMessage> start = unfinishedStarts.remove(e.requestId());
        int sampled = 1;
        int prompt = 0;
        if (kv instanceof KvHandoffStart s) {
            sampled = s.header().sampledTokens();
            prompt = s.header().promptTokenCount();
        } else if (start != null && start.getPayload() instanceof KvHandoffStart s) {
            sampled = s.header().sampledTokens();
            prompt = s.header().promptTokenCount();
        }
        failed(e.requestId(), sampled, prompt, "KV handoff failed: " + e.getMessage());
        if (start != null && start != message) {
            start.ack();
        }
        message.ack();
        return CompletableFuture.completedFuture(null);
    }

    private void failed(String requestId, int sequence, int promptTokens, String message) {
        decode.publish(TokenEvent.failure(requestId, sequence, new ErrorInfo(ErrorInfo.KV_HANDOFF_FAILED, message),
                new Usage(promptTokens, sequence), PipelineStage.DECODE));
    }

    private void expireStale() {
        if (System.nanoTime() - lastExpiry < 5_000_000_000L) {
            return;
        }
        lastExpiry = System.nanoTime();
        for (KvHandoffException e : assembler.expire(INCOMPLETE_HANDOFF_MAX_AGE)) {
            Message<KvMessage> start = unfinishedStarts.remove(e.requestId());
            if (start != null && start.getPayload() instanceof KvHandoffStart s) {
                failed(e.requestId(), s.header().sampledTokens(), s.header().promptTokenCount(), "KV handoff failed: " + e.getMessage());
                start.ack();
            }
        }
    }
}
