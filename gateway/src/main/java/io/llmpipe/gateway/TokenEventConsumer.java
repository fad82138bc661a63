package io.llmpipe.gateway;

import io.llmpipe.protocol.TokenEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * llm.tokens -> the client streams. Each gateway instance reads the whole topic in its own consumer
 * group (application.properties) and keeps the events of the requests it holds, so any number of
 * gateways can run side by side.
 */
@ApplicationScoped
public class TokenEventConsumer {

    @Inject
    StreamRegistry registry;

    @Incoming("llm-tokens")
    public void onEvent(TokenEvent event) {
        registry.dispatch(event);
    }
}
