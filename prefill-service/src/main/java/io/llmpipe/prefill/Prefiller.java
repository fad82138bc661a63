package io.llmpipe.prefill;

import io.llmpipe.engine.attention.DenseAttention;
import io.llmpipe.engine.generation.GenerationOptions;
import io.llmpipe.engine.generation.Generator;
import io.llmpipe.engine.generation.Sequence;
import io.llmpipe.engine.kv.KvCodec;
import io.llmpipe.engine.model.Model;
import io.llmpipe.engine.sampling.Sampler;
import io.llmpipe.engine.tokenizer.StreamingDecoder;
import io.llmpipe.protocol.AttentionMode;
import io.llmpipe.protocol.ErrorInfo;
import io.llmpipe.protocol.FinishReason;
import io.llmpipe.protocol.GenerationRequest;
import io.llmpipe.protocol.KvHandoffHeader;
import io.llmpipe.protocol.KvHandoffSplitter;
import io.llmpipe.protocol.KvMessage;
import io.llmpipe.protocol.PipelineStage;
import io.llmpipe.protocol.TokenEvent;
import io.llmpipe.protocol.Usage;
import io.llmpipe.service.EngineAdapters;
import io.llmpipe.service.ModelHolder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.TimeUnit;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * Runs one request's prefill: the prompt through the model, the first token sampled (step 0 of the
 * request's seeded sampler), and the KV cache encoded and split into a handoff for decode. A request
 * the first token already ends (stop token, one-token limit) finishes here with no handoff.
 */
@ApplicationScoped
public class Prefiller {

    /**
     * What to publish for a request: the first token event, then the handoff messages (maybe none).
     * The handoff is encoded only when asked for, so the first token can go out before that work.
     */
    public record Outcome(TokenEvent firstEvent, Supplier<List<KvMessage>> handoff) {
        static Outcome finished(TokenEvent event) {
            return new Outcome(event, List::of);
        }
    }

    @Inject
    ModelHolder holder;

    @Inject
    MeterRegistry registry;

    private final KvHandoffSplitter splitter = new KvHandoffSplitter();
    private Generator generator;
    private Timer queueWait;
    private Timer prefillTime;
    private Counter promptTokens;

    @PostConstruct
    void init() {
        generator = holder.newGenerator();
        queueWait = Timer.builder("llmpipe.prefill.queue.wait")
                .description("From the gateway accepting a request to its prefill starting")
                .publishPercentiles(0.5, 0.99).register(registry);
        prefillTime = Timer.builder("llmpipe.prefill.duration")
                .description("Prefill forward pass and first-token sampling")
                .publishPercentiles(0.5, 0.99).register(registry);
        promptTokens = Counter.builder("llmpipe.prefill.prompt.tokens").description("Prompt tokens prefilled").register(registry);
    }

    public Outcome prefill(GenerationRequest r, long nowEpochMillis) {
        Model model = holder.model();
        queueWait.record(Math.max(0, nowEpochMillis - r.createdAtEpochMillis()), TimeUnit.MILLISECONDS);
        int[] prompt = r.promptTokenIds();
        int context = model.config().contextLength();
        if (r.deadlineEpochMillis() != GenerationRequest.NO_DEADLINE && nowEpochMillis > r.deadlineEpochMillis()) {
            return failure(r, ErrorInfo.DEADLINE_EXCEEDED, "the request's deadline passed before prefill started");
        }
        if (prompt.length >= context) {
            return failure(r, ErrorInfo.CONTEXT_LENGTH_EXCEEDED, "prompt of " + prompt.length
                    + " tokens leaves no room in the context of " + context);
        }
        for (int id : prompt) {
            if (id < 0 || id >= model.config().vocabularySize()) {
                return failure(r, ErrorInfo.INVALID_REQUEST, "token id " + id + " is outside the vocabulary of " + model.config().vocabularySize());
            }
        }
        if (r.attention().mode() != AttentionMode.DENSE) {
            return failure(r, ErrorInfo.INVALID_REQUEST, "attention mode " + r.attention().mode().wireName() + " is not available yet (dense only)");
        }
        KvCodec codec = EngineAdapters.kvCodec(r.kvCodec()).orElse(null);
        if (codec == null) {
            return failure(r, ErrorInfo.INVALID_REQUEST, "KV codec " + r.kvCodec().codec().wireName() + " is not available yet (fp32, fp16)");
        }
        Sampler sampler = EngineAdapters.sampler(r.sampling());
        Sequence seq;
        int first;
        long t0 = System.nanoTime();
        synchronized (generator) {
            seq = generator.newSequence();
            float[] logits = generator.prefill(seq, prompt, DenseAttention.INSTANCE, GenerationOptions.DEFAULT_PREFILL_CHUNK);
            first = sampler.sample(logits, 0, model.config().vocabularySize(), 0);
        }
        prefillTime.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
        promptTokens.increment(prompt.length);
        String text = new StreamingDecoder(model.tokenizer(), prompt[prompt.length - 1]).accept(first);
        boolean stop = Arrays.stream(r.stopTokenIds()).anyMatch(id -> id == first);
        if (stop || r.maxTokens() <= 1 || seq.remaining() < 1) {
            FinishReason reason = stop ? FinishReason.STOP : FinishReason.LENGTH;
            return Outcome.finished(TokenEvent.last(r.requestId(), TokenEvent.FIRST_SEQUENCE, first, stop ? "" : text, reason,
                    new Usage(prompt.length, 1), PipelineStage.PREFILL));
        }
        KvHandoffHeader header = KvHandoffHeader.afterPrefill(r, model.fingerprint(), model.config().layers(),
                model.config().kvHeads(), model.config().headSize(), first);
        Sequence prefilled = seq;
        return new Outcome(TokenEvent.token(r.requestId(), TokenEvent.FIRST_SEQUENCE, first, text, PipelineStage.PREFILL),
                () -> splitter.split(header, codec.encode(prefilled.cache(), prefilled.length())));
    }

    private static Outcome failure(GenerationRequest r, String code, String message) {
        return Outcome.finished(TokenEvent.failure(r.requestId(), TokenEvent.FIRST_SEQUENCE, new ErrorInfo(code, message),
                new Usage(r.promptTokenCount(), 0), PipelineStage.PREFILL));
    }
}
