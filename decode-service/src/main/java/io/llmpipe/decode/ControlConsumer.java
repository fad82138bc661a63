package io.llmpipe.decode;

import io.llmpipe.protocol.ControlMessage;
import io.llmpipe.protocol.ControlType;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * llm.control -> cancellations. Every decode instance reads every control record (its own consumer
 * group, see application.properties), since any of them may hold the request.
 */
@ApplicationScoped
public class ControlConsumer {
    private static final Logger LOG = Logger.getLogger(ControlConsumer.class);

    @Inject
    DecodeService decode;

    @Incoming("llm-control")
    public void onControl(ControlMessage message) {
        if (message.type() == ControlType.CANCEL) {
            LOG.debugf("cancel %s (%s)", message.requestId(), message.reason());
            decode.loop().cancel(message.requestId());
        }
    }
}
