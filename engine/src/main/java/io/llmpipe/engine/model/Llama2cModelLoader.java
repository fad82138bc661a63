package io.llmpipe.engine.model;

import io.llmpipe.engine.ModelFormatException;
import io.llmpipe.engine.tensor.FloatTensor;
import io.llmpipe.engine.tensor.GGMLType;
import io.llmpipe.engine.tokenizer.ChatTemplate;
import io.llmpipe.engine.tokenizer.Tokenizer;
import io.llmpipe.engine.tokenizer.Tokenizers;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * llama2.c "legacy" checkpoints (version 0, float32): a 7-int header (dim, hidden_dim, n_layers,
 * n_heads, n_kv_heads, vocab_size, seq_len; a negative vocab_size means an untied classifier follows),
 * then the weights in a fixed order. RoPE rotates adjacent pairs with base 10000; RMSNorm eps 1e-5.
 */
final class Llama2cModelLoader {
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int HEADER_BYTES = 7 * Integer.BYTES;

    private Llama2cModelLoader() {
    }

    static Model load(Path path, Path tokenizerPath, int contextLength) {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment file;
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                file = FloatTensor.nativeView(ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena), arena);
            }
            if (file.byteSize() < HEADER_BYTES) {
                throw new ModelFormatException(path + ": file of " + file.byteSize() + " bytes is too short for a llama2.c header (and it is not GGUF)");
            }
            int[] h = new int[7];
            MemorySegment.copy(file, INT, 0, h, 0, 7);
            int dim = h[0], hidden = h[1], layers = h[2], heads = h[3], kvHeads = h[4], vocab = h[5], seqLen = h[6];
            boolean tied = vocab > 0;
            vocab = Math.abs(vocab);
            if (dim <= 0 || hidden <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || vocab <= 0 || seqLen <= 0
                    || dim > ModelConfig.MAX_DIMENSION || hidden > ModelConfig.MAX_DIMENSION || layers > ModelConfig.MAX_LAYERS
                    || heads > dim || kvHeads > heads || dim % heads != 0 || heads % kvHeads != 0 || vocab > 1 << 24 || seqLen > 1 << 24) {
                throw new ModelFormatException(String.format(
                        "%s: not a GGUF file, and its llama2.c header is absurd (dim %d, hidden %d, layers %d, heads %d, kv heads %d, vocab %d, seq_len %d)",
                        path, h[0], h[1], h[2], h[3], h[4], h[5], h[6]));
            }
            int headSize = dim / heads;
            int kvDim = kvHeads * headSize;
            long floats = (long) vocab * dim
                    + (long) layers * (2L * dim + (long) dim * dim * 2 + (long) kvDim * dim * 2 + 3L * dim * hidden)
                    + dim + (long) seqLen * headSize // freq_cis_real + imag
                    + (tied ? 0 : (long) vocab * dim);
            long expected = HEADER_BYTES + floats * Float.BYTES;
            if (file.byteSize() < expected) {
                throw new ModelFormatException(path + ": truncated llama2.c checkpoint: the header needs " + expected
                        + " bytes but the file has " + file.byteSize());
            }
            ModelConfig config = new ModelConfig("llama", dim, hidden, layers, heads, kvHeads, headSize, vocab,
                    contextLength > 0 ? contextLength : seqLen, seqLen, 1e-5f, 10000f, headSize, RopeType.NORMAL, 1f);

            Cursor c = new Cursor(file, HEADER_BYTES);
            FloatTensor embedding = c.matrix(vocab, dim);
            float[][] attnNorm = c.vectors(layers, dim);
            FloatTensor[] wq = c.matrices(layers, dim, dim);
            FloatTensor[] wk = c.matrices(layers, kvDim, dim);
            FloatTensor[] wv = c.matrices(layers, kvDim, dim);
            FloatTensor[] wo = c.matrices(layers, dim, dim);
            float[][] ffnNorm = c.vectors(layers, dim);
            FloatTensor[] w1 = c.matrices(layers, hidden, dim);
            FloatTensor[] w2 = c.matrices(layers, dim, hidden);
            FloatTensor[] w3 = c.matrices(layers, hidden, dim);
            float[] outNorm = c.vectors(1, dim)[0];
            c.skip((long) seqLen * headSize); // precomputed RoPE tables, recomputed at run time
            FloatTensor output = tied ? embedding : c.matrix(vocab, dim);
            Weights weights = new Weights(embedding, attnNorm, wq, wk, wv, null, null, null, wo, ffnNorm, w1, w2, w3, outNorm, output, null);

            Path tokPath = tokenizerPath != null ? tokenizerPath : findTokenizer(path, vocab);
            Tokenizer tokenizer = Tokenizers.fromLlama2c(tokPath, vocab);
            String fingerprint = Fingerprints.of("llama2c", config, file.asSlice(0, Math.min(file.byteSize(), 1 << 20)), file.byteSize());
            return new Model(ModelLoader.baseName(path), fingerprint, config, weights, tokenizer,
                    ChatTemplate.forTokenizer(tokenizer), arena);
        } catch (IOException e) {
            arena.close();
            throw new ModelFormatException("cannot read " + path + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            if (e instanceof IllegalArgumentException) {
                throw new ModelFormatException(path + ": " + e.getMessage(), e);
            }
            throw e;
        }
    }

    /** llama2.c convention: tok{vocab}.bin for custom vocabularies, else tokenizer.bin, beside the model. */
    private static Path findTokenizer(Path model, int vocab) {
        Path dir = model.toAbsolutePath().getParent();
        for (String name : new String[]{"tok" + vocab + ".bin", "tokenizer.bin"}) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new ModelFormatException(model + " is a llama2.c checkpoint, which needs a tokenizer file: none found beside it (tried tok"
                + vocab + ".bin, tokenizer.bin); pass one explicitly");
    }

    /** Sequential reader of the checkpoint's float arrays. */
    private static final class Cursor {
        private final MemorySegment file;
        private long pos;

        Cursor(MemorySegment file, long pos) {
            this.file = file;
            this.pos = pos;
        }

        FloatTensor matrix(int rows, int cols) {
            long n = (long) rows * cols;
            FloatTensor t = FloatTensor.of(GGMLType.F32, file.asSlice(pos, n * Float.BYTES), n);
            pos += n * Float.BYTES;
            return t;
        }

        FloatTensor[] matrices(int count, int rows, int cols) {
            FloatTensor[] r = new FloatTensor[count];
            for (int i = 0; i < count; i++) {
                r[i] = matrix(rows, cols);
            }
            return r;
        }

        float[][] vectors(int count, int n) {
            float[][] r = new float[count][n];
            for (int i = 0; i < count; i++) {
                MemorySegment.copy(file, FLOAT, pos, r[i], 0, n);
                pos += (long) n * Float.BYTES;
            }
            return r;
        }

        void skip(long floats) {
            pos += floats * Float.BYTES;
        }
    }
}
