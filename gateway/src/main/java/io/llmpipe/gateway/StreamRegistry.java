package io.llmpipe.gateway;

import io.llmpipe.protocol.TokenEvent;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The requests this gateway instance holds a client for, by request id, and the bound on how many
 * there may be ({@code llmpipe.gateway.max-in-flight}): a request beyond it is refused at once
 * instead of queueing without limit. Token events of other instances' requests are ignored here.
 */
@ApplicationScoped
public class StreamRegistry {

    @ConfigProperty(name = "llmpipe.gateway.max-in-flight", defaultValue = "64")
    int maxInFlight;

    @Inject
    MeterRegistry meters;

    private final ConcurrentHashMap<String, GenerationStream> streams = new ConcurrentHashMap<>();
    private Semaphore slots;

    @PostConstruct
    void init() {
        slots = new Semaphore(maxInFlight);
        Gauge.builder("llmpipe.gateway.in.flight", streams, ConcurrentHashMap::size)
                .description("Requests this gateway is waiting on").register(meters);
    }

    /** Takes a slot for a new request; false when {@code max-in-flight} are already in flight. */
    boolean tryAcquire() {
        return slots.tryAcquire();
    }

    void release() {
        slots.release();
    }

    void register(GenerationStream stream) {
        streams.put(stream.requestId(), stream);
    }

    /** Forgets a stream; true the first time only, so the slot is released once. */
    boolean remove(GenerationStream stream) {
        return streams.remove(stream.requestId(), stream);
    }

    int inFlight() {
        return streams.size();
    }

    /** Routes an event from llm.tokens to its stream, if this instance holds it. */
    void dispatch(TokenEvent event) {
        GenerationStream stream = streams.get(event.requestId());
        if (stream != null) {
            stream.accept(event);
        }
    }
}
