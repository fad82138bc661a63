package io.llmpipe.decode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmpipe.engine.attention.DenseAttention;
import io.llmpipe.engine.generation.GenerationOptions;
import io.llmpipe.engine.generation.Generator;
import io.llmpipe.engine.generation.Sequence;
import io.llmpipe.engine.kv.KvCodec;
import io.llmpipe.engine.model.Model;
import io.llmpipe.engine.model.ModelLoader;
import io.llmpipe.engine.sampling.Sampler;
import io.llmpipe.engine.tensor.Parallel;
import io.llmpipe.protocol.AttentionSpec;
import io.llmpipe.protocol.ErrorInfo;
import io.llmpipe.protocol.FinishReason;
import io.llmpipe.protocol.GenerationRequest;
import io.llmpipe.protocol.KvCodecSpec;
import io.llmpipe.protocol.KvHandoffHeader;
import io.llmpipe.protocol.SamplingParameters;
import io.llmpipe.protocol.TokenEvent;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The decode loop on stories260K without Kafka: handoffs made by a real prefill (through the fp32
 * codec) decode to run.c's tokens when batched together; cancellation and deadlines end a request
 * with one final event and release its record.
 */
class DecodeLoopTest {
    private static Model model;
    private static Parallel parallel;
    private static JsonNode runs;

    @BeforeAll
    static void load() throws Exception {
        Path models = Path.of(System.getProperty("llmpipe.shared.dir"), "models");
        model = ModelLoader.load(new ModelLoader.Options(models.resolve("stories260K.bin"), models.resolve("tok512.bin"), 512));
        parallel = new Parallel(2);
        runs = new ObjectMapper().readTree(models.resolve("stories260K.golden.json").toFile()).get("runs");
    }

    @AfterAll
    static void close() {
        parallel.close();
        model.close();
    }

    /** Prefill as the prefill-service does it, then the fp32 handoff round trip. */
    private static DecodeLoop.Work handoff(String id, int[] prompt, int maxTokens, long deadline, Runnable onDone) {
        Generator g = new Generator(model, parallel);
        Sequence seq = g.newSequence();
        float[] logits = g.prefill(seq, prompt, DenseAttention.INSTANCE, GenerationOptions.DEFAULT_PREFILL_CHUNK);
        int first = Sampler.argmax(logits, 0, model.config().vocabularySize());
        GenerationRequest r = new GenerationRequest(GenerationRequest.SCHEMA_VERSION, id, "stories260K", prompt,
                SamplingParameters.GREEDY, maxTokens, new int[0], AttentionSpec.DENSE, KvCodecSpec.FP32, "test", deadline,
                System.currentTimeMillis());
        var c = model.config();
        KvHandoffHeader h = KvHandoffHeader.afterPrefill(r, model.fingerprint(), c.layers(), c.kvHeads(), c.headSize(), first);
        Sequence restored = Sequence.restored(KvCodec.FP32.handOff(seq.cache(), seq.length()), seq.length());
        return new DecodeLoop.Work(h, restored, onDone);
    }

    private static int[] ints(JsonNode n) {
        return new ObjectMapper().convertValue(n, int[].class);
    }

    @Test
    void batchedRequestsDecodeRunCsTokens() throws Exception {
        Map<String, List<TokenEvent>> events = new ConcurrentHashMap<>();
        CountDownLatch done = new CountDownLatch(runs.size());
        int maxTokens = 40;
        try (DecodeLoop loop = new DecodeLoop(new Generator(model, parallel), 3, 8,
                e -> events.computeIfAbsent(e.requestId(), k -> new CopyOnWriteArrayList<>()).add(e), new SimpleMeterRegistry())) {
            for (int i = 0; i < runs.size(); i++) {
                loop.submit(handoff("r" + i, ints(runs.get(i).get("prompt_token_ids")), maxTokens, 0, done::countDown)).get();
            }
            assertTrue(done.await(60, TimeUnit.SECONDS), "all requests finish");
        }
        for (int i = 0; i < runs.size(); i++) {
            int[] golden = ints(runs.get(i).get("generated_token_ids"));
            List<TokenEvent> got = events.get("r" + i);
            assertNotNull(got);
            assertEquals(maxTokens - 1, got.size(), "decode publishes tokens 1..max-1");
            for (int k = 0; k < got.size(); k++) {
                TokenEvent e = got.get(k);
                assertEquals(k + 1, e.sequence());
                assertEquals(golden[k + 1], e.tokenId(), "request " + i + " token " + (k + 1));
            }
            TokenEvent last = got.getLast();
            assertEquals(FinishReason.LENGTH, last.finishReason());
            assertEquals(maxTokens, last.usage().completionTokens());
            assertEquals(golden.length > 0 ? runs.get(i).get("prompt_token_ids").size() : 0, last.usage().promptTokens());
        }
    }

    @Test
    void cancellationEndsARequestBetweenSteps() throws Exception {
        List<TokenEvent> events = new CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        AtomicInteger acks = new AtomicInteger();
        int[] prompt = ints(runs.get(0).get("prompt_token_ids"));
        try (DecodeLoop loop = new DecodeLoop(new Generator(model, parallel), 2, 4, e -> {
            events.add(e);
        }, new SimpleMeterRegistry())) {
            loop.submit(handoff("long", prompt, 400, 0, () -> {
                acks.incrementAndGet();
                done.countDown();
            })).get();
            long until = System.currentTimeMillis() + 30_000;
            while (events.size() < 3 && System.currentTimeMillis() < until) {
                Thread.sleep(1);
            }
            loop.cancel("long");
            assertTrue(done.await(30, TimeUnit.SECONDS), "the cancelled request is released");
            TokenEvent last = events.getLast();
            assertEquals(FinishReason.CANCELLED, last.finishReason());
            assertTrue(events.size() < 300, "stopped long before its limit, after " + events.size() + " events");
            assertEquals(last.sequence(), events.get(events.size() - 2).sequence() + 1, "the final event continues the sequence");
            assertEquals(1, acks.get());
            long settle = System.currentTimeMillis() + 5_000;
            while (loop.activeCount() != 0 && System.currentTimeMillis() < settle) {
                Thread.sleep(1);
            }
            assertEquals(0, loop.activeCount(), "the batch slot is free");

            // a cancellation that arrives before its handoff drops the handoff on arrival
            CountDownLatch early = new CountDownLatch(1);
            loop.cancel("early");
            Thread.sleep(50);
            loop.submit(handoff("early", prompt, 50, 0, early::countDown)).get();
            assertTrue(early.await(10, TimeUnit.SECONDS));
            TokenEvent only = events.stream().filter(e -> e.requestId().equals("early")).reduce((a, b) -> b).orElseThrow();
            assertEquals(FinishReason.CANCELLED, only.finishReason());
            assertEquals(1, events.stream().filter(e -> e.requestId().equals("early")).count());
        }
    }

    @Test
    void aPassedDeadlineEndsWithAnError() throws Exception {
        List<TokenEvent> events = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        try (DecodeLoop loop = new DecodeLoop(new Generator(model, parallel), 2, 4, e -> {
            synchronized (events) {
                events.add(e);
            }
        }, new SimpleMeterRegistry())) {
            loop.submit(handoff("late", ints(runs.get(1).get("prompt_token_ids")), 400, System.currentTimeMillis() - 1, done::countDown)).get();
            assertTrue(done.await(10, TimeUnit.SECONDS));
        }
        synchronized (events) {
            assertEquals(1, events.size());
            assertEquals(FinishReason.ERROR, events.getFirst().finishReason());
            assertEquals(ErrorInfo.DEADLINE_EXCEEDED, events.getFirst().error().code());
        }
    }

    @Test
    void drainFinishesWhatWasTakenAndTakesNothingNew() throws Exception {
        List<TokenEvent> events = new CopyOnWriteArrayList<>();
        AtomicInteger acks = new AtomicInteger();
        int[] prompt = ints(runs.get(0).get("prompt_token_ids"));
        try (DecodeLoop loop = new DecodeLoop(new Generator(model, parallel), 1, 4, events::add, new SimpleMeterRegistry())) {
            // one in the batch, one waiting for its slot: both were taken, both must finish
            loop.submit(handoff("active", prompt, 60, 0, acks::incrementAndGet)).get();
            loop.submit(handoff("queued", prompt, 20, 0, acks::incrementAndGet)).get();
            // a zero-timeout drain only switches the loop to draining
            loop.drain(Duration.ZERO);
            var refused = loop.submit(handoff("new", prompt, 20, 0, acks::incrementAndGet));
            assertTrue(loop.drain(Duration.ofSeconds(60)), "the drain ends with nothing unfinished");
            assertEquals(2, acks.get(), "both taken requests finished and were released for acknowledgement");
            assertTrue(!refused.isDone(), "a handoff offered while draining is held: its record is not acknowledged");
            assertTrue(events.stream().noneMatch(e -> e.requestId().equals("new")), "nothing decoded for it");
            for (String id : List.of("active", "queued")) {
                TokenEvent last = events.stream().filter(e -> e.requestId().equals(id)).reduce((x, y) -> y).orElseThrow();
                assertTrue(last.finishReason() == FinishReason.LENGTH || last.finishReason() == FinishReason.STOP, id + " ran to its end");
            }
        }
    }

    @Test
    void drainTimesOutLeavingLongRequestsUnacknowledged() throws Exception {
        AtomicInteger acks = new AtomicInteger();
        int[] prompt = ints(runs.get(0).get("prompt_token_ids"));
        try (DecodeLoop loop = new DecodeLoop(new Generator(model, parallel), 1, 4, e -> { }, new SimpleMeterRegistry())) {
            loop.submit(handoff("long", prompt, 100_000, 0, acks::incrementAndGet)).get();
            // the whole context (about 500 steps) cannot pass before a zero timeout expires
            assertTrue(!loop.drain(Duration.ZERO), "the drain gives up");
            assertEquals(0, acks.get(), "not acknowledged: another instance decodes it again");
            assertEquals(1, loop.unfinishedCount());
        }
    }
}
