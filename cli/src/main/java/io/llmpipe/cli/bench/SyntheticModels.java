package io.llmpipe.cli.bench;

import io.llmpipe.engine.gguf.GGUFWriter;
import io.llmpipe.engine.tensor.GGMLType;
import io.llmpipe.engine.tensor.Quantizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Random-weight models and tensors for benchmarks. Speed does not depend on weight values, so a
 * tensor is a block of random quantized rows tiled to full size: writing a 1.3 GB model takes
 * seconds. A synthetic vocabulary stands in for the real one.
 */
public final class SyntheticModels {
    private static final int SEED_ROWS = 32;

    private SyntheticModels() {
    }

    /** Fills {@code dst} with {@code rows x cols} random values of {@code type}. */
    public static void fillRandom(MemorySegment dst, GGMLType type, int rows, int cols, long seed) {
        fill(dst, type, rows, cols, seed, 0.02f);
    }

    private static void fill(MemorySegment dst, GGMLType type, int rows, int cols, long seed, float scale) {
        int seedRows = Math.min(SEED_ROWS, rows);
        float[] values = new float[seedRows * cols];
        Random rnd = new Random(seed);
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) rnd.nextGaussian() * scale;
        }
        long rowBytes = type.byteSize(cols);
        long block = rowBytes * seedRows;
        Quantizer.quantize(type, values, 0, values.length, dst, 0);
        for (long off = block; off < rowBytes * rows; off += block) {
            MemorySegment.copy(dst, 0, dst, off, Math.min(block, rowBytes * rows - off));
        }
    }

    /**
     * A GGUF with the shape of Llama-3.2-1B (dim 2048, FFN 8192, 16 layers, 32 query / 8 KV heads,
     * 128,256-token vocabulary, tied embeddings, RoPE base 500000), matrices in {@code type}; written
     * once into {@code dir} and reused.
     */
    public static Path llama32_1bShape(Path dir, GGMLType type, PrintWriter log) throws IOException {
        return llama32_1bShape(dir, type, 16, log);
    }

    /** As {@link #llama32_1bShape(Path, GGMLType, PrintWriter)} with {@code layers} of its 16 layers. */
    public static Path llama32_1bShape(Path dir, GGMLType type, int layers, PrintWriter log) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve("llama-3.2-1b-shape-" + type.name() + (layers == 16 ? "" : "-" + layers + "-layers") + ".gguf");
        if (Files.isRegularFile(file)) {
            return file;
        }
        int dim = 2048, hidden = 8192, heads = 32, kvHeads = 8, vocab = 128256;
        int headSize = dim / heads, kvDim = kvHeads * headSize;
        log.printf("writing %s (random weights, synthetic vocabulary)...%n", file);
        log.flush();
        GGUFWriter w = new GGUFWriter();
        w.putString("general.architecture", "llama");
        w.putString("general.name", "llama-3.2-1b-shape (random weights)");
        w.putUInt32("llama.embedding_length", dim);
        w.putUInt32("llama.feed_forward_length", hidden);
        w.putUInt32("llama.block_count", layers);
        w.putUInt32("llama.attention.head_count", heads);
        w.putUInt32("llama.attention.head_count_kv", kvHeads);
        w.putUInt32("llama.context_length", 131072);
        w.putUInt32("llama.rope.dimension_count", headSize);
        w.putFloat32("llama.rope.freq_base", 500000f);
        w.putFloat32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
        String[] tokens = new String[vocab];
        float[] scores = new float[vocab];
        int[] types = new int[vocab];
        tokens[0] = "<unk>";
        tokens[1] = "<s>";
        tokens[2] = "</s>";
        types[0] = 2;
        types[1] = types[2] = 3;
        for (int b = 0; b < 256; b++) {
            tokens[3 + b] = String.format("<0x%02X>", b);
            types[3 + b] = 6;
        }
        for (int i = 259; i < vocab; i++) {
            tokens[i] = "t" + i;
            types[i] = 1;
            scores[i] = -i;
        }
        w.putString("tokenizer.ggml.model", "llama");
        w.putArray("tokenizer.ggml.tokens", tokens);
        w.putArray("tokenizer.ggml.scores", scores);
        w.putArray("tokenizer.ggml.token_type", types);
        w.putUInt32("tokenizer.ggml.bos_token_id", 1);
        w.putUInt32("tokenizer.ggml.eos_token_id", 2);
        w.putUInt32("tokenizer.ggml.unknown_token_id", 0);
        long[] seed = {1};
        matrix(w, "token_embd.weight", type, vocab, dim, seed[0]++, 1f);
        for (int l = 0; l < layers; l++) {
            String p = "blk." + l + ".";
            ones(w, p + "attn_norm.weight", dim);
            matrix(w, p + "attn_q.weight", type, dim, dim, seed[0]++, 0.02f);
            matrix(w, p + "attn_k.weight", type, kvDim, dim, seed[0]++, 0.02f);
            matrix(w, p + "attn_v.weight", type, kvDim, dim, seed[0]++, 0.02f);
            matrix(w, p + "attn_output.weight", type, dim, dim, seed[0]++, 0.02f);
            ones(w, p + "ffn_norm.weight", dim);
            matrix(w, p + "ffn_gate.weight", type, hidden, dim, seed[0]++, 0.02f);
            matrix(w, p + "ffn_down.weight", type, dim, hidden, seed[0]++, 0.02f);
            matrix(w, p + "ffn_up.weight", type, hidden, dim, seed[0]++, 0.02f);
        }
        ones(w, "output_norm.weight", dim);
        w.write(file);
        return file;
    }

    private static void matrix(GGUFWriter w, String name, GGMLType type, int rows, int cols, long seed, float scale) {
        w.addTensor(name, type, new long[]{cols, rows}, dst -> fill(dst, type, rows, cols, seed, scale));
    }

    private static void ones(GGUFWriter w, String name, int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 1f);
        w.addTensor(name, GGMLType.F32, new long[]{n}, v);
    }
}
