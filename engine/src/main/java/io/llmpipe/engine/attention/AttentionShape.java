package io.llmpipe.engine.attention;

/**
 * Head geometry of one attention call. Query rows are {@code heads * headSize} wide; key/value rows
 * {@code kvHeads * headSize}; query head {@code h} reads key/value head {@code h / (heads / kvHeads)}.
 */
public record AttentionShape(int heads, int kvHeads, int headSize) {
    public int queryDim() {
        return heads * headSize;
    }

    public int kvDim() {
        return kvHeads * headSize;
    }

    public int kvMul() {
        return heads / kvHeads;
    }
}
