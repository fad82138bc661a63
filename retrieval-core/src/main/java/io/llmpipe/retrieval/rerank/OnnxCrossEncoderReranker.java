package io.llmpipe.retrieval.rerank;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A trained cross-encoder (sentence-transformers / HuggingFace kind, e.g. cross-encoder/ms-marco-MiniLM-L-6-v2
 * exported to ONNX) run by ONNX Runtime: each (query, passage text) pair is read by the model together and
 * scored by its relevance logit. It takes {@link MultiViewReranker}'s place when a user supplies a model.
 *
 * <p>Model contract, checked when the model is loaded: inputs {@code input_ids} and {@code attention_mask},
 * plus {@code token_type_ids} when the model declares it, all int64 {@code [batch, seq]}; one float output
 * ({@code logits} when there are several) of shape {@code [batch, 1]} (the relevance logit is the score) or
 * {@code [batch, 2]} (a two-class head: the score is {@code logit[1] - logit[0]}, the log-odds of the
 * "relevant" class after softmax, so it is on the same scale as a one-logit head and does not move when
 * the head shifts both logits alike).
 *
 * <p>Pairs are encoded as the tokenizer.json's pair template ({@code [CLS] query [SEP] passage [SEP]} for
 * BERT), cut to {@code maxTokens} word pieces with the longest-first strategy (what sentence-transformers'
 * {@code CrossEncoder} does: a short query stays whole and the passage loses its tail), and padded per
 * batch to the longest pair with the tokenizer's pad id (0 when the tokenizer.json names none) and mask 0.
 *
 * <p>Threads: {@link #rerank} and {@link #score} may be called from any number of threads at once (ONNX
 * Runtime sessions and the Rust tokenizer are safe for concurrent use); ONNX Runtime's own thread pool
 * runs each batch. {@link #close} must not race a call. The caller owns the instance and closes it; the
 * returned lists belong to the caller.
 */
public final class OnnxCrossEncoderReranker implements Reranker, AutoCloseable {
    /** Pairs per ONNX Runtime call: big enough to fill the CPU's vector units, small enough to pad little. */
    public static final int DEFAULT_BATCH_SIZE = 16;
    private static final String INPUT_IDS = "input_ids";
    private static final String ATTENTION_MASK = "attention_mask";
    private static final String TOKEN_TYPE_IDS = "token_type_ids";
    private static final Set<String> KNOWN_INPUTS = Set.of(INPUT_IDS, ATTENTION_MASK, TOKEN_TYPE_IDS);

    private final Path modelFile;
    private final OrtEnvironment environment;
    private final OrtSession session;
    private final HuggingFaceTokenizer tokenizer;
    private final boolean takesTokenTypes;
    private final String logitsName;
    private final long padId;
    private final int maxTokens;
    private final int batchSize;

    private OnnxCrossEncoderReranker(Path modelFile, OrtEnvironment environment, OrtSession session,
            HuggingFaceTokenizer tokenizer, boolean takesTokenTypes, String logitsName, long padId, int maxTokens,
            int batchSize) {
        this.modelFile = modelFile;
        this.environment = environment;
        this.session = session;
        this.tokenizer = tokenizer;
        this.takesTokenTypes = takesTokenTypes;
        this.logitsName = logitsName;
        this.padId = padId;
        this.maxTokens = maxTokens;
        this.batchSize = batchSize;
    }

    /** A user's cross-encoder scored {@link #DEFAULT_BATCH_SIZE} pairs at a time. */
    public static OnnxCrossEncoderReranker fromFiles(Path model, Path tokenizerJson, int maxTokens) {
        return fromFiles(model, tokenizerJson, maxTokens, DEFAULT_BATCH_SIZE);
    }

    /**
     * A user's cross-encoder.
     *
     * @param model         the ONNX file
     * @param tokenizerJson the HuggingFace tokenizer.json the model was trained with
     * @param maxTokens     the pair's window in word pieces, special tokens included (ms-marco-MiniLM: 512)
     * @param batchSize     pairs per ONNX Runtime call
     * @throws IllegalArgumentException naming the file when a file is missing or unreadable or the model
     *                                  does not have the inputs and output described above
     */
    public static OnnxCrossEncoderReranker fromFiles(Path model, Path tokenizerJson, int maxTokens, int batchSize) {
        if (!Files.isRegularFile(model)) {
            throw new IllegalArgumentException("cross-encoder model file " + model + " does not exist");
        }
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new IllegalArgumentException("cross-encoder tokenizer file " + tokenizerJson + " does not exist");
        }
        if (maxTokens < 8 || maxTokens > 8192) {
            throw new IllegalArgumentException("maxTokens must be in [8, 8192], got " + maxTokens);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
        }
        long padId;
        HuggingFaceTokenizer tokenizer;
        try {
            byte[] json = Files.readAllBytes(tokenizerJson);
            padId = padId(json);
            // the options override whatever truncation and padding the tokenizer.json was saved with
            tokenizer = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json), Map.of(
                    "maxLength", Integer.toString(maxTokens), "truncation", "longest_first", "padding", "false"));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("cross-encoder tokenizer file " + tokenizerJson + " cannot be loaded: "
                    + e.getMessage(), e);
        }
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        OrtSession session = null;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            session = environment.createSession(model.toString(), options);
            boolean takesTokenTypes = checkInputs(model, session.getInputInfo());
            String logitsName = checkOutput(model, session.getOutputInfo());
            return new OnnxCrossEncoderReranker(model, environment, session, tokenizer, takesTokenTypes, logitsName,
                    padId, maxTokens, batchSize);
        } catch (OrtException | RuntimeException e) {
            tokenizer.close();
            closeQuietly(session);
            if (e instanceof IllegalArgumentException invalid) {
                throw invalid;
            }
            throw new IllegalArgumentException("cross-encoder model file " + model + " cannot be loaded: "
                    + e.getMessage(), e);
        }
    }

    /** The tokenizer.json's padding id, or 0 (BERT's [PAD]) when it names none. */
    private static long padId(byte[] tokenizerJson) throws IOException {
        JsonNode padding = new ObjectMapper().readTree(tokenizerJson).path("padding");
        return padding.path("pad_id").asLong(0);
    }

    /** Whether the model takes token type ids; throws when an input cannot be fed. */
    private static boolean checkInputs(Path model, Map<String, NodeInfo> inputs) {
        for (String required : List.of(INPUT_IDS, ATTENTION_MASK)) {
            if (!inputs.containsKey(required)) {
                throw new IllegalArgumentException("cross-encoder model file " + model + " has no " + required
                        + " input (inputs: " + inputs.keySet() + ")");
            }
        }
        for (NodeInfo input : inputs.values()) {
            if (!KNOWN_INPUTS.contains(input.getName())) {
                throw new IllegalArgumentException("cross-encoder model file " + model + " has an input " + input.getName()
                        + " this reranker cannot feed (it feeds " + KNOWN_INPUTS + ")");
            }
            if (!(input.getInfo() instanceof TensorInfo tensor) || tensor.type != OnnxJavaType.INT64
                    || tensor.getShape().length != 2) {
                throw new IllegalArgumentException("cross-encoder model file " + model + ": input " + input.getName()
                        + " must be an int64 [batch, seq] tensor, is " + input.getInfo());
            }
        }
        return inputs.containsKey(TOKEN_TYPE_IDS);
    }

    /** The name of the logits output; throws when its shape is neither [batch, 1] nor [batch, 2]. */
    private static String checkOutput(Path model, Map<String, NodeInfo> outputs) {
        NodeInfo logits = outputs.containsKey("logits") ? outputs.get("logits") : outputs.values().iterator().next();
        if (!(logits.getInfo() instanceof TensorInfo tensor) || tensor.type != OnnxJavaType.FLOAT
                || tensor.getShape().length != 2) {
            throw new IllegalArgumentException("cross-encoder model file " + model + ": output " + logits.getName()
                    + " must be a float [batch, 1] or [batch, 2] tensor, is " + logits.getInfo());
        }
        long classes = tensor.getShape()[1];
        // a dimension the model leaves symbolic (-1) is checked on the first batch instead
        if (classes != 1 && classes != 2 && classes != -1) {
            throw new IllegalArgumentException("cross-encoder model file " + model + ": output " + logits.getName()
                    + " has shape " + Arrays.toString(tensor.getShape()) + "; expected [batch, 1] or [batch, 2]");
        }
        return logits.getName();
    }

    public int maxTokens() {
        return maxTokens;
    }

    public int batchSize() {
        return batchSize;
    }

    /**
     * Every candidate scored by the model, best first, ties by id (so the order does not depend on the order
     * candidates arrive in); {@code views} holds the one score. The query embedding is not read.
     *
     * @throws IllegalArgumentException when a candidate has no text
     */
    @Override
    public List<Ranked> rerank(float[] queryEmbedding, String queryText, List<Candidate> candidates) {
        List<String> passages = new ArrayList<>(candidates.size());
        for (Candidate c : candidates) {
            if (c.text() == null) {
                throw new IllegalArgumentException("candidate " + c.id()
                        + " has no text; a cross-encoder reranker reads each passage's text");
            }
            passages.add(c.text());
        }
        double[] scores = score(queryText, passages);
        List<Ranked> ranked = new ArrayList<>(candidates.size());
        for (int i = 0; i < scores.length; i++) {
            ranked.add(new Ranked(candidates.get(i), scores[i], new double[]{scores[i]}));
        }
        ranked.sort(Comparator.comparingDouble(Ranked::score).reversed().thenComparing(r -> r.candidate().id()));
        return ranked;
    }

    /** The model's score of each (query, passage) pair, in the passages' order. */
    public double[] score(String query, List<String> passages) {
        if (query == null) {
            throw new IllegalArgumentException("a cross-encoder reranker needs the query text");
        }
        double[] scores = new double[passages.size()];
        for (int from = 0; from < passages.size(); from += batchSize) {
            int to = Math.min(passages.size(), from + batchSize);
            float[][] logits = run(query, passages.subList(from, to));
            for (int i = 0; i < logits.length; i++) {
                scores[from + i] = switch (logits[i].length) {
                    case 1 -> logits[i][0];
                    case 2 -> (double) logits[i][1] - logits[i][0];
                    default -> throw new IllegalArgumentException("cross-encoder model file " + modelFile
                            + " produced " + logits[i].length + " logits per pair; expected 1 or 2");
                };
            }
        }
        return scores;
    }

    /** One batch through the model: the logits, {@code [pairs][classes]}. */
    private float[][] run(String query, List<String> passages) {
        int pairs = passages.size();
        Encoding[] encodings = new Encoding[pairs];
        int seq = 0;
        for (int i = 0; i < pairs; i++) {
            encodings[i] = tokenizer.encode(query, passages.get(i));
            seq = Math.max(seq, encodings[i].getIds().length);
        }
        // [pairs][seq] row-major, padded after each pair's tokens: pad id, mask 0, type 0
        long[] ids = new long[pairs * seq];
        long[] mask = new long[pairs * seq];
        long[] types = new long[pairs * seq];
        Arrays.fill(ids, padId);
        for (int i = 0; i < pairs; i++) {
            Encoding e = encodings[i];
            System.arraycopy(e.getIds(), 0, ids, i * seq, e.getIds().length);
            System.arraycopy(e.getAttentionMask(), 0, mask, i * seq, e.getAttentionMask().length);
            System.arraycopy(e.getTypeIds(), 0, types, i * seq, e.getTypeIds().length);
        }
        long[] shape = {pairs, seq};
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            inputs.put(INPUT_IDS, OnnxTensor.createTensor(environment, LongBuffer.wrap(ids), shape));
            inputs.put(ATTENTION_MASK, OnnxTensor.createTensor(environment, LongBuffer.wrap(mask), shape));
            if (takesTokenTypes) {
                inputs.put(TOKEN_TYPE_IDS, OnnxTensor.createTensor(environment, LongBuffer.wrap(types), shape));
            }
            try (OrtSession.Result result = session.run(inputs, Set.of(logitsName))) {
                OnnxValue logits = result.get(logitsName).orElseThrow();
                if (!(logits.getValue() instanceof float[][] rows) || rows.length != pairs) {
                    throw new IllegalArgumentException("cross-encoder model file " + modelFile + " produced "
                            + logits.getInfo() + " for " + pairs + " pairs; expected float [batch, 1] or [batch, 2]");
                }
                return rows;
            }
        } catch (OrtException e) {
            throw new IllegalStateException("cross-encoder " + modelFile + " failed on a batch of " + pairs + " pairs", e);
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    private static void closeQuietly(OrtSession session) {
        if (session != null) {
            try {
                session.close();
            } catch (OrtException ignored) {
                // already failing to load; the load error is the one to report
            }
        }
    }

    /** Releases the session and the tokenizer (the ONNX Runtime environment is process-wide and stays). */
    @Override
    public void close() {
        tokenizer.close();
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("cross-encoder " + modelFile + " cannot be closed", e);
        }
    }
}
