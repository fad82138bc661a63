package io.llmpipe.engine.model;

import io.llmpipe.engine.gguf.GGUFWriter;
import io.llmpipe.engine.tensor.FloatTensor;
import io.llmpipe.engine.tensor.GGMLType;
import io.llmpipe.engine.tensor.Quantizer;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * Writes {@link ReferenceLlama.Params} as a GGUF file with the matrices in a chosen tensor type
 * (norms, biases and rope factors stay F32), and replaces the params' matrices by their dequantized
 * values, so the float64 reference runs on exactly the weights the engine reads.
 */
final class TinyGGUF {
    private TinyGGUF() {
    }

    static void write(TinyModels.Spec spec, ReferenceLlama.Params p, GGMLType type, Path file) throws IOException {
        String a = spec.architecture();
        GGUFWriter w = new GGUFWriter();
        w.putString("general.architecture", a);
        w.putUInt32(a + ".embedding_length", p.dim);
        w.putUInt32(a + ".feed_forward_length", p.hidden);
        w.putUInt32(a + ".block_count", p.layers);
        w.putUInt32(a + ".attention.head_count", p.heads);
        w.putUInt32(a + ".attention.head_count_kv", p.kvHeads);
        w.putUInt32(a + ".context_length", 64);
        w.putFloat32(a + ".rope.freq_base", (float) p.theta);
        w.putFloat32(a + ".attention.layer_norm_rms_epsilon", (float) p.eps);
        if (p.linearScale != 1) {
            w.putString(a + ".rope.scaling.type", "linear");
            w.putFloat32(a + ".rope.scaling.factor", (float) p.linearScale);
        }
        String[] tokens = new String[p.vocab];
        float[] scores = new float[p.vocab];
        int[] types = new int[p.vocab];
        tokens[0] = "<unk>";
        tokens[1] = "<s>";
        tokens[2] = "</s>";
        types[0] = 2;
        types[1] = types[2] = 3;
        for (int i = 3; i < p.vocab; i++) {
            tokens[i] = "tok" + i;
            types[i] = 1;
        }
        w.putString("tokenizer.ggml.model", "llama");
        w.putArray("tokenizer.ggml.tokens", tokens);
        w.putArray("tokenizer.ggml.scores", scores);
        w.putArray("tokenizer.ggml.token_type", types);
        w.putUInt32("tokenizer.ggml.bos_token_id", 1);
        w.putUInt32("tokenizer.ggml.eos_token_id", 2);

        p.embedding = matrix(w, "token_embd.weight", p.embedding, type);
        for (int l = 0; l < p.layers; l++) {
            String b = "blk." + l + ".";
            vector(w, b + "attn_norm.weight", p.attnNorm[l]);
            vector(w, b + "ffn_norm.weight", p.ffnNorm[l]);
            p.wq[l] = matrix(w, b + "attn_q.weight", p.wq[l], type);
            p.wk[l] = matrix(w, b + "attn_k.weight", p.wk[l], type);
            p.wv[l] = matrix(w, b + "attn_v.weight", p.wv[l], type);
            p.wo[l] = matrix(w, b + "attn_output.weight", p.wo[l], type);
            p.w1[l] = matrix(w, b + "ffn_gate.weight", p.w1[l], type);
            p.w2[l] = matrix(w, b + "ffn_down.weight", p.w2[l], type);
            p.w3[l] = matrix(w, b + "ffn_up.weight", p.w3[l], type);
            if (p.bq != null) {
                vector(w, b + "attn_q.bias", p.bq[l]);
                vector(w, b + "attn_k.bias", p.bk[l]);
                vector(w, b + "attn_v.bias", p.bv[l]);
            }
        }
        vector(w, "output_norm.weight", p.outputNorm);
        if (spec.separateOutput()) {
            p.output = matrix(w, "output.weight", p.output, type);
        } else {
            p.output = p.embedding;
        }
        if (p.ropeFreqFactors != null) {
            vector(w, "rope_freqs.weight", p.ropeFreqFactors);
        }
        w.write(file);
    }

    /** Adds the matrix in {@code type} and returns its dequantized values. */
    private static double[][] matrix(GGUFWriter w, String name, double[][] m, GGMLType type) {
        int rows = m.length, cols = m[0].length;
        float[] flat = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                flat[r * cols + c] = (float) m[r][c];
            }
        }
        byte[] bytes = Quantizer.quantize(type, flat);
        w.addTensor(name, type, new long[]{cols, rows}, dst -> MemorySegment.copy(MemorySegment.ofArray(bytes), 0, dst, 0, bytes.length));
        FloatTensor t = FloatTensor.of(type, MemorySegment.ofArray(bytes), flat.length);
        double[][] back = new double[rows][cols];
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            t.dequantize((long) r * cols, row, 0, cols);
            for (int c = 0; c < cols; c++) {
                back[r][c] = row[c];
            }
        }
        return back;
    }

    private static void vector(GGUFWriter w, String name, double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
            v[i] = f[i]; // the reference sees the float32 value the file holds
        }
        w.addTensor(name, GGMLType.F32, new long[]{v.length}, f);
    }
}
