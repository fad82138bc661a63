package io.llmpipe.retrieval.service;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.Optional;

/** The retrieval-service's configuration ({@code llmpipe.retrieval.*} in application.properties). */
@ConfigMapping(prefix = "llmpipe.retrieval")
public interface RetrievalSettings {

    /** Where collections live, one directory each. */
    @WithDefault("data/retrieval")
    String dataDir();

    Embedding embedding();

    /** {@code multi-view} (default) or {@code onnx:MODEL.onnx,TOKENIZER.json[,MAX_TOKENS]} for a trained cross-encoder. */
    @WithDefault("multi-view")
    String reranker();

    /** How many first-stage results a rerank reads. */
    @WithDefault("50")
    int rerankCandidates();

    /** Passage size in tokens for collections that do not choose one. */
    @WithDefault("128")
    int passageTokens();

    /** The write-ahead log is folded into a snapshot past this many bytes. */
    @WithDefault("67108864")
    long snapshotBytes();

    interface Embedding {
        /** A sentence-embedding ONNX model; all-MiniLM-L6-v2 from its Maven jar when unset. */
        Optional<String> model();

        /** The model's tokenizer.json (required with {@code model}). */
        Optional<String> tokenizer();

        /** {@code mean} or {@code cls}, as the model was trained. */
        @WithDefault("mean")
        String pooling();

        /** The model's window in tokens. */
        @WithDefault("256")
        int maxTokens();
    }
}
