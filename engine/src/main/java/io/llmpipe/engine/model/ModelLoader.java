package io.llmpipe.engine.model;

import io.llmpipe.engine.ModelFormatException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Loads a model file of either supported format, recognised by its first bytes: GGUF (v2/v3) or a
 * llama2.c checkpoint (which needs a tokenizer file beside it or named explicitly).
 */
public final class ModelLoader {

    /**
     * @param modelPath     a .gguf file or a llama2.c .bin checkpoint
     * @param tokenizerPath a llama2.c tokenizer file, or null to look beside the model (llama2.c only;
     *                      GGUF files carry their tokenizer)
     * @param contextLength positions to allow, or 0 for what the file declares
     * @param slabWideMatrices copy wide Q8_0 matrices into column slabs and Q4_0 matrices into row
     *                         tiles for decode speed ({@link io.llmpipe.engine.tensor.SlabbedQ8_0Tensor},
     *                         {@link io.llmpipe.engine.tensor.TiledQ4_0Tensor}); off for processes that
     *                         only tokenize (the gateway). The 3-argument form reads
     *                         {@code -Dllmpipe.engine.slab-wide-matrices} (default true).
     */
    public record Options(Path modelPath, Path tokenizerPath, int contextLength, boolean slabWideMatrices) {
        public Options(Path modelPath, Path tokenizerPath, int contextLength) {
            this(modelPath, tokenizerPath, contextLength,
                    Boolean.parseBoolean(System.getProperty("llmpipe.engine.slab-wide-matrices", "true")));
        }

        public Options {
            if (modelPath == null) {
                throw new IllegalArgumentException("model path is required");
            }
            if (contextLength < 0) {
                throw new IllegalArgumentException("context length must be >= 0, got " + contextLength);
            }
        }

        public static Options of(Path modelPath) {
            return new Options(modelPath, null, 0);
        }
    }

    private ModelLoader() {
    }

    public static Model load(Options options) {
        Path path = options.modelPath();
        if (!Files.isRegularFile(path)) {
            throw new ModelFormatException("model file " + path + " does not exist or is not a file");
        }
        if (isGGUF(path)) {
            if (options.tokenizerPath() != null) {
                throw new ModelFormatException(path + " is a GGUF file, which carries its own tokenizer: do not pass a tokenizer file");
            }
            return GGUFModelLoader.load(path, options.contextLength(), options.slabWideMatrices());
        }
        return Llama2cModelLoader.load(path, options.tokenizerPath(), options.contextLength());
    }

    static boolean isGGUF(Path path) {
        try (InputStream in = Files.newInputStream(path)) {
            byte[] head = in.readNBytes(4);
            return head.length == 4 && ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).getInt() == io.llmpipe.engine.gguf.GGUF.MAGIC;
        } catch (IOException e) {
            throw new ModelFormatException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    static String baseName(Path path) {
        String name = path.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }
}
