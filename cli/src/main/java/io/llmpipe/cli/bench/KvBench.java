package io.llmpipe.cli.bench;

import io.llmpipe.cli.bench.StructuredAttentionInputs.Inputs;
import io.llmpipe.engine.attention.AttentionShape;
import io.llmpipe.engine.attention.DenseAttention;
import io.llmpipe.engine.generation.Generator;
import io.llmpipe.engine.generation.Sequence;
import io.llmpipe.engine.kv.FloatKvCache;
import io.llmpipe.engine.kv.KiviCodec;
import io.llmpipe.engine.kv.KvCache;
import io.llmpipe.engine.kv.KvCodec;
import io.llmpipe.engine.model.Model;
import io.llmpipe.engine.model.ModelLoader;
import io.llmpipe.engine.tensor.GGMLType;
import io.llmpipe.engine.tensor.Parallel;
import io.llmpipe.localkafka.LocalKafka;
import io.llmpipe.protocol.KvCodecSpec;
import io.llmpipe.protocol.KvHandoff;
import io.llmpipe.protocol.KvHandoffAssembler;
import io.llmpipe.protocol.KvHandoffHeader;
import io.llmpipe.protocol.KvHandoffSplitter;
import io.llmpipe.protocol.KvMessage;
import io.llmpipe.protocol.KvMessageDeserializer;
import io.llmpipe.protocol.KvMessageSerializer;
import io.llmpipe.protocol.SamplingParameters;
import io.llmpipe.protocol.Topics;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * {@code pipeline bench kv}: the KV handoff codecs on the Llama-3.2-1B shape (16 layers, 32 query and 8
 * KV heads of 64), in one run:
 * <ul>
 *   <li>bytes per token and the ratio to fp16 at each context (from real encodes of one layer; every
 *       layer is alike), the in-memory bytes per token of the cache decode runs on, and the relative
 *       error of a decode step's attention over it (structured keys and values, as the attention bench's);</li>
 *   <li>encode and decode throughput (MiB of the fp32 cache per second);</li>
 *   <li>the handoff through a real Kafka broker (encode, layer-aligned chunks, produce, consume,
 *       reassemble with checksums, decode) against prefilling the same prompt on the 1B-shaped model
 *       with the same number of layers (both scale with the layer count, so the ratio is the whole model's);</li>
 *   <li>the decode step's attention (one token, all heads of a layer) over the compressed cache against
 *       the uncompressed one.</li>
 * </ul>
 */
public final class KvBench {
    private static final int LAYERS = 16;
    private static final AttentionShape SHAPE = new AttentionShape(32, 8, 64);

    /**
     * @param contexts       contexts for sizes, throughput and error
     * @param stepContexts   contexts for the decode step
     * @param handoffTokens  prompt length of the Kafka handoff and prefill rows (0: none)
     * @param modelLayers    layers of the 1B-shaped model for those rows
     */
    public record Options(int[] contexts, int[] stepContexts, int handoffTokens, int modelLayers, int groupSize,
                          int residualLength, Path projectDir, Path workDir) {
    }

    private final Options options;
    private final PrintWriter log;

    public KvBench(Options options, PrintWriter log) {
        this.options = options;
        this.log = log;
    }

    private List<KvCodec> codecs() {
        return List.of(KvCodec.FP32, KvCodec.FP16, new KiviCodec(4, options.groupSize(), options.residualLength()),
                new KiviCodec(2, options.groupSize(), options.residualLength()));
    }

    public BenchReport run() throws Exception {
        BenchReport report = new BenchReport("kv");
        try (Parallel parallel = new Parallel(Parallel.defaultThreads())) {
            for (int n : options.contexts()) {
                sizesAndThroughput(report, n, parallel);
            }
            decodeStep(new BenchReport("warm-up"), 2048, parallel); // every codec's kernels compiled before timing
            for (int n : options.stepContexts()) {
                decodeStep(report, n, parallel);
            }
            if (options.handoffTokens() > 0) {
                handoffThroughKafka(report, parallel);
            }
        }
        return report;
    }

    private static void row(BenchReport report, KvCodec codec, int context, String metric, double value, String unit) {
        report.add(new BenchRow().put("codec", label(codec)).put("context", context).put("metric", metric)
                .put("value", value).put("unit", unit));
    }

    private static String label(KvCodec codec) {
        return codec instanceof KiviCodec k ? k.wireName() + " (G" + k.groupSize() + ", R" + k.residualLength() + ")" : codec.wireName();
    }

    /** One layer of the 1B shape holding {@code n} positions of structured keys and values. */
    private static FloatKvCache layer(Inputs in, int n) {
        FloatKvCache cache = new FloatKvCache(1, SHAPE.kvHeads(), SHAPE.headSize(), n + 1);
        cache.write(0, 0, in.k(), in.v(), 0, n);
        return cache;
    }

    private void sizesAndThroughput(BenchReport report, int n, Parallel parallel) {
        log.printf("[bench] sizes, throughput and error at %d tokens...%n", n);
        log.flush();
        Inputs in = StructuredAttentionInputs.generate(SHAPE, n + 1, n);
        FloatKvCache source = layer(in, n);
        double fp16Bytes = KvCodec.FP16.layerBytes(SHAPE.kvHeads(), SHAPE.headSize(), n);
        double sourceMib = n * SHAPE.kvDim() * 2.0 * Float.BYTES / 1048576.0;
        // the last prompt row's query as a decode step's, against the exact cache
        float[] q = Arrays.copyOfRange(in.q(), n * SHAPE.queryDim(), (n + 1) * SHAPE.queryDim());
        float[] exact = exactStep(in, q, n, parallel);
        for (KvCodec codec : codecs()) {
            byte[] payload = codec.encode(source, n);
            long encodeNanos = Long.MAX_VALUE, decodeNanos = Long.MAX_VALUE;
            KvCache decoded = null;
            for (int rep = 0; rep < 3; rep++) {
                long t0 = System.nanoTime();
                payload = codec.encode(source, n);
                long t1 = System.nanoTime();
                decoded = codec.decode(ByteBuffer.wrap(payload), 1, SHAPE.kvHeads(), SHAPE.headSize(), n, n + 1);
                long t2 = System.nanoTime();
                encodeNanos = Math.min(encodeNanos, t1 - t0);
                decodeNanos = Math.min(decodeNanos, t2 - t1);
            }
            row(report, codec, n, "bytes_per_token", (double) payload.length * LAYERS / n, "bytes (16 layers)");
            row(report, codec, n, "ratio_to_fp16", payload.length / fp16Bytes, "x");
            row(report, codec, n, "memory_bytes_per_token", (double) decoded.bytes() * LAYERS / n, "bytes (16 layers, decode's cache)");
            row(report, codec, n, "encode_throughput", sourceMib / (encodeNanos / 1e9), "MiB/s of fp32 cache");
            row(report, codec, n, "decode_throughput", sourceMib / (decodeNanos / 1e9), "MiB/s of fp32 cache");
            // a decode step after the handoff: the new token's row goes in, then attention over everything
            decoded.write(0, n, in.k(), in.v(), n * SHAPE.kvDim(), 1);
            float[] got = new float[SHAPE.queryDim()];
            decoded.attend(0, SHAPE, DenseAttention.INSTANCE, q, 0, 1, n, got, 0, parallel);
            row(report, codec, n, "attention_error", relativeError(got, exact), "relative L2, one decode step");
        }
    }

    /** The exact decode step at position {@code n}: the step's own row appended, then attention. */
    private static float[] exactStep(Inputs in, float[] q, int n, Parallel parallel) {
        FloatKvCache cache = new FloatKvCache(1, SHAPE.kvHeads(), SHAPE.headSize(), n + 1);
        cache.write(0, 0, in.k(), in.v(), 0, n + 1);
        float[] out = new float[SHAPE.queryDim()];
        cache.attend(0, SHAPE, DenseAttention.INSTANCE, q, 0, 1, n, out, 0, parallel);
        return out;
    }

    private static double relativeError(float[] got, float[] exact) {
        double num = 0, den = 0;
        for (int i = 0; i < exact.length; i++) {
            num += (got[i] - exact[i]) * (double) (got[i] - exact[i]);
            den += exact[i] * (double) exact[i];
        }
        return Math.sqrt(num / Math.max(den, 1e-30));
    }

    private void decodeStep(BenchReport report, int n, Parallel parallel) {
        log.printf("[bench] decode step attention at %d tokens...%n", n);
        log.flush();
        Inputs in = StructuredAttentionInputs.generate(SHAPE, n + 1, n);
        float[] q = Arrays.copyOfRange(in.q(), n * SHAPE.queryDim(), (n + 1) * SHAPE.queryDim());
        float[] out = new float[SHAPE.queryDim()];
        double fp32Millis = 0;
        for (KvCodec codec : codecs()) {
            KvCache cache = codec.handOff(layer(in, n), n);
            cache.write(0, n, in.k(), in.v(), n * SHAPE.kvDim(), 1);
            long best = Long.MAX_VALUE;
            for (int rep = 0; rep < 30; rep++) {
                long t0 = System.nanoTime();
                cache.attend(0, SHAPE, DenseAttention.INSTANCE, q, 0, 1, n, out, 0, parallel);
                best = Math.min(best, System.nanoTime() - t0);
            }
            double millis = best / 1e6;
            if (codec == KvCodec.FP32) {
                fp32Millis = millis;
            }
            row(report, codec, n, "decode_attention_ms", millis, "ms per layer, 32 heads, best of 30");
            row(report, codec, n, "decode_attention_vs_fp32", millis / fp32Millis, "x");
        }
    }

    private void handoffThroughKafka(BenchReport report, Parallel parallel) throws Exception {
        int n = options.handoffTokens();
        Path file = SyntheticModels.llama32_1bShape(options.workDir().resolve("models"), GGMLType.Q8_0, options.modelLayers(), log);
        try (Model model = ModelLoader.load(new ModelLoader.Options(file, null, n + 16));
             LocalKafka kafka = LocalKafka.start(new LocalKafka.Options(options.workDir().resolve("kv-kafka"), 0,
                     Map.of(Topics.KV, 1), options.projectDir().resolve("deploy/local-kafka/target/kafka-lib"),
                     LocalKafka.DEFAULT_START_TIMEOUT))) {
            Generator g = new Generator(model, parallel);
            Random rnd = new Random(1);
            int vocab = model.config().vocabularySize();
            int[] prompt = new int[n];
            for (int i = 0; i < n; i++) {
                prompt[i] = 3 + rnd.nextInt(vocab - 3);
            }
            g.prefill(g.newSequence(), Arrays.copyOf(prompt, 512), DenseAttention.INSTANCE, 512); // warm-up
            log.printf("[bench] prefill of %d tokens, %d layers...%n", n, options.modelLayers());
            log.flush();
            Sequence seq = g.newSequence();
            long t0 = System.nanoTime();
            g.prefill(seq, prompt, DenseAttention.INSTANCE, 512);
            double prefillMillis = (System.nanoTime() - t0) / 1e6;
            row(report, KvCodec.FP32, n, "prefill_ms", prefillMillis, "ms, " + options.modelLayers() + " layers (dense)");
            var c = model.config();
            try (var producer = producer(kafka); var consumer = consumer(kafka)) {
                TopicPartition partition = new TopicPartition(Topics.KV, 0);
                consumer.assign(List.of(partition));
                for (int rep = 0; rep < 2; rep++) { // the first round warms up the clients
                    for (KvCodec codec : codecs()) {
                        consumer.seekToEnd(List.of(partition));
                        consumer.position(partition);
                        long s0 = System.nanoTime();
                        byte[] payload = codec.encode(seq.cache(), n);
                        KvHandoffHeader header = new KvHandoffHeader(KvHandoffHeader.SCHEMA_VERSION, "bench-" + codec.wireName(),
                                model.fingerprint(), c.layers(), c.kvHeads(), c.headSize(), spec(codec), n, 1,
                                SamplingParameters.GREEDY, 1, 2, new int[0], "bench", 0, n);
                        List<KvMessage> messages = new KvHandoffSplitter().split(header, ByteBuffer.wrap(payload),
                                KvHandoffSplitter.newHandoffId(), codec.layerBytes(c.kvHeads(), c.headSize(), n));
                        for (KvMessage m : messages) {
                            producer.send(new ProducerRecord<>(Topics.KV, m.requestId(), m));
                        }
                        producer.flush();
                        KvHandoff handoff = receive(consumer, model.fingerprint());
                        KvCache decoded = codec.decode(handoff.payload(), c.layers(), c.kvHeads(), c.headSize(), n, n + 16);
                        double millis = (System.nanoTime() - s0) / 1e6;
                        if (decoded.layers() != c.layers() || rep == 0) {
                            continue;
                        }
                        row(report, codec, n, "handoff_ms", millis, "ms: encode, Kafka, reassemble, decode; "
                                + options.modelLayers() + " layers, " + messages.size() + " records");
                        row(report, codec, n, "handoff_vs_prefill", millis / prefillMillis, "x");
                    }
                }
            }
        }
    }

    private static KvCodecSpec spec(KvCodec codec) {
        return switch (codec) {
            case KiviCodec k -> new KvCodecSpec(io.llmpipe.protocol.KvCodec.fromWireName(k.wireName()), k.groupSize(), k.residualLength());
            default -> KvCodecSpec.of(io.llmpipe.protocol.KvCodec.fromWireName(codec.wireName()));
        };
    }

    private static KvHandoff receive(KafkaConsumer<String, KvMessage> consumer, String fingerprint) {
        KvHandoffAssembler assembler = new KvHandoffAssembler(fingerprint);
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<String, KvMessage> r : consumer.poll(Duration.ofMillis(50))) {
                Optional<KvHandoff> done = assembler.accept(r.value());
                if (done.isPresent()) {
                    return done.get();
                }
            }
        }
        throw new IllegalStateException("the handoff did not arrive within 60 s");
    }

    private static KafkaProducer<String, KvMessage> producer(LocalKafka kafka) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 1048576);
        return new KafkaProducer<>(p, new StringSerializer(), new KvMessageSerializer());
    }

    private static KafkaConsumer<String, KvMessage> consumer(LocalKafka kafka) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10);
        return new KafkaConsumer<>(p, new StringDeserializer(), new KvMessageDeserializer());
    }
}
