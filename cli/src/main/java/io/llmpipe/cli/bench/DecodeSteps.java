package io.llmpipe.cli.bench;

import io.llmpipe.engine.attention.DenseAttention;
import io.llmpipe.engine.generation.Generator;
import io.llmpipe.engine.generation.Sequence;
import io.llmpipe.engine.model.Model;
import io.llmpipe.engine.model.ModelLoader;
import io.llmpipe.engine.tensor.Parallel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A model and {@code batch} sequences (8-token prompts) ready to decode; {@link #run} is one batched
 * decode step. Uses only the engine's API, so {@link EngineCompare} can load it against another build
 * of the engine.
 */
public final class DecodeSteps implements Runnable, AutoCloseable {
    private static final int MAX_LENGTH = 4096;
    private final Model model;
    private final Parallel parallel;
    private final Generator generator;
    private final List<Sequence> sequences = new ArrayList<>();
    private final int[] tokens;
    private final float[] logits;

    public DecodeSteps(Path model, int threads, int batch) throws Exception {
        this.model = ModelLoader.load(new ModelLoader.Options(model, null, MAX_LENGTH));
        parallel = new Parallel(threads);
        generator = new Generator(this.model, parallel);
        int vocabulary = this.model.config().vocabularySize();
        Random random = new Random(1);
        tokens = new int[batch];
        for (int s = 0; s < batch; s++) {
            int[] prompt = new int[8];
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = 3 + random.nextInt(vocabulary - 3);
            }
            Sequence sequence = generator.newSequence();
            generator.prefill(sequence, prompt, DenseAttention.INSTANCE, 512);
            sequences.add(sequence);
            tokens[s] = 5 + s;
        }
        logits = new float[batch * vocabulary];
    }

    @Override
    public void run() {
        if (sequences.getFirst().length() >= MAX_LENGTH - 1) {
            throw new IllegalStateException("the sequences are full: fewer rounds or steps");
        }
        generator.decode(sequences, tokens, logits);
    }

    @Override
    public void close() throws Exception {
        parallel.close();
        model.close();
    }
}
