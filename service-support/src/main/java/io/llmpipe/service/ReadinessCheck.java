package io.llmpipe.service;

/**
 * A condition a service must meet before it takes traffic (Kafka reachable, model loaded...).
 * Implement it as a CDI bean; {@link HealthResource} reports every one at {@code /q/health/ready}.
 * Called from HTTP worker threads: implementations must be thread-safe and quick.
 */
public interface ReadinessCheck {

    /** Name shown in the health response. */
    String name();

    /** Whether the condition holds now. */
    boolean isUp();
}
