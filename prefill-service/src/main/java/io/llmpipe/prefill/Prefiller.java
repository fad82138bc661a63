package io.llmpipe.prefill;

import io.llmpipe.engine.attention.Attention;
import io.llmpipe.engine.attention.BlockSparseKernel;
import io.llmpipe.engine.attention.ChunkBoundaries;
import io.llmpipe.engine.attention.DhsaAttention;
import io.llmpipe.engine.attention.opencl.OpenClBlockSparseAttention;
import io.llmpipe.engine.attention.opencl.OpenClDevice;
import io.llmpipe.engine.attention.FlexPrefillAttention;
import io.llmpipe.engine.generation.GenerationOptions;
import io.llmpipe.engine.generation.Generator;
import io.llmpipe.engine.generation.Sequence;
import io.llmpipe.engine.kv.KvCodec;
import io.llmpipe.engine.model.Model;
import io.llmpipe.engine.sampling.Sampler;
import io.llmpipe.engine.tokenizer.StreamingDecoder;
import io.llmpipe.protocol.AttentionSpec;
import io.llmpipe.protocol.ErrorInfo;
import io.llmpipe.protocol.FinishReason;
import io.llmpipe.protocol.GenerationRequest;
import io.llmpipe.protocol.KvHandoffHeader;
import io.llmpipe.protocol.KvHandoffSplitter;
import io.llmpipe.protocol.KvMessage;
import io.llmpipe.protocol.PipelineStage;
import io.llmpipe.protocol.PrefillReport;
import io.llmpipe.protocol.TokenEvent;
import io.llmpipe.protocol.Usage;
import io.llmpipe.service.EngineAdapters;
import io.llmpipe.service.ModelHolder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.TimeUnit;
import java.nio.ByteBuffer;
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
    private static final Logger LOG = Logger.getLogger(Prefiller.class);

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
    private DistributionSummary density;
    private DistributionSummary dhsaDensity;
    private FlexPrefillAttention.Parameters flexDefaults;
    private static final java.util.Set<String> DHSA_PARAMETERS = java.util.Set.of("query_block", "key_block", "average_chunk",
            "budget", "recent");

    @ConfigProperty(name = "llmpipe.prefill.dhsa.budget", defaultValue = "2048")
    int dhsaBudget;

    private static final java.util.Set<String> FLEX_PARAMETERS = java.util.Set.of("block_size", "gamma", "tau", "min_budget", "max_budget");

    /**
     * Where sparse attention runs: auto (an OpenCL GPU when there is one, else the CPU: a CPU OpenCL
     * driver such as PoCL runs slower than the Java kernels), opencl (any OpenCL device), cpu.
     */
    @ConfigProperty(name = "llmpipe.prefill.attention-backend", defaultValue = "auto")
    String attentionBackend;
    private BlockSparseKernel kernel = BlockSparseKernel.CPU;
    private OpenClDevice device;

    @ConfigProperty(name = "llmpipe.prefill.flexprefill.block-size", defaultValue = "128")
    int flexBlockSize;
    @ConfigProperty(name = "llmpipe.prefill.flexprefill.gamma", defaultValue = "0.9")
    double flexGamma;
    @ConfigProperty(name = "llmpipe.prefill.flexprefill.tau", defaultValue = "0.1")
    double flexTau;
    @ConfigProperty(name = "llmpipe.prefill.flexprefill.min-budget", defaultValue = "512")
    int flexMinBudget;
    @ConfigProperty(name = "llmpipe.prefill.flexprefill.max-budget", defaultValue = "0")
    int flexMaxBudget;

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
        density = DistributionSummary.builder("llmpipe.prefill.attention.density").tag("mode", "flexprefill")
                .description("Fraction of causal attention blocks a sparse prefill computed").publishPercentiles(0.5).register(registry);
        dhsaDensity = DistributionSummary.builder("llmpipe.prefill.attention.density").tag("mode", "dhsa")
                .description("Fraction of causal attention blocks a sparse prefill computed").publishPercentiles(0.5).register(registry);
        flexDefaults = new FlexPrefillAttention.Parameters(flexBlockSize, flexGamma, flexTau, flexMinBudget, flexMaxBudget);
        if (!attentionBackend.equals("cpu")) {
            device = OpenClDevice.open(attentionBackend.equals("opencl")
                    ? OpenClDevice.Preference.GPU_FIRST : OpenClDevice.Preference.GPU).orElse(null);
            if (device != null) {
                kernel = new OpenClBlockSparseAttention(device);
            } else if (attentionBackend.equals("opencl")) {
                LOG.warn("llmpipe.prefill.attention-backend=opencl but no OpenCL device is usable: sparse attention runs on the CPU");
            }
        }
        LOG.infof("sparse attention backend: %s", device != null ? "OpenCL (" + device.name() + ")" : "CPU");
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
        Attention attention;
        try {
            attention = attentionFor(r.attention());
        } catch (IllegalArgumentException e) {
            return failure(r, ErrorInfo.INVALID_REQUEST, e.getMessage());
        }
        KvCodec codec;
        try {
            codec = EngineAdapters.kvCodec(r.kvCodec());
            codec.layerBytes(model.config().kvHeads(), model.config().headSize(), 1);
        } catch (IllegalArgumentException e) {
            return failure(r, ErrorInfo.INVALID_REQUEST, "KV codec: " + e.getMessage());
        }
        Sampler sampler = EngineAdapters.sampler(r.sampling());
        Sequence seq;
        int first;
        long t0 = System.nanoTime();
        synchronized (generator) {
            seq = generator.newSequence();
            float[] logits = generator.prefill(seq, prompt, attention, GenerationOptions.DEFAULT_PREFILL_CHUNK);
            first = sampler.sample(logits, 0, model.config().vocabularySize(), 0);
        }
        prefillTime.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
        double used = 1.0;
        if (attention instanceof FlexPrefillAttention flex) {
            used = flex.density();
            density.record(used);
        } else if (attention instanceof DhsaAttention dhsa) {
            used = dhsa.density();
            dhsaDensity.record(used);
        }
        PrefillReport report = new PrefillReport(r.attention().mode().wireName(), Math.min(1.0, used));
        promptTokens.increment(prompt.length);
        String text = new StreamingDecoder(model.tokenizer(), prompt[prompt.length - 1]).accept(first);
        boolean stop = Arrays.stream(r.stopTokenIds()).anyMatch(id -> id == first);
        if (stop || r.maxTokens() <= 1 || seq.remaining() < 1) {
            FinishReason reason = stop ? FinishReason.STOP : FinishReason.LENGTH;
            return Outcome.finished(TokenEvent.last(r.requestId(), TokenEvent.FIRST_SEQUENCE, first, stop ? "" : text, reason,
                    new Usage(prompt.length, 1), PipelineStage.PREFILL).withPrefill(report));
        }
        KvHandoffHeader header = KvHandoffHeader.afterPrefill(r, model.fingerprint(), model.config().layers(),
                model.config().kvHeads(), model.config().headSize(), first);
        Sequence prefilled = seq;
        return new Outcome(TokenEvent.token(r.requestId(), TokenEvent.FIRST_SEQUENCE, first, text, PipelineStage.PREFILL).withPrefill(report),
                () -> handoff(header, codec, prefilled));
    }

    /** The handoff's messages: the cache encoded, cut into chunks that each hold part of one layer. */
    private List<KvMessage> handoff(KvHandoffHeader header, KvCodec codec, Sequence seq) {
        var c = holder.model().config();
        long t0 = System.nanoTime();
        byte[] payload = codec.encode(seq.cache(), seq.length());
        registry.timer("llmpipe.prefill.kv.encode", "codec", codec.wireName()).record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
        DistributionSummary.builder("llmpipe.prefill.kv.handoff.bytes.per.token").tag("codec", codec.wireName())
                .description("KV handoff payload bytes per prompt token").baseUnit("bytes").register(registry)
                .record((double) payload.length / seq.length());
        DistributionSummary.builder("llmpipe.prefill.kv.handoff.ratio").tag("codec", codec.wireName())
                .description("KV handoff payload size against fp16").register(registry)
                .record((double) payload.length / KvCodec.FP16.encodedSize(c.layers(), c.kvHeads(), c.headSize(), seq.length()));
        registry.counter("llmpipe.prefill.kv.handoff.bytes", "codec", codec.wireName()).increment(payload.length);
        return splitter.split(header, ByteBuffer.wrap(payload), KvHandoffSplitter.newHandoffId(),
                codec.layerBytes(c.kvHeads(), c.headSize(), seq.length()));
    }

    @jakarta.annotation.PreDestroy
    void close() {
        if (device != null) {
            device.close();
        }
    }

    /**
     * The engine attention for a request's mode: FlexPrefill takes {@code gamma}, {@code tau},
     * {@code block_size}, {@code min_budget} and {@code max_budget} from the request, else this
     * service's defaults ({@code llmpipe.prefill.flexprefill.*}).
     */
    Attention attentionFor(AttentionSpec spec) {
        return switch (spec.mode()) {
            case DENSE -> kernel.dense();
            case FLEXPREFILL -> {
                var p = spec.parameters();
                for (String name : p.keySet()) {
                    if (!FLEX_PARAMETERS.contains(name)) {
                        throw new IllegalArgumentException("unknown flexprefill parameter '" + name + "' (known: " + FLEX_PARAMETERS + ")");
                    }
                }
                var parameters = new FlexPrefillAttention.Parameters(
                        p.getOrDefault("block_size", (double) flexDefaults.blockSize()).intValue(),
                        p.getOrDefault("gamma", flexDefaults.gamma()),
                        p.getOrDefault("tau", flexDefaults.tau()),
                        p.getOrDefault("min_budget", (double) flexDefaults.minBudget()).intValue(),
                        p.getOrDefault("max_budget", (double) flexDefaults.maxBudget()).intValue());
                yield new FlexPrefillAttention(parameters, kernel);
            }
            case DHSA -> {
                var p = spec.parameters();
                for (String name : p.keySet()) {
                    if (!DHSA_PARAMETERS.contains(name)) {
                        throw new IllegalArgumentException("unknown dhsa parameter '" + name + "' (known: " + DHSA_PARAMETERS + ")");
                    }
                }
                var d = DhsaAttention.Parameters.DEFAULT;
                var parameters = new DhsaAttention.Parameters(
                        p.getOrDefault("query_block", (double) d.queryBlock()).intValue(),
                        p.getOrDefault("key_block", (double) d.keyBlock()).intValue(),
                        p.getOrDefault("average_chunk", (double) d.averageChunk()).intValue(),
                        p.getOrDefault("budget", (double) dhsaBudget).intValue(),
                        p.getOrDefault("recent", (double) d.recent()).intValue());
                yield new DhsaAttention(parameters, ChunkBoundaries.similarityDrops(4, 8), kernel);
            }
        };
    }

    private static Outcome failure(GenerationRequest r, String code, String message) {
        return Outcome.finished(TokenEvent.failure(r.requestId(), TokenEvent.FIRST_SEQUENCE, new ErrorInfo(code, message),
                new Usage(r.promptTokenCount(), 0), PipelineStage.PREFILL));
    }
}
