package io.llmpipe.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What prefill did for a request, carried on its first {@link TokenEvent} so the gateway can report it:
 * the attention mode that ran and the fraction of causal attention blocks it computed (1 for dense,
 * and for a sparse mode that fell back to dense on a short prompt).
 *
 * <p>JSON: {@code {"attention":"flexprefill","density":0.44}}. Immutable.
 *
 * @param attention the attention mode's wire name
 * @param density   computed over causal (query block, key block) pairs, in [0, 1]
 */
public record PrefillReport(
        @JsonProperty(required = true) String attention,
        @JsonProperty(required = true) double density) {

    public PrefillReport {
        Checks.name(attention, "attention");
        if (!(density >= 0 && density <= 1)) {
            throw new IllegalArgumentException("density must be in [0, 1], got " + density);
        }
    }
}
