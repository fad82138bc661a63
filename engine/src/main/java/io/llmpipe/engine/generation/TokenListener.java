package io.llmpipe.engine.generation;

/** Receives each generated token as soon as it is sampled; returning false cancels the generation. */
@FunctionalInterface
public interface TokenListener {
    boolean onToken(int token);

    TokenListener NONE = token -> true;
}
