package io.llmpipe.engine.model;

import io.llmpipe.engine.tensor.FloatTensor;

/**
 * A model's parameters. Matrices are views into the mapped model file (never copied); the small
 * vectors (norms, biases) are float arrays. Reference names with shapes as [rows][cols].
 *
 * @param tokenEmbedding  [vocab][dim]
 * @param attnNorm        [layers][dim]
 * @param wq              [layers] of [heads*headSize][dim]
 * @param wk              [layers] of [kvHeads*headSize][dim]
 * @param wv              [layers] of [kvHeads*headSize][dim]
 * @param bq              [layers][heads*headSize], or null (Qwen2 has Q/K/V biases)
 * @param bk              [layers][kvHeads*headSize], or null
 * @param bv              [layers][kvHeads*headSize], or null
 * @param wo              [layers] of [dim][heads*headSize]
 * @param ffnNorm         [layers][dim]
 * @param w1              [layers] of [hidden][dim] (gate)
 * @param w2              [layers] of [dim][hidden] (down)
 * @param w3              [layers] of [hidden][dim] (up)
 * @param outputNorm      [dim]
 * @param output          [vocab][dim]; the embedding itself when tied
 * @param ropeFreqFactors [ropeDimensions/2] divisors of the RoPE frequencies (Llama 3 scaling), or null
 */
public record Weights(
        FloatTensor tokenEmbedding,
        float[][] attnNorm,
        FloatTensor[] wq,
        FloatTensor[] wk,
        FloatTensor[] wv,
        float[][] bq,
        float[][] bk,
        float[][] bv,
        FloatTensor[] wo,
        float[][] ffnNorm,
        FloatTensor[] w1,
        FloatTensor[] w2,
        FloatTensor[] w3,
        float[] outputNorm,
        FloatTensor output,
        float[] ropeFreqFactors) {
}
