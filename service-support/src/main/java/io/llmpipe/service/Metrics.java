package io.llmpipe.service;

import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The service's Micrometer registry, scraped in Prometheus format at {@code /q/metrics}
 * ({@link MetricsResource}). It stands in for quarkus-micrometer-registry-prometheus, which the
 * reachable Maven mirror lacks at 3.38.1; services inject {@link io.micrometer.core.instrument.MeterRegistry} either way (the
 * producer's bean has both types).
 */
@Singleton
public class Metrics {

    @Produces
    @Singleton
    PrometheusMeterRegistry registry(@ConfigProperty(name = "quarkus.application.name") String application) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().commonTags("application", application);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        return registry;
    }

    void close(@Disposes PrometheusMeterRegistry registry) {
        registry.close();
    }
}
