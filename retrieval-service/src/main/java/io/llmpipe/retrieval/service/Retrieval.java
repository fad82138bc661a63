package io.llmpipe.retrieval.service;

import io.llmpipe.retrieval.embed.Embedder;
import io.llmpipe.retrieval.embed.OnnxEmbedder;
import io.llmpipe.retrieval.rerank.Reranker;
import io.llmpipe.retrieval.rerank.RerankerSpec;
import io.llmpipe.retrieval.store.Collection;
import io.llmpipe.retrieval.store.CollectionStore;
import io.llmpipe.retrieval.store.DocumentEmbedder;
import io.llmpipe.retrieval.store.Retriever;
import io.llmpipe.service.ReadinessCheck;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.jboss.logging.Logger;

/**
 * The service's engine room: the embedding model, the collections on disk (recovered at startup) and
 * the retriever with the configured reranker. Ready once all three are loaded.
 */
@Singleton
@Startup
public class Retrieval implements ReadinessCheck {
    private static final Logger LOG = Logger.getLogger(Retrieval.class);

    private final Embedder embedder;
    private final CollectionStore store;
    private final DocumentEmbedder documents;
    private final Retriever retriever;
    private final AutoCloseable rerankerToClose;
    private final RetrievalSettings settings;

    public Retrieval(RetrievalSettings settings) {
        this.settings = settings;
        long start = System.nanoTime();
        RetrievalSettings.Embedding e = settings.embedding();
        if (e.model().isPresent() != e.tokenizer().isPresent()) {
            throw new IllegalArgumentException("llmpipe.retrieval.embedding.model and .tokenizer go together: set both or neither");
        }
        this.embedder = e.model().isPresent()
                ? OnnxEmbedder.fromFiles(Path.of(e.model().get()), Path.of(e.tokenizer().get()), e.pooling(), e.maxTokens())
                : OnnxEmbedder.miniLm();
        this.documents = new DocumentEmbedder(embedder);
        RerankerSpec spec = RerankerSpec.parse(settings.reranker());
        Reranker shared = spec instanceof RerankerSpec.CrossEncoder ? spec.open(null) : null;
        this.rerankerToClose = shared instanceof AutoCloseable c ? c : null;
        this.retriever = new Retriever(embedder, collection -> shared != null ? shared : spec.open(collection.lexical()),
                settings.rerankCandidates());
        try {
            this.store = CollectionStore.open(Path.of(settings.dataDir()), settings.snapshotBytes());
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot open the collections in " + settings.dataDir(), ex);
        }
        LOG.infof("retrieval ready in %.1f s: %d collection(s) in %s, embeddings %s (%d dimensions), reranker %s",
                (System.nanoTime() - start) / 1e9, store.list().size(), store.root().toAbsolutePath(), embedder.name(),
                embedder.dimension(), settings.reranker());
        store.failures().forEach((name, why) -> LOG.errorf("collection '%s' could not be recovered: %s", name, why));
    }

    public Embedder embedder() {
        return embedder;
    }

    public CollectionStore store() {
        return store;
    }

    public DocumentEmbedder documents() {
        return documents;
    }

    public Retriever retriever() {
        return retriever;
    }

    public RetrievalSettings settings() {
        return settings;
    }

    /** Whether the collection's passages were embedded by the model this service runs. */
    public boolean embeddedHere(Collection c) {
        return c.config().embeddingFingerprint().equals(embedder.fingerprint());
    }

    @Override
    public String name() {
        return "collections";
    }

    @Override
    public boolean isUp() {
        return true; // constructed means the model and every recoverable collection are loaded
    }

    @PreDestroy
    void close() throws Exception {
        store.close();
        if (rerankerToClose != null) {
            rerankerToClose.close();
        }
        embedder.close();
    }
}
