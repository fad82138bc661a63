package io.llmpipe.engine.generation;

/** Why a generation ended; names as OpenAI reports them. */
public enum FinishReason {
    /** A stop token was sampled. */
    STOP,
    /** The token limit or the context length was reached. */
    LENGTH,
    /** The caller asked to stop. */
    CANCELLED;

    public String openAiName() {
        return switch (this) {
            case STOP -> "stop";
            case LENGTH -> "length";
            case CANCELLED -> "cancelled";
        };
    }
}
