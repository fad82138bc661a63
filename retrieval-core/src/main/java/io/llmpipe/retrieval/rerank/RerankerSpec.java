package io.llmpipe.retrieval.rerank;

import java.nio.file.Path;

/**
 * Which reranker a service runs, parsed once from one configuration string:
 * <ul>
 *   <li>{@code multi-view}: the training-free {@link MultiViewReranker} with equal weights;</li>
 *   <li>{@code onnx:MODEL.onnx,TOKENIZER.json[,MAX_TOKENS]}: a user's {@link OnnxCrossEncoderReranker}
 *       (window {@link #DEFAULT_MAX_TOKENS} unless given; the paths must not contain commas).</li>
 * </ul>
 * Immutable; any thread.
 */
public sealed interface RerankerSpec {
    /** The window of BERT-sized cross-encoders such as ms-marco-MiniLM-L-6-v2. */
    int DEFAULT_MAX_TOKENS = 512;

    record MultiView(MultiViewReranker.Weights weights) implements RerankerSpec {
    }

    record CrossEncoder(Path model, Path tokenizerJson, int maxTokens) implements RerankerSpec {
    }

    /** @throws IllegalArgumentException naming the spec when it is neither form */
    static RerankerSpec parse(String spec) {
        String s = spec.strip();
        if (s.equals("multi-view")) {
            return new MultiView(MultiViewReranker.Weights.EQUAL);
        }
        if (s.startsWith("onnx:")) {
            String[] parts = s.substring("onnx:".length()).split(",", -1);
            if ((parts.length == 2 || parts.length == 3) && !parts[0].isBlank() && !parts[1].isBlank()) {
                try {
                    int maxTokens = parts.length == 3 ? Integer.parseInt(parts[2].strip()) : DEFAULT_MAX_TOKENS;
                    return new CrossEncoder(Path.of(parts[0].strip()), Path.of(parts[1].strip()), maxTokens);
                } catch (NumberFormatException e) {
                    // falls through to the usage message
                }
            }
        }
        throw new IllegalArgumentException("reranker '" + spec
                + "' is neither multi-view nor onnx:MODEL.onnx,TOKENIZER.json[,MAX_TOKENS]");
    }

    /**
     * The reranker this spec names; the caller owns it and closes it when it is {@link AutoCloseable}.
     *
     * @param lexical the collection's lexical index (read by multi-view only)
     */
    default Reranker open(LexicalIndex lexical) {
        return switch (this) {
            case MultiView m -> new MultiViewReranker(lexical, m.weights());
            case CrossEncoder c -> OnnxCrossEncoderReranker.fromFiles(c.model(), c.tokenizerJson(), c.maxTokens());
        };
    }
}
