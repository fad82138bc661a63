package io.llmpipe.retrieval.embed;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.AbstractInProcessEmbeddingModel;
import dev.langchain4j.model.embedding.onnx.OnnxBertBiEncoder;
import dev.langchain4j.model.embedding.onnx.PoolingMode;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A BERT-style sentence encoder run by ONNX Runtime in process (through LangChain4j's ONNX encoder):
 * all-MiniLM-L6-v2 from its Maven jar by default, or a model and tokenizer.json a user supplies.
 *
 * <p>The window: a text's first {@code maxTokens} word pieces ([CLS] and [SEP] included) are embedded, as
 * sentence-transformers does (all-MiniLM-L6-v2: 256). The tokenizer.json in the Maven jar truncates at its
 * training length, 128, and LangChain4j keeps that: SciFact nDCG@10 0.624 that way instead of the
 * model's published 0.645, so the tokenizer's truncation is rewritten to the window. Embeddings come back
 * unit length.
 */
public final class OnnxEmbedder implements Embedder {
    private final String name;
    private final int maxTokens;
    private final ExecutorService pool;
    private final AbstractInProcessEmbeddingModel model;
    private final int dimension;
    private final HuggingFaceTokenizer counter;

    /** LangChain4j's in-process model around an encoder built here. */
    private static final class Model extends AbstractInProcessEmbeddingModel {
        private final OnnxBertBiEncoder encoder;

        Model(OnnxBertBiEncoder encoder, ExecutorService pool) {
            super(pool);
            this.encoder = encoder;
        }

        @Override
        protected OnnxBertBiEncoder model() {
            return encoder;
        }
    }

    private OnnxEmbedder(String name, InputStream onnx, InputStream tokenizerJson, PoolingMode pooling, int maxTokens)
            throws IOException {
        this.name = name;
        this.maxTokens = maxTokens;
        this.pool = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors(),
                Thread.ofPlatform().name("embed-", 0).daemon().factory());
        byte[] tokenizer = tokenizerJson.readAllBytes();
        this.model = new Model(new OnnxBertBiEncoder(onnx, windowed(new ByteArrayInputStream(tokenizer), maxTokens), pooling), pool);
        this.dimension = model.dimension();
        // A second tokenizer without the cut, to tell how long a text is (chunking, usage).
        this.counter = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(tokenizer),
                Map.of("truncation", "false", "padding", "false"));
    }

    /** all-MiniLM-L6-v2 (384 dimensions, mean pooling, 256 word pieces), loaded from the classpath. */
    public static OnnxEmbedder miniLm() {
        try (InputStream onnx = resource("/all-minilm-l6-v2.onnx"); InputStream json = resource("/all-minilm-l6-v2-tokenizer.json")) {
            return new OnnxEmbedder("all-MiniLM-L6-v2", onnx, json, PoolingMode.MEAN, 256);
        } catch (IOException e) {
            throw new UncheckedIOException("all-MiniLM-L6-v2 cannot be read from its jar", e);
        }
    }

    private static InputStream resource(String path) throws IOException {
        InputStream in = AllMiniLmL6V2EmbeddingModel.class.getResourceAsStream(path);
        if (in == null) {
            throw new IOException(path + " is not on the classpath");
        }
        return in;
    }

    /**
     * A user's model.
     *
     * @param pooling   {@code mean} or {@code cls}, as the model was trained
     * @param maxTokens the model's window in word pieces, [CLS] and [SEP] included
     */
    public static OnnxEmbedder fromFiles(Path model, Path tokenizer, String pooling, int maxTokens) {
        for (Path p : List.of(model, tokenizer)) {
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException("embedding model file " + p + " does not exist");
            }
        }
        PoolingMode mode = switch (pooling) {
            case "mean" -> PoolingMode.MEAN;
            case "cls" -> PoolingMode.CLS;
            default -> throw new IllegalArgumentException("pooling must be mean or cls, got '" + pooling + "'");
        };
        if (maxTokens < 8 || maxTokens > 8192) {
            throw new IllegalArgumentException("maxTokens must be in [8, 8192], got " + maxTokens);
        }
        String fileName = model.getFileName().toString();
        try (InputStream onnx = Files.newInputStream(model); InputStream json = Files.newInputStream(tokenizer)) {
            return new OnnxEmbedder(fileName.endsWith(".onnx") ? fileName.substring(0, fileName.length() - 5) : fileName,
                    onnx, json, mode, maxTokens);
        } catch (IOException e) {
            throw new UncheckedIOException("embedding model " + model + " cannot be read", e);
        }
    }

    /** The tokenizer.json with its truncation set to the window and no padding. */
    static InputStream windowed(InputStream tokenizerJson, int maxTokens) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = (ObjectNode) json.readTree(tokenizerJson);
        ObjectNode truncation = json.createObjectNode().put("direction", "Right").put("max_length", maxTokens)
                .put("strategy", "LongestFirst").put("stride", 0);
        root.set("truncation", truncation);
        root.putNull("padding");
        return new ByteArrayInputStream(json.writeValueAsBytes(root));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String fingerprint() {
        return name + "-window" + maxTokens;
    }

    @Override
    public int dimension() {
        return dimension;
    }

    @Override
    public int maxTokens() {
        return maxTokens;
    }

    @Override
    public int countTokens(String text) {
        return counter.encode(text).getIds().length;
    }

    @Override
    public float[][] embed(List<String> texts) {
        if (texts.isEmpty()) {
            return new float[0][];
        }
        List<TextSegment> segments = new ArrayList<>(texts.size());
        for (String t : texts) {
            // LangChain4j refuses a blank text; it embeds as the neutral "."
            segments.add(TextSegment.from(t.isBlank() ? "." : t));
        }
        List<Embedding> embeddings = model.embedAll(segments).content();
        float[][] out = new float[embeddings.size()][];
        for (int i = 0; i < out.length; i++) {
            float[] v = embeddings.get(i).vector();
            double norm = 0;
            for (float x : v) {
                norm += x * x;
            }
            float inv = norm > 0 ? (float) (1 / Math.sqrt(norm)) : 0f;
            for (int d = 0; d < v.length; d++) {
                v[d] *= inv;
            }
            out[i] = v;
        }
        return out;
    }

    @Override
    public void close() {
        pool.shutdownNow();
        counter.close();
    }
}
