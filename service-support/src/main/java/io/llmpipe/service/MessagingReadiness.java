package io.llmpipe.service;

import io.smallrye.reactive.messaging.providers.extension.HealthCenter;
import io.smallrye.reactive.messaging.health.HealthReport;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.stream.Collectors;

/**
 * Ready when every Kafka channel reports ready (broker reachable, consumers assigned). Services
 * without messaging exclude this bean ({@code quarkus.arc.exclude-types}).
 */
@ApplicationScoped
public class MessagingReadiness implements ReadinessCheck {

    @Inject
    HealthCenter health;

    @Override
    public String name() {
        HealthReport report = health.getReadiness();
        if (report.isOk()) {
            return "kafka";
        }
        return "kafka: " + report.getChannels().stream().filter(c -> !c.isOk())
                .map(c -> c.getChannel() + (c.getMessage() == null ? "" : " (" + c.getMessage() + ")"))
                .collect(Collectors.joining(", "));
    }

    @Override
    public boolean isUp() {
        return health.getReadiness().isOk();
    }
}
