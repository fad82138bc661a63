package io.llmpipe.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The attention mode prefill should use and its tuning parameters (for example FlexPrefill's
 * {@code gamma} and {@code tau}, or token budgets). Parameter names are the engine's; a parameter the
 * engine does not know is its error to report, not the protocol's.
 *
 * <p>JSON: {@code {"mode":"flexprefill","parameters":{"gamma":0.9,"tau":0.1}}}; {@code parameters}
 * may be absent. Immutable and thread-safe; {@link #parameters()} is an unmodifiable sorted map, so
 * serialization is deterministic.
 *
 * @param mode       the attention algorithm
 * @param parameters name to finite value; empty for the mode's defaults
 */
public record AttentionSpec(
        @JsonProperty(required = true) AttentionMode mode,
        Map<String, Double> parameters) {

    /** Dense attention with no parameters: the default when a request names none. */
    public static final AttentionSpec DENSE = new AttentionSpec(AttentionMode.DENSE, Map.of());

    public AttentionSpec {
        Checks.required(mode, "attention mode");
        parameters = copyOf(parameters);
    }

    /** The mode with its default parameters. */
    public static AttentionSpec of(AttentionMode mode) {
        return new AttentionSpec(mode, Map.of());
    }

    private static SortedMap<String, Double> copyOf(Map<String, Double> parameters) {
        var copy = new TreeMap<String, Double>();
        if (parameters != null) {
            for (var entry : parameters.entrySet()) {
                String name = Checks.name(entry.getKey(), "attention parameter name");
                Double value = entry.getValue();
                if (value == null || !Double.isFinite(value)) {
                    throw new IllegalArgumentException("attention parameter '" + name + "' must be a finite number, got " + value);
                }
                copy.put(name, value);
            }
        }
        return Collections.unmodifiableSortedMap(copy);
    }
}
