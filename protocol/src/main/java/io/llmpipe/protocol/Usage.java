package io.llmpipe.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Token counts of a finished request, as OpenAI's {@code usage} reports them. JSON:
 * {@code {"promptTokens":12,"completionTokens":30}}. Immutable and thread-safe.
 *
 * @param promptTokens     tokens of the prompt, >= 0
 * @param completionTokens tokens sampled, >= 0 (the stop token counts: it was generated)
 */
public record Usage(
        @JsonProperty(required = true) int promptTokens,
        @JsonProperty(required = true) int completionTokens) {

    public Usage {
        Checks.atLeast(promptTokens, 0, "usage promptTokens");
        Checks.atLeast(completionTokens, 0, "usage completionTokens");
    }

    /** Prompt plus completion tokens; not written to JSON. */
    public int totalTokens() {
        return promptTokens + completionTokens;
    }
}
