package io.llmpipe.engine.generation;

import io.llmpipe.engine.attention.Attention;
import io.llmpipe.engine.attention.DenseAttention;
import io.llmpipe.engine.kv.FloatKvCache;
import io.llmpipe.engine.kv.KvCodec;
import io.llmpipe.engine.model.Model;
import io.llmpipe.engine.model.ModelConfig;
import io.llmpipe.engine.model.Transformer;
import io.llmpipe.engine.sampling.Sampler;
import io.llmpipe.engine.tensor.Parallel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The engine's entry points: prefill a prompt into a sequence, advance a batch of sequences by one
 * token, or run a whole generation. Used by the command line and by both services.
 *
 * <p>One thread drives a Generator at a time (it owns the forward pass's buffers); it uses the
 * shared {@link Parallel} pool for the heavy loops. The model is shared, not owned.
 */
public final class Generator {
    private final Model model;
    private final ModelConfig config;
    private final Transformer transformer;
    private float[] batchLogits = new float[0];

    public Generator(Model model, Parallel parallel) {
        this.model = model;
        this.config = model.config();
        this.transformer = new Transformer(model, parallel);
    }

    public Model model() {
        return model;
    }

    /** A new, empty sequence whose full-precision cache may grow to the model's context length. */
    public Sequence newSequence() {
        return new Sequence(new FloatKvCache(config.layers(), config.kvHeads(), config.headSize(), config.contextLength()));
    }

    /**
     * {@code seq} as decode continues it after a handoff encoded with {@code codec}: the same sequence
     * for {@link KvCodec#FP32}, else a new one on the decoded cache (for KIVI, a quantized cache).
     */
    public static Sequence handOff(Sequence seq, KvCodec codec) {
        if (codec == KvCodec.FP32) {
            return seq;
        }
        return Sequence.restored(codec.handOff(seq.cache(), seq.length()), seq.length());
    }

    /**
     * Feeds {@code tokens} into {@code seq} in chunks of {@code chunkSize}, and returns the logits
     * after the last one (a new array of vocabulary size).
     */
    public float[] prefill(Sequence seq, int[] tokens, Attention attention, int chunkSize) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("cannot prefill an empty prompt");
        }
        if (tokens.length > seq.remaining()) {
            throw new IllegalArgumentException("prompt of " + tokens.length + " tokens does not fit the context ("
                    + seq.remaining() + " positions left of " + config.contextLength() + ")");
        }
        float[] logits = new float[config.vocabularySize()];
        for (int off = 0; off < tokens.length; off += chunkSize) {
            int len = Math.min(chunkSize, tokens.length - off);
            transformer.forward(List.of(new Transformer.Chunk(seq.cache(), seq.length(), tokens, off, len, attention)), logits);
            seq.advance(len);
        }
        return logits;
    }

    /**
     * One decode step for a batch: {@code tokens[i]} is appended to {@code sequences.get(i)}, and the
     * next-token logits of sequence i are written to {@code logits[i * vocab ..]}.
     */
    public void decode(List<Sequence> sequences, int[] tokens, float[] logits) {
        List<Transformer.Chunk> chunks = new ArrayList<>(sequences.size());
        for (int i = 0; i < sequences.size(); i++) {
            Sequence s = sequences.get(i);
            if (s.remaining() < 1) {
                throw new IllegalArgumentException("sequence " + i + " has filled the context of " + config.contextLength());
            }
            chunks.add(new Transformer.Chunk(s.cache(), s.length(), tokens, i, 1, DenseAttention.INSTANCE));
        }
        transformer.forward(chunks, logits);
        for (Sequence s : sequences) {
            s.advance(1);
        }
    }

    /**
     * Runs the model over throwaway sequences the way requests will (two 16-token prefills, which use
     * the batched matrix kernels; 4 decode steps of one sequence; 2 steps of a batch of 8) so that the
     * JIT has compiled the kernels before the first request, and returns the milliseconds it took. Why:
     * until C2 compiles it, Vector API code runs boxed; on the 1B-shaped model the first 17-token prefill
     * of a process took 3-5 s, the next ones 0.3-0.4 s. Leaves nothing behind.
     */
    public long warmUp() {
        long t0 = System.nanoTime();
        int vocab = config.vocabularySize();
        int n = Math.max(1, Math.min(16, config.contextLength() - 8));
        int[] prompt = new int[n];
        for (int i = 0; i < n; i++) {
            prompt[i] = i % vocab;
        }
        for (int round = 0; round < 2; round++) {
            prefill(newSequence(), prompt, DenseAttention.INSTANCE, n);
        }
        Sequence one = newSequence();
        float[] logits = new float[8 * vocab];
        for (int step = 0; step < 4 && one.remaining() > 0; step++) {
            decode(List.of(one), new int[] {step % vocab}, logits);
        }
        List<Sequence> eight = new ArrayList<>();
        int[] tokens = new int[8];
        for (int i = 0; i < 8; i++) {
            eight.add(newSequence());
            tokens[i] = i % vocab;
        }
        for (int step = 0; step < 2 && config.contextLength() > step; step++) {
            decode(eight, tokens, logits);
        }
        return (System.nanoTime() - t0) / 1_000_000;
    }

    /** Runs a whole generation: prefill, then sample and decode until a stop token, the limit or a cancel. */
    public GenerationResult generate(int[] prompt, GenerationOptions options, TokenListener listener) {
        long t0 = System.nanoTime();
        Sequence seq = newSequence();
        Sampler sampler = new Sampler(options.sampling());
        int vocab = config.vocabularySize();
        int[] out = new int[Math.max(0, Math.min(options.maxTokens(), config.contextLength() - prompt.length + 1))];
        if (prompt.length > config.contextLength()) {
            throw new IllegalArgumentException("prompt of " + prompt.length + " tokens exceeds the context length " + config.contextLength());
        }
        if (out.length == 0) {
            return new GenerationResult(prompt, new int[0], FinishReason.LENGTH, 0, 0);
        }
        float[] logits = prefill(seq, prompt, options.attention(), options.prefillChunk());
        seq = handOff(seq, options.kvCodec());
        int count = 0;
        FinishReason reason = FinishReason.LENGTH;
        long t1 = 0;
        float[] stepLogits = ensureBatchLogits(1);
        int[] one = new int[1];
        while (true) {
            int token = sampler.sample(logits, 0, vocab, count);
            out[count++] = token;
            if (count == 1) {
                t1 = System.nanoTime();
            }
            if (!listener.onToken(token)) {
                reason = FinishReason.CANCELLED;
                break;
            }
            if (options.stopTokens().contains(token)) {
                reason = FinishReason.STOP;
                break;
            }
            if (count == out.length || seq.remaining() < 1) {
                break;
            }
            one[0] = token;
            decode(List.of(seq), one, stepLogits);
            logits = stepLogits;
        }
        long t2 = System.nanoTime();
        return new GenerationResult(prompt, Arrays.copyOf(out, count), reason, t1 - t0, t2 - t1);
    }

    private float[] ensureBatchLogits(int batch) {
        if (batchLogits.length < batch * config.vocabularySize()) {
            batchLogits = new float[batch * config.vocabularySize()];
        }
        return batchLogits;
    }
}
