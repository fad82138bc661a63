package io.llmpipe.engine.model;

/**
 * The hyper-parameters of a Llama-family transformer, read once from the model file.
 *
 * @param architecture        GGUF architecture name ("llama", "qwen2", ...); "llama" for llama2.c files
 * @param dim                 embedding width
 * @param hiddenDim           feed-forward width
 * @param layers              transformer blocks
 * @param heads               query heads
 * @param kvHeads             key/value heads (fewer than heads: grouped-query attention)
 * @param headSize            width of one head
 * @param vocabularySize      tokens in the vocabulary (rows of the embedding)
 * @param contextLength       positions this instance accepts (may exceed what the file declares)
 * @param declaredContextLength context length stated by the file
 * @param rmsNormEps          RMSNorm epsilon
 * @param ropeTheta           RoPE frequency base
 * @param ropeDimensions      leading dimensions of each head that RoPE rotates
 * @param ropeType            pairing of rotated dimensions
 * @param ropeLinearScale     positions are divided by this (1 = no linear scaling)
 */
public record ModelConfig(
        String architecture,
        int dim,
        int hiddenDim,
        int layers,
        int heads,
        int kvHeads,
        int headSize,
        int vocabularySize,
        int contextLength,
        int declaredContextLength,
        float rmsNormEps,
        float ropeTheta,
        int ropeDimensions,
        RopeType ropeType,
        float ropeLinearScale) {

    /** Largest value accepted for any width or count; anything bigger is a corrupt file. */
    public static final int MAX_DIMENSION = 1 << 20;
    public static final int MAX_LAYERS = 1024;

    public ModelConfig {
        requireRange("dim", dim, 1, MAX_DIMENSION);
        requireRange("hidden dim", hiddenDim, 1, MAX_DIMENSION);
        requireRange("layers", layers, 1, MAX_LAYERS);
        requireRange("heads", heads, 1, 4096);
        requireRange("kv heads", kvHeads, 1, heads);
        requireRange("head size", headSize, 1, 4096);
        requireRange("vocabulary size", vocabularySize, 1, 1 << 24);
        requireRange("context length", contextLength, 1, 1 << 24);
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("heads (" + heads + ") is not a multiple of kv heads (" + kvHeads + ")");
        }
        if (ropeDimensions % 2 != 0 || ropeDimensions > headSize || ropeDimensions < 0) {
            throw new IllegalArgumentException("RoPE dimensions " + ropeDimensions + " must be even and at most the head size " + headSize);
        }
        if (!(rmsNormEps > 0) || !(ropeTheta > 0) || !(ropeLinearScale > 0)) {
            throw new IllegalArgumentException("RMSNorm epsilon, RoPE base and scale must be positive");
        }
    }

    private static void requireRange(String what, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(what + " = " + value + " is out of range [" + min + ", " + max + "]");
        }
    }

    /** Width of all query heads together. */
    public int queryDim() {
        return heads * headSize;
    }

    /** Width of all key (or value) heads together. */
    public int kvDim() {
        return kvHeads * headSize;
    }

    /** Query heads sharing one key/value head. */
    public int kvMul() {
        return heads / kvHeads;
    }

    public ModelConfig withContextLength(int newContextLength) {
        return new ModelConfig(architecture, dim, hiddenDim, layers, heads, kvHeads, headSize, vocabularySize,
                newContextLength, declaredContextLength, rmsNormEps, ropeTheta, ropeDimensions, ropeType, ropeLinearScale);
    }
}
