package io.llmpipe.decode;

import io.llmpipe.protocol.TokenEvent;
import io.llmpipe.service.ModelHolder;
import io.llmpipe.service.ReadinessCheck;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.Startup;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

/** Owns the {@link DecodeLoop} and publishes its token events on llm.tokens, keyed by request id. */
@Startup
@ApplicationScoped
public class DecodeService implements ReadinessCheck {
    private static final Logger LOG = Logger.getLogger(DecodeService.class);

    @Inject
    ModelHolder holder;

    @Inject
    MeterRegistry registry;

    @Inject
    @Channel("llm-tokens")
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 65_536)
    Emitter<TokenEvent> tokens;

    @ConfigProperty(name = "llmpipe.decode.max-batch", defaultValue = "8")
    int maxBatch;

    @ConfigProperty(name = "llmpipe.decode.max-waiting", defaultValue = "16")
    int maxWaiting;

    @ConfigProperty(name = "llmpipe.decode.drain-timeout", defaultValue = "PT10S")
    Duration drainTimeout;

    private DecodeLoop loop;

    @PostConstruct
    void start() {
        loop = new DecodeLoop(holder.newGenerator(), maxBatch, maxWaiting, this::publish, registry);
        LOG.infof("decode loop started: max batch %d, max waiting %d", maxBatch, maxWaiting);
    }

    public DecodeLoop loop() {
        return loop;
    }

    /** Publishes a token event keyed by its request id (so a request's events stay in order). */
    public void publish(TokenEvent event) {
        try {
            tokens.send(Message.of(event).addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(event.requestId()).build()));
        } catch (RuntimeException e) {
            // the emitter's buffer is full (Kafka unreachable): drop the event rather than stop decoding;
            // the gateway ends the request at its deadline
            LOG.warnf("token event %d of %s dropped: %s", event.sequence(), event.requestId(), e.getMessage());
        }
    }

    @Override
    public String name() {
        return "decode loop";
    }

    @Override
    public boolean isUp() {
        return loop != null && loop.isAlive();
    }

    /**
     * Graceful shutdown, first step: ShutdownEvent comes before the Kafka connector closes, so tokens
     * still flow while the requests already taken finish; no new handoff is taken. Whatever is still
     * running after the drain timeout is dropped unacknowledged when the consumer closes, and another
     * instance decodes it again from its handoff (the gateway drops the repeated sequence numbers).
     */
    void drain(@Observes ShutdownEvent event) {
        int taken = loop.unfinishedCount();
        if (loop.drain(drainTimeout)) {
            LOG.infof("shutdown: %d requests in progress finished", taken);
        } else {
            LOG.warnf("shutdown: %d of %d requests still running after %s: released for another instance",
                    loop.unfinishedCount(), taken, drainTimeout);
        }
    }

    @PreDestroy
    void stop() {
        loop.close();
    }
}
