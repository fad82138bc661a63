package io.llmpipe.engine.model;

import io.llmpipe.engine.ModelFormatException;
import io.llmpipe.engine.gguf.GGUF;
import io.llmpipe.engine.gguf.GGUFTensorInfo;
import io.llmpipe.engine.tensor.FloatTensor;
import io.llmpipe.engine.tensor.TiledQ4_0Tensor;
import io.llmpipe.engine.tensor.Q8_0Tensor;
import io.llmpipe.engine.tensor.SlabbedQ8_0Tensor;
import io.llmpipe.engine.tokenizer.ChatTemplate;
import io.llmpipe.engine.tokenizer.Tokenizer;
import io.llmpipe.engine.tokenizer.Tokenizers;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;

/**
 * Llama-family models from GGUF: llama (Llama 1/2/3.x, Mistral, SmolLM2) and qwen2 (Qwen2/2.5,
 * with Q/K/V biases and NeoX RoPE). Hyper-parameters come from {@code <arch>.*} metadata; Llama 3
 * RoPE scaling arrives as the {@code rope_freqs.weight} tensor, as llama.cpp's converter writes it.
 */
final class GGUFModelLoader {
    static final Set<String> ARCHITECTURES = Set.of("llama", "mistral", "qwen2");

    private GGUFModelLoader() {
    }

    static Model load(Path path, int contextLength, boolean slabWideMatrices) {
        Arena arena = Arena.ofShared();
        try {
            GGUF gguf = GGUF.open(path, arena);
            ModelConfig config = config(gguf, contextLength);
            Weights weights = weights(gguf, config, slabWideMatrices ? arena : null);
            Tokenizer tokenizer = Tokenizers.fromGGUF(gguf);
            if (tokenizer.vocabularySize() != config.vocabularySize()) {
                throw new ModelFormatException(path + ": the tokenizer has " + tokenizer.vocabularySize()
                        + " tokens but the model's embedding has " + config.vocabularySize() + " rows");
            }
            GGUFTensorInfo embd = gguf.tensors().get("token_embd.weight");
            String fingerprint = Fingerprints.of("gguf", config,
                    gguf.tensorBytes(embd).asSlice(0, Math.min(1 << 20, embd.byteSize())), path.toFile().length());
            ChatTemplate chat = ChatTemplate.forModel(gguf, tokenizer);
            return new Model(ModelLoader.baseName(path), fingerprint, config, weights, tokenizer, chat, arena);
        } catch (RuntimeException e) {
            arena.close();
            if (e instanceof IllegalArgumentException) {
                throw new ModelFormatException(path + ": " + e.getMessage(), e);
            }
            throw e;
        }
    }

    static ModelConfig config(GGUF g, int contextLength) {
        String arch = g.getString("general.architecture");
        if (!ARCHITECTURES.contains(arch)) {
            throw new ModelFormatException(g.source() + ": architecture '" + arch + "' is not supported (supported: "
                    + String.join(", ", ARCHITECTURES.stream().sorted().toList()) + ")");
        }
        int max = ModelConfig.MAX_DIMENSION;
        int dim = g.getInt(arch + ".embedding_length", 1, max);
        int hidden = g.getInt(arch + ".feed_forward_length", 1, max);
        int layers = g.getInt(arch + ".block_count", 1, ModelConfig.MAX_LAYERS);
        int heads = g.getInt(arch + ".attention.head_count", 1, 4096);
        int kvHeads = g.getInt(arch + ".attention.head_count_kv", 1, heads, heads);
        if (dim % heads != 0 && !g.has(arch + ".attention.key_length")) {
            throw new ModelFormatException(g.source() + ": embedding length " + dim + " is not a multiple of the head count " + heads);
        }
        int headSize = g.getInt(arch + ".attention.key_length", 1, 4096, dim / heads);
        int valueSize = g.getInt(arch + ".attention.value_length", 1, 4096, headSize);
        if (valueSize != headSize) {
            throw new ModelFormatException(g.source() + ": key length " + headSize + " differs from value length " + valueSize + " (not supported)");
        }
        GGUFTensorInfo embd = g.tensors().get("token_embd.weight");
        if (embd == null) {
            throw new ModelFormatException(g.source() + ": tensor 'token_embd.weight' is missing");
        }
        int vocab = (int) Math.min(Integer.MAX_VALUE, embd.shape()[embd.shape().length - 1]);
        int declared = g.getInt(arch + ".context_length", 1, 1 << 24, 2048);
        float eps = (float) g.getDouble(arch + ".attention.layer_norm_rms_epsilon", 1e-5);
        float theta = (float) g.getDouble(arch + ".rope.freq_base", 10000.0);
        int ropeDims = g.getInt(arch + ".rope.dimension_count", 0, 4096, headSize);
        float linearScale = 1f;
        String scaling = g.getString(arch + ".rope.scaling.type", "none");
        if (scaling.equals("linear")) {
            linearScale = (float) g.getDouble(arch + ".rope.scaling.factor", 1.0);
        } else if (!scaling.equals("none") && !scaling.equals("llama3")) {
            throw new ModelFormatException(g.source() + ": RoPE scaling type '" + scaling + "' is not supported (none, linear, llama3)");
        }
        RopeType ropeType = arch.equals("qwen2") ? RopeType.NEOX : RopeType.NORMAL;
        try {
            return new ModelConfig(arch, dim, hidden, layers, heads, kvHeads, headSize, vocab,
                    contextLength > 0 ? contextLength : declared, declared, eps, theta, ropeDims, ropeType, linearScale);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(g.source() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The weights; with a non-null {@code slabArena}, wide Q8_0 matrices copied into column slabs and Q4_0
     * matrices into their packed layout there (the output matrix too, also when it is the embedding).
     */
    static Weights weights(GGUF g, ModelConfig c, Arena slabArena) {
        int L = c.layers();
        FloatTensor[] wq = new FloatTensor[L], wk = new FloatTensor[L], wv = new FloatTensor[L], wo = new FloatTensor[L];
        FloatTensor[] w1 = new FloatTensor[L], w2 = new FloatTensor[L], w3 = new FloatTensor[L];
        float[][] attnNorm = new float[L][], ffnNorm = new float[L][];
        boolean biases = g.hasTensor("blk.0.attn_q.bias");
        float[][] bq = biases ? new float[L][] : null, bk = biases ? new float[L][] : null, bv = biases ? new float[L][] : null;
        for (int l = 0; l < L; l++) {
            String p = "blk." + l + ".";
            attnNorm[l] = vector(g, p + "attn_norm.weight", c.dim());
            wq[l] = repacked(matrix(g, p + "attn_q.weight", c.queryDim(), c.dim()), c.queryDim(), c.dim(), slabArena);
            wk[l] = repacked(matrix(g, p + "attn_k.weight", c.kvDim(), c.dim()), c.kvDim(), c.dim(), slabArena);
            wv[l] = repacked(matrix(g, p + "attn_v.weight", c.kvDim(), c.dim()), c.kvDim(), c.dim(), slabArena);
            wo[l] = repacked(matrix(g, p + "attn_output.weight", c.dim(), c.queryDim()), c.dim(), c.queryDim(), slabArena);
            if (biases) {
                bq[l] = vector(g, p + "attn_q.bias", c.queryDim());
                bk[l] = vector(g, p + "attn_k.bias", c.kvDim());
                bv[l] = vector(g, p + "attn_v.bias", c.kvDim());
            }
            ffnNorm[l] = vector(g, p + "ffn_norm.weight", c.dim());
            w1[l] = repacked(matrix(g, p + "ffn_gate.weight", c.hiddenDim(), c.dim()), c.hiddenDim(), c.dim(), slabArena);
            w2[l] = repacked(matrix(g, p + "ffn_down.weight", c.dim(), c.hiddenDim()), c.dim(), c.hiddenDim(), slabArena);
            w3[l] = repacked(matrix(g, p + "ffn_up.weight", c.hiddenDim(), c.dim()), c.hiddenDim(), c.dim(), slabArena);
        }
        FloatTensor embedding = matrix(g, "token_embd.weight", c.vocabularySize(), c.dim());
        float[] outNorm = vector(g, "output_norm.weight", c.dim());
        boolean tied = !g.hasTensor("output.weight");
        if (tied) { // the embedding's rows are read one at a time; the output matmul reads them all each step
            embedding = repacked(embedding, c.vocabularySize(), c.dim(), slabArena);
        }
        FloatTensor output = tied ? embedding
                : repacked(matrix(g, "output.weight", c.vocabularySize(), c.dim()), c.vocabularySize(), c.dim(), slabArena);
        float[] ropeFreqs = g.hasTensor("rope_freqs.weight") ? vector(g, "rope_freqs.weight", c.ropeDimensions() / 2) : null;
        return new Weights(embedding, attnNorm, wq, wk, wv, bq, bk, bv, wo, ffnNorm, w1, w2, w3, outNorm, output, ropeFreqs);
    }

    /** {@code t} copied into the layout its CPU kernel reads fastest, where its type has one and arena is non-null. */
    private static FloatTensor repacked(FloatTensor t, int rows, int cols, Arena arena) {
        if (arena == null) {
            return t;
        }
        return TiledQ4_0Tensor.of(SlabbedQ8_0Tensor.ofWide(Q8_0Tensor.withBatchCopy(t, arena), rows, cols, arena), rows, cols, arena);
    }

    /** A [rows][cols] matrix, i.e. ggml shape [cols, rows]. */
    private static FloatTensor matrix(GGUF g, String name, int rows, int cols) {
        GGUFTensorInfo info = info(g, name);
        long[] s = info.shape();
        long rowsIn = 1;
        for (int i = 1; i < s.length; i++) {
            rowsIn *= s[i];
        }
        if (s[0] != cols || rowsIn != rows) {
            throw new ModelFormatException(g.source() + ": tensor '" + name + "' has shape " + Arrays.toString(s)
                    + " but the model's metadata implies [" + cols + ", " + rows + "]");
        }
        return g.tensor(name);
    }

    private static float[] vector(GGUF g, String name, int n) {
        GGUFTensorInfo info = info(g, name);
        if (info.elementCount() != n) {
            throw new ModelFormatException(g.source() + ": tensor '" + name + "' has " + info.elementCount()
                    + " elements but the model's metadata implies " + n);
        }
        float[] v = new float[n];
        g.tensor(name).dequantize(0, v, 0, n);
        return v;
    }

    private static GGUFTensorInfo info(GGUF g, String name) {
        GGUFTensorInfo info = g.tensors().get(name);
        if (info == null) {
            throw new ModelFormatException(g.source() + ": tensor '" + name + "' is missing");
        }
        return info;
    }
}
