package io.llmpipe.service;

import io.llmpipe.engine.generation.Generator;
import io.llmpipe.engine.model.Model;
import io.llmpipe.engine.model.ModelLoader;
import io.llmpipe.engine.tensor.Parallel;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Path;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The served model, loaded (memory-mapped) once at start-up, and the worker pool its forward passes
 * share. The gateway uses only its tokenizer and chat template; prefill and decode make
 * {@link Generator}s from it; they warm it up first ({@link Generator#warmUp}, {@code llmpipe.model.warm-up},
 * off in the gateway). A service without a model excludes this bean
 * ({@code quarkus.arc.exclude-types}).
 */
@Startup
@ApplicationScoped
public class ModelHolder implements ReadinessCheck {
    private static final Logger LOG = Logger.getLogger(ModelHolder.class);

    private final Model model;
    private final String id;
    private final int threads;
    private Parallel parallel;

    ModelHolder(@ConfigProperty(name = "llmpipe.model.path") Path modelPath,
                @ConfigProperty(name = "llmpipe.model.tokenizer") Optional<Path> tokenizer,
                @ConfigProperty(name = "llmpipe.model.context", defaultValue = "0") int context,
                @ConfigProperty(name = "llmpipe.model.id") Optional<String> id,
                @ConfigProperty(name = "llmpipe.threads", defaultValue = "0") int threads,
                @ConfigProperty(name = "llmpipe.model.slab-wide-matrices", defaultValue = "true") boolean slabWideMatrices,
                @ConfigProperty(name = "llmpipe.model.warm-up", defaultValue = "true") boolean warmUp) {
        long t0 = System.nanoTime();
        this.model = ModelLoader.load(new ModelLoader.Options(modelPath, tokenizer.orElse(null), context, slabWideMatrices));
        this.id = id.filter(s -> !s.isBlank()).orElse(model.name());
        this.threads = threads > 0 ? threads : Parallel.defaultThreads();
        LOG.infof("loaded %s as '%s' (%s, %d layers, context %d) in %d ms", modelPath, this.id, model.config().architecture(),
                model.config().layers(), model.config().contextLength(), (System.nanoTime() - t0) / 1_000_000);
        if (warmUp) { // before the service takes requests: the first one then runs compiled kernels
            LOG.infof("warmed up the model's kernels in %d ms", newGenerator().warmUp());
        }
    }

    public Model model() {
        return model;
    }

    /** The name clients use for this model ({@code llmpipe.model.id}, default: the file name without extension). */
    public String id() {
        return id;
    }

    /**
     * A new generator over the shared worker pool. A generator is single-threaded: each thread that
     * runs forward passes needs its own, or callers serialise their use of one.
     */
    public synchronized Generator newGenerator() {
        if (parallel == null) {
            parallel = new Parallel(threads);
        }
        return new Generator(model, parallel);
    }

    @Override
    public String name() {
        return "model " + id;
    }

    @Override
    public boolean isUp() {
        return true; // a model that fails to load stops the service at start-up
    }

    @PreDestroy
    synchronized void close() {
        if (parallel != null) {
            parallel.close();
        }
        model.close();
    }
}
