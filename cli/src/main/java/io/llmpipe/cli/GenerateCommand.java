package io.llmpipe.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmpipe.engine.attention.Attention;
import io.llmpipe.engine.attention.BlockSparseKernel;
import io.llmpipe.engine.attention.ChunkBoundaries;
import io.llmpipe.engine.attention.DhsaAttention;
import io.llmpipe.engine.attention.FlexPrefillAttention;
import io.llmpipe.engine.attention.opencl.OpenClBlockSparseAttention;
import io.llmpipe.engine.attention.opencl.OpenClDevice;
import io.llmpipe.engine.generation.GenerationOptions;
import io.llmpipe.engine.generation.GenerationResult;
import io.llmpipe.engine.generation.Generator;
import io.llmpipe.engine.kv.KiviCodec;
import io.llmpipe.engine.kv.KvCodec;
import io.llmpipe.engine.model.Model;
import io.llmpipe.engine.model.ModelLoader;
import io.llmpipe.engine.sampling.SamplingParams;
import io.llmpipe.engine.tensor.Parallel;
import io.llmpipe.engine.tokenizer.StreamingDecoder;
import io.llmpipe.engine.tokenizer.Tokenizer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pipeline generate}: in-process generation, no Kafka. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate text from a prompt in-process (no Kafka, no services).")
final class GenerateCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "Model: a .gguf or llama2.c .bin file, or hf:OWNER/REPO/FILE (downloaded once).")
    String modelSpec;

    @Option(names = "--tokenizer", description = "llama2.c tokenizer file (default: tok<vocab>.bin or tokenizer.bin beside the model).")
    Path tokenizer;

    @Option(names = "--prompt", required = true, description = "Prompt text.")
    String prompt;

    @Option(names = "--max-tokens", defaultValue = "256", description = "Most tokens to generate (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0.8", description = "0 for greedy (default: ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--top-k", defaultValue = "40", description = "0 for no limit (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--top-p", defaultValue = "0.95", description = "Nucleus mass in (0, 1] (default: ${DEFAULT-VALUE}).")
    float topP;

    @Option(names = "--seed", description = "Random seed (default: random; reported with --json).")
    Long seed;

    @Option(names = "--context", defaultValue = "0", description = "Context length in tokens (default: what the model file declares).")
    int context;

    @Option(names = "--threads", description = "Worker threads (default: all processors).")
    Integer threads;

    @Option(names = "--attention", defaultValue = "dense", description = "Prefill attention: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    AttentionMode attention;

    @Option(names = "--ignore-eos", description = "Keep generating past end-of-sequence tokens.")
    boolean ignoreEos;

    @Option(names = "--json", description = "Print one JSON object (prompt_token_ids, token_ids, text, timings) instead of streaming text.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    enum AttentionMode { dense, flexprefill, dhsa }

    @Option(names = "--budget", defaultValue = "2048", description = "dhsa: keys each query block attends to (default: ${DEFAULT-VALUE}).")
    int budget;

    @Option(names = "--key-block", defaultValue = "32", description = "dhsa: key block and average chunk length (default: ${DEFAULT-VALUE}).")
    int keyBlock;

    @Option(names = "--gamma", defaultValue = "0.9", description = "flexprefill: attention mass to keep (default: ${DEFAULT-VALUE}).")
    double gamma;

    @Option(names = "--tau", defaultValue = "0.1", description = "flexprefill: JSD threshold for query-aware heads (default: ${DEFAULT-VALUE}).")
    double tau;

    @Option(names = "--block-size", defaultValue = "128", description = "sparse prefill block size (default: ${DEFAULT-VALUE}).")
    int blockSize;

    @Option(names = "--attention-backend", defaultValue = "cpu", description = "Where sparse attention runs: cpu or opencl (default: ${DEFAULT-VALUE}; no OpenCL device -> cpu).")
    String attentionBackend;

    @Option(names = "--min-budget", defaultValue = "512", description = "flexprefill: fewest tokens kept per query block; prompts up to it run dense (default: ${DEFAULT-VALUE}).")
    int minBudget;

    @Option(names = "--kv", defaultValue = "fp32", description = "How prefill hands the KV cache to decode, which then runs on it: "
            + "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    KvMode kv;

    @Option(names = "--kv-group-size", defaultValue = "32", description = "kivi: tokens per key scale, channels per value scale (default: ${DEFAULT-VALUE}).")
    int kvGroupSize;

    @Option(names = "--kv-residual-length", defaultValue = "128", description = "kivi: recent tokens kept in full precision, a multiple of the group size (default: ${DEFAULT-VALUE}).")
    int kvResidualLength;

    enum KvMode { fp32, fp16, kivi4, kivi2 }

    private KvCodec kvCodec() {
        return switch (kv) {
            case fp32 -> KvCodec.FP32;
            case fp16 -> KvCodec.FP16;
            case kivi4 -> new KiviCodec(4, kvGroupSize, kvResidualLength);
            case kivi2 -> new KiviCodec(2, kvGroupSize, kvResidualLength);
        };
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        long seedValue = seed != null ? seed : new SecureRandom().nextLong();
        SamplingParams sampling = new SamplingParams(temperature, topK, topP, seedValue);
        KvCodec codec = kvCodec();
        long t0 = System.nanoTime();
        Path model = ModelFetcher.standard(spec.commandLine().getErr()).resolve(modelSpec);
        try (Model m = ModelLoader.load(new ModelLoader.Options(model, tokenizer, context));
             Parallel parallel = new Parallel(threads != null ? threads : Parallel.defaultThreads())) {
            long loadNanos = System.nanoTime() - t0;
            Tokenizer tok = m.tokenizer();
            int[] promptIds = tok.encode(prompt, true);
            if (promptIds.length == 0) {
                throw new IllegalArgumentException("the prompt encodes to no tokens and the model has no BOS token");
            }
            if (promptIds.length > m.config().contextLength()) {
                throw new IllegalArgumentException("the prompt is " + promptIds.length + " tokens, more than the context length "
                        + m.config().contextLength() + " (raise --context)");
            }
            Set<Integer> stops = ignoreEos ? Set.of() : new HashSet<>(tok.stopTokenIds());
            usedAttention = attention();
            codec.layerBytes(m.config().kvHeads(), m.config().headSize(), 1); // refuses a head size the codec cannot pack
            GenerationOptions options = new GenerationOptions(maxTokens, sampling, stops, usedAttention, GenerationOptions.DEFAULT_PREFILL_CHUNK,
                    codec);
            Generator generator = new Generator(m, parallel);
            StreamingDecoder decoder = new StreamingDecoder(tok, promptIds[promptIds.length - 1]);
            StringBuilder text = new StringBuilder();
            if (!json) {
                out.print(prompt);
                out.flush();
            }
            GenerationResult r = generator.generate(promptIds, options, token -> {
                if (stops.contains(token)) {
                    return true;
                }
                String piece = decoder.accept(token);
                text.append(piece);
                if (!json) {
                    out.print(piece);
                    out.flush();
                }
                return true;
            });
            String rest = decoder.finish();
            text.append(rest);
            if (json) {
                out.println(toJson(m, promptIds, r, text.toString(), seedValue, loadNanos, codec));
            } else {
                out.println(rest);
                spec.commandLine().getErr().printf("%n[%d prompt tokens, %d generated, prefill %.1f tok/s, decode %.1f tok/s, finish: %s]%n",
                        promptIds.length, r.tokens().length, r.prefillTokensPerSecond(), r.decodeTokensPerSecond(),
                        r.finishReason().openAiName());
            }
            out.flush();
        }
        return 0;
    }

    private Attention usedAttention;

    private BlockSparseKernel kernel() {
        if (!attentionBackend.equals("opencl")) {
            return BlockSparseKernel.CPU;
        }
        return OpenClDevice.open(OpenClDevice.Preference.GPU_FIRST)
                .<BlockSparseKernel>map(OpenClBlockSparseAttention::new)
                .orElse(BlockSparseKernel.CPU);
    }

    private Attention attention() {
        return switch (attention) {
            case dense -> kernel().dense();
            case flexprefill -> new FlexPrefillAttention(new FlexPrefillAttention.Parameters(blockSize, gamma, tau, minBudget, 0), kernel());
            case dhsa -> new DhsaAttention(new DhsaAttention.Parameters(blockSize, keyBlock, keyBlock, budget, 64),
                    ChunkBoundaries.similarityDrops(4, 8), kernel());
        };
    }

    private String toJson(Model m, int[] promptIds, GenerationResult r, String text, long seedValue, long loadNanos, KvCodec codec)
            throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode o = mapper.createObjectNode();
        o.put("model", m.name());
        o.putPOJO("prompt_token_ids", promptIds);
        o.putPOJO("token_ids", r.tokens());
        o.put("text", text);
        o.put("finish_reason", r.finishReason().openAiName());
        o.put("seed", seedValue);
        ObjectNode a = o.putObject("attention").put("mode", attention.name());
        if (usedAttention instanceof FlexPrefillAttention flex) {
            a.put("density", flex.density());
        } else if (usedAttention instanceof DhsaAttention dhsa) {
            a.put("density", dhsa.density());
        }
        var c = m.config();
        long handoff = codec.encodedSize(c.layers(), c.kvHeads(), c.headSize(), promptIds.length);
        ObjectNode k = o.putObject("kv").put("codec", codec.wireName());
        if (codec instanceof KiviCodec kivi) {
            k.put("group_size", kivi.groupSize()).put("residual_length", kivi.residualLength());
        }
        k.put("handoff_bytes", handoff);
        k.put("bytes_per_token", (double) handoff / promptIds.length);
        k.put("ratio_to_fp16", (double) handoff / KvCodec.FP16.encodedSize(c.layers(), c.kvHeads(), c.headSize(), promptIds.length));
        ObjectNode t = o.putObject("timings");
        t.put("load_ms", loadNanos / 1e6);
        t.put("prompt_tokens", promptIds.length);
        t.put("generated_tokens", r.tokens().length);
        t.put("prefill_ms", r.prefillNanos() / 1e6);
        t.put("decode_ms", r.decodeNanos() / 1e6);
        t.put("prefill_tokens_per_second", r.prefillTokensPerSecond());
        t.put("decode_tokens_per_second", r.decodeTokensPerSecond());
        return mapper.writeValueAsString(o);
    }
}
