package io.llmpipe.prefill;

import io.llmpipe.engine.generation.Generator;
import io.llmpipe.engine.model.Model;
import io.llmpipe.engine.model.ModelLoader;
import io.llmpipe.engine.tensor.Parallel;
import io.llmpipe.service.ReadinessCheck;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Path;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The served model, loaded once at start-up, with the worker pool and the generator that runs
 * prefills. The generator is single-threaded: callers hold this object's lock around its use.
 */
@Startup
@ApplicationScoped
public class ModelHolder implements ReadinessCheck {
    private static final Logger LOG = Logger.getLogger(ModelHolder.class);

    private final Model model;
    private final Parallel parallel;
    private final Generator generator;

    ModelHolder(@ConfigProperty(name = "llmpipe.model.path") Path modelPath,
                @ConfigProperty(name = "llmpipe.model.tokenizer") Optional<Path> tokenizer,
                @ConfigProperty(name = "llmpipe.model.context", defaultValue = "0") int context,
                @ConfigProperty(name = "llmpipe.threads", defaultValue = "0") int threads) {
        long t0 = System.nanoTime();
        this.model = ModelLoader.load(new ModelLoader.Options(modelPath, tokenizer.orElse(null), context));
        this.parallel = new Parallel(threads > 0 ? threads : Parallel.defaultThreads());
        this.generator = new Generator(model, parallel);
        LOG.infof("loaded %s (%s, %d layers, context %d) in %d ms", model.name(), model.config().architecture(),
                model.config().layers(), model.config().contextLength(), (System.nanoTime() - t0) / 1_000_000);
    }

    public Model model() {
        return model;
    }

    public Generator generator() {
        return generator;
    }

    @Override
    public String name() {
        return "model " + model.name();
    }

    @Override
    public boolean isUp() {
        return true; // loading failures stop the service at start-up
    }

    @PreDestroy
    void close() {
        parallel.close();
        model.close();
    }
}
