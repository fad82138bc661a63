package io.llmpipe.engine.model;

import io.llmpipe.engine.attention.Attention;
import io.llmpipe.engine.attention.AttentionShape;
import io.llmpipe.engine.kv.KvCache;
import io.llmpipe.engine.tensor.FloatTensor;
import io.llmpipe.engine.tensor.MatMul;
import io.llmpipe.engine.tensor.Parallel;
import io.llmpipe.engine.tensor.VectorMath;
import java.util.List;

/**
 * The Llama forward pass over a batch of chunks. A chunk is a run of consecutive tokens of one
 * sequence: a whole prompt (prefill), one token (decode), or part of a prompt. All rows of all
 * chunks go through each weight matrix together, so weights are read once per step for the batch;
 * attention runs per chunk over that sequence's cache.
 *
 * <p>Holds reusable activation buffers: one thread calls {@link #forward} at a time. The model and
 * the {@link Parallel} pool are shared, not owned.
 */
public final class Transformer {

    /**
     * @param cache     the sequence's KV cache; rows for positions {@code startPos ..} are written
     * @param startPos  position of {@code tokens[offset]}
     * @param attention how this chunk attends (dense, or a sparse prefill mode)
     */
    public record Chunk(KvCache cache, int startPos, int[] tokens, int offset, int length, Attention attention) {
        public Chunk {
            if (length < 1 || offset < 0 || offset + length > tokens.length) {
                throw new IllegalArgumentException("chunk [" + offset + ", " + (offset + length) + ") is outside " + tokens.length + " tokens");
            }
        }
    }

    private final ModelConfig c;
    private final Weights w;
    private final Parallel parallel;
    private final AttentionShape shape;

    // Activations, [rows][width], grown to the largest batch seen.
    private int rowsCapacity;
    private float[] x, xb, xb2, q, k, v, att, hb, hb2, ropeCos, ropeSin;
    private float[] lastRows;

    public Transformer(Model model, Parallel parallel) {
        this.c = model.config();
        this.w = model.weights();
        this.parallel = parallel;
        this.shape = new AttentionShape(c.heads(), c.kvHeads(), c.headSize());
    }

    public ModelConfig config() {
        return c;
    }

    /**
     * Runs the chunks through the model, appending their keys/values to their caches, and writes
     * the logits of each chunk's last token to {@code logits[i * vocab ..]} for chunk {@code i}.
     */
    public void forward(List<Chunk> chunks, float[] logits) {
        int n = 0;
        for (Chunk ch : chunks) {
            if (ch.startPos() + ch.length() > c.contextLength()) {
                throw new IllegalArgumentException("positions up to " + (ch.startPos() + ch.length())
                        + " exceed the context length " + c.contextLength());
            }
            n += ch.length();
        }
        if (logits.length < chunks.size() * c.vocabularySize()) {
            throw new IllegalArgumentException("logits buffer too small for " + chunks.size() + " chunks");
        }
        ensureCapacity(n, chunks.size());
        int dim = c.dim(), qDim = c.queryDim(), kvDim = c.kvDim(), hidden = c.hiddenDim();

        // token embeddings and per-row RoPE angles
        int row = 0;
        for (Chunk ch : chunks) {
            for (int i = 0; i < ch.length(); i++, row++) {
                int token = ch.tokens()[ch.offset() + i];
                if (token < 0 || token >= c.vocabularySize()) {
                    throw new IllegalArgumentException("token id " + token + " is outside the vocabulary of " + c.vocabularySize());
                }
                w.tokenEmbedding().dequantize((long) token * dim, x, row * dim, dim);
                ropeAngles(ch.startPos() + i, row);
            }
        }

        for (int l = 0; l < c.layers(); l++) {
            // attention block
            rmsnorm(xb, x, w.attnNorm()[l], n, dim);
            MatMul.matmul(parallel, w.wq()[l], qDim, dim, xb, 0, n, q, 0, qDim);
            MatMul.matmul(parallel, w.wk()[l], kvDim, dim, xb, 0, n, k, 0, kvDim);
            MatMul.matmul(parallel, w.wv()[l], kvDim, dim, xb, 0, n, v, 0, kvDim);
            if (w.bq() != null) {
                addBias(q, w.bq()[l], n, qDim);
                addBias(k, w.bk()[l], n, kvDim);
                addBias(v, w.bv()[l], n, kvDim);
            }
            rope(q, n, c.heads());
            rope(k, n, c.kvHeads());
            row = 0;
            for (Chunk ch : chunks) {
                KvCache cache = ch.cache();
                cache.write(l, ch.startPos(), k, v, row * kvDim, ch.length());
                cache.attend(l, shape, ch.attention(), q, row * qDim, ch.length(), ch.startPos(), att, row * qDim, parallel);
                row += ch.length();
            }
            MatMul.matmul(parallel, w.wo()[l], dim, qDim, att, 0, n, xb2, 0, dim);
            add(x, xb2, n * dim);

            // feed-forward block: w2(silu(w1 x) * w3 x)
            rmsnorm(xb, x, w.ffnNorm()[l], n, dim);
            MatMul.matmul(parallel, w.w1()[l], hidden, dim, xb, 0, n, hb, 0, hidden);
            MatMul.matmul(parallel, w.w3()[l], hidden, dim, xb, 0, n, hb2, 0, hidden);
            // vectorised and on all threads: with scalar Math.exp this took ~10% of a batch-8 decode step
            parallel.forChunks(n * hidden, 4096, (from, to) -> VectorMath.swiglu(hb, hb2, from, to - from));
            MatMul.matmul(parallel, w.w2()[l], dim, hidden, hb, 0, n, xb2, 0, dim);
            add(x, xb2, n * dim);
        }

        // final norm and classifier, only for the last row of each chunk
        row = 0;
        int ci = 0;
        for (Chunk ch : chunks) {
            row += ch.length();
            System.arraycopy(x, (row - 1) * dim, lastRows, ci * dim, dim);
            ci++;
        }
        rmsnorm(lastRows, lastRows, w.outputNorm(), chunks.size(), dim);
        FloatTensor output = w.output();
        MatMul.matmul(parallel, output, c.vocabularySize(), dim, lastRows, 0, chunks.size(), logits, 0, c.vocabularySize());
    }

    private void ensureCapacity(int rows, int chunks) {
        if (lastRows == null || lastRows.length < chunks * c.dim()) {
            lastRows = new float[chunks * c.dim()];
        }
        if (rows <= rowsCapacity) {
            return;
        }
        int dim = c.dim(), qDim = c.queryDim(), kvDim = c.kvDim(), hidden = c.hiddenDim();
        x = new float[rows * dim];
        xb = new float[rows * Math.max(dim, qDim)];
        xb2 = new float[rows * dim];
        q = new float[rows * qDim];
        k = new float[rows * kvDim];
        v = new float[rows * kvDim];
        att = new float[rows * qDim];
        hb = new float[rows * hidden];
        hb2 = new float[rows * hidden];
        ropeCos = new float[rows * (c.ropeDimensions() / 2)];
        ropeSin = new float[rows * (c.ropeDimensions() / 2)];
        rowsCapacity = rows;
    }

    /** cos/sin of each rotated pair at {@code pos}: theta_i = pos / scale * base^(-2i/d) / factor_i. */
    private void ropeAngles(int pos, int row) {
        int pairs = c.ropeDimensions() / 2;
        float[] factors = w.ropeFreqFactors();
        float p = pos / c.ropeLinearScale();
        for (int i = 0; i < pairs; i++) {
            float freq = (float) (1.0 / Math.pow(c.ropeTheta(), (2 * i) / (float) c.ropeDimensions()));
            if (factors != null) {
                freq /= factors[i];
            }
            float angle = p * freq;
            ropeCos[row * pairs + i] = (float) Math.cos(angle);
            ropeSin[row * pairs + i] = (float) Math.sin(angle);
        }
    }

    private void rope(float[] t, int rows, int headCount) {
        int hs = c.headSize();
        int pairs = c.ropeDimensions() / 2;
        boolean neox = c.ropeType() == RopeType.NEOX;
        for (int r = 0; r < rows; r++) {
            for (int h = 0; h < headCount; h++) {
                int base = (r * headCount + h) * hs;
                for (int i = 0; i < pairs; i++) {
                    int a = neox ? base + i : base + 2 * i;
                    int b = neox ? base + i + pairs : base + 2 * i + 1;
                    float cos = ropeCos[r * pairs + i], sin = ropeSin[r * pairs + i];
                    float x0 = t[a], x1 = t[b];
                    t[a] = x0 * cos - x1 * sin;
                    t[b] = x0 * sin + x1 * cos;
                }
            }
        }
    }

    private void rmsnorm(float[] out, float[] in, float[] weight, int rows, int dim) {
        for (int r = 0; r < rows; r++) {
            int o = r * dim;
            float ss = VectorMath.sumOfSquares(in, o, dim) / dim + c.rmsNormEps();
            float inv = (float) (1.0 / Math.sqrt(ss));
            for (int i = 0; i < dim; i++) {
                out[o + i] = weight[i] * (inv * in[o + i]);
            }
        }
    }

    private static void addBias(float[] t, float[] bias, int rows, int width) {
        for (int r = 0; r < rows; r++) {
            VectorMath.axpy(1f, bias, 0, t, r * width, width);
        }
    }

    private static void add(float[] acc, float[] delta, int n) {
        VectorMath.axpy(1f, delta, 0, acc, 0, n);
    }
}
