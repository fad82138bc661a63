package io.llmpipe.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmpipe.cli.LocalPipeline;
import io.llmpipe.cli.Main;
import io.llmpipe.protocol.Topics;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The pipeline as a user runs it: a real Kafka broker, the services as separate JVMs (two gateways),
 * stories260K. Completions through it equal {@code pipeline generate}'s (run in-process here with the
 * same arguments), concurrent streams get their own tokens, a client that goes away cancels its
 * request in decode, a decode-service killed mid-stream and restarted still yields the complete and
 * identical stream, and malformed input of every kind is answered or parked without loss.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PipelineEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path MODELS = Path.of(System.getProperty("llmpipe.shared.dir"), "models");
    private static final Path MODEL = MODELS.resolve("stories260K.bin");
    private static final Path TOKENIZER = MODELS.resolve("tok512.bin");

    private LocalPipeline pipeline;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** What {@code pipeline generate --json} printed. */
    record Generated(String text, int promptTokens, int completionTokens, String finishReason) {
    }

    /** A completion as the client saw it. */
    record Completion(String text, String finishReason, JsonNode usage, List<JsonNode> chunks) {
    }

    @BeforeAll
    void start() throws Exception {
        Path dir = Files.createTempDirectory("llmpipe-e2e");
        pipeline = LocalPipeline.start(new LocalPipeline.Options(Path.of(System.getProperty("llmpipe.project.dir")), MODEL, TOKENIZER,
                "stories260K", 512, 0, 2, dir, Map.of("llmpipe.decode.max-batch", "8", "llmpipe.threads", "1")),
                new PrintWriter(System.out, true));
    }

    @AfterAll
    void stop() {
        if (pipeline != null) {
            pipeline.close();
        }
    }

    private static Generated generate(String prompt, int maxTokens, double temperature, long seed, boolean ignoreEos) throws Exception {
        return generate(prompt, maxTokens, temperature, seed, ignoreEos, List.of());
    }

    private static Generated generate(String prompt, int maxTokens, double temperature, long seed, boolean ignoreEos,
                                      List<String> extra) throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        List<String> args = new ArrayList<>(List.of("generate", "--model", MODEL.toString(), "--tokenizer", TOKENIZER.toString(),
                "--context", "512", "--prompt", prompt, "--max-tokens", Integer.toString(maxTokens), "--temperature",
                Double.toString(temperature), "--top-k", "40", "--top-p", "0.95", "--seed", Long.toString(seed), "--threads", "1",
                "--json"));
        if (ignoreEos) {
            args.add("--ignore-eos");
        }
        args.addAll(extra);
        assertEquals(0, cl.execute(args.toArray(String[]::new)), err.toString());
        JsonNode o = JSON.readTree(out.toString());
        return new Generated(o.get("text").asText(), o.get("prompt_token_ids").size(), o.get("token_ids").size(),
                o.get("finish_reason").asText());
    }

    private static ObjectNode chat(String content, int maxTokens, double temperature, long seed, boolean stream) {
        ObjectNode body = JSON.createObjectNode().put("model", "stories260K").put("max_tokens", maxTokens)
                .put("temperature", temperature).put("top_k", 40).put("top_p", 0.95).put("seed", seed).put("stream", stream);
        body.putArray("messages").addObject().put("role", "user").put("content", content);
        if (stream) {
            body.putObject("stream_options").put("include_usage", true);
        }
        return body;
    }

    private HttpResponse<String> post(String gateway, String path, String body) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(pipeline.url(gateway) + path)).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return http.send(req, HttpResponse.BodyHandlers.ofString());
    }

    /** Reads an SSE completion, checking its framing: "data: {json}" events, each followed by a blank line, then [DONE]. */
    private Completion stream(String gateway, String path, ObjectNode body) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(pipeline.url(gateway) + path)).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
        HttpResponse<java.util.stream.Stream<String>> resp = http.send(req, HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, resp.statusCode());
        assertTrue(resp.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        return readEvents(resp.body().iterator(), path.contains("chat"));
    }

    private static Completion readEvents(Iterator<String> lines, boolean chat) throws Exception {
        List<JsonNode> chunks = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        String finish = null;
        JsonNode usage = null;
        boolean done = false;
        while (lines.hasNext()) {
            String line = lines.next();
            assertTrue(line.startsWith("data: "), "an SSE data line: " + line);
            assertEquals("", lines.next(), "a blank line ends each event");
            String data = line.substring("data: ".length());
            if (data.equals("[DONE]")) {
                done = true;
                break;
            }
            JsonNode c = JSON.readTree(data);
            assertFalse(c.has("error"), "no error: " + data);
            chunks.add(c);
            assertEquals(chat ? "chat.completion.chunk" : "text_completion", c.get("object").asText());
            assertEquals(chunks.getFirst().get("id").asText(), c.get("id").asText(), "one id per completion");
            if (c.get("choices").isEmpty()) {
                usage = c.get("usage");
                continue;
            }
            JsonNode choice = c.get("choices").get(0);
            text.append(chat ? choice.path("delta").path("content").asText("") : choice.get("text").asText());
            if (!choice.get("finish_reason").isNull()) {
                finish = choice.get("finish_reason").asText();
            }
        }
        assertTrue(done, "the stream ends with data: [DONE]");
        assertFalse(lines.hasNext(), "nothing after [DONE]");
        return new Completion(text.toString(), finish, usage, chunks);
    }

    @Test
    @Order(1)
    void streamedChatAtTemperatureZeroEqualsGenerate() throws Exception {
        String prompt = "Once upon a time";
        Generated expected = generate(prompt, 80, 0, 0, false);
        Completion got = stream("gateway", "/v1/chat/completions", chat(prompt, 80, 0, 0, true));
        assertEquals(expected.text(), got.text());
        assertEquals(expected.finishReason(), got.finishReason());
        assertEquals("assistant", got.chunks().getFirst().get("choices").get(0).get("delta").get("role").asText());
        assertNotNull(got.usage(), "include_usage puts usage in the last chunk");
        assertEquals(expected.promptTokens(), got.usage().get("prompt_tokens").asInt());
        assertEquals(expected.completionTokens(), got.usage().get("completion_tokens").asInt());
        assertEquals(expected.promptTokens() + expected.completionTokens(), got.usage().get("total_tokens").asInt());
    }

    @Test
    @Order(2)
    void nonStreamingReturnsTheSameText() throws Exception {
        String prompt = "Lily and Ben";
        Generated expected = generate(prompt, 60, 0, 0, false);
        JsonNode chat = JSON.readTree(post("gateway-1", "/v1/chat/completions", chat(prompt, 60, 0, 0, false).toString()).body());
        assertEquals("chat.completion", chat.get("object").asText());
        assertEquals(expected.text(), chat.get("choices").get(0).get("message").get("content").asText());
        assertEquals(expected.finishReason(), chat.get("choices").get(0).get("finish_reason").asText());
        assertEquals(expected.completionTokens(), chat.get("usage").get("completion_tokens").asInt());
        assertEquals(expected.promptTokens(), chat.get("usage").get("prompt_tokens").asInt());

        ObjectNode body = JSON.createObjectNode().put("model", "stories260K").put("prompt", prompt).put("max_tokens", 60).put("temperature", 0)
                .put("top_k", 40).put("top_p", 0.95);
        JsonNode text = JSON.readTree(post("gateway", "/v1/completions", body.toString()).body());
        assertEquals("text_completion", text.get("object").asText());
        assertEquals(expected.text(), text.get("choices").get(0).get("text").asText());
        Completion streamed = stream("gateway", "/v1/completions", body.put("stream", true));
        assertEquals(expected.text(), streamed.text());
    }

    @Test
    @Order(3)
    void eightConcurrentStreamsOnTwoGatewaysEachGetTheirOwnTokens() throws Exception {
        String[] prompts = {"Once upon a time", "The cat", "Tom had a ball", "One day", "Lily saw a bird", "The sun was", "A big dog",
            "Mom said"};
        List<Generated> expected = new ArrayList<>();
        for (int i = 0; i < prompts.length; i++) {
            expected.add(generate(prompts[i], 100, 0.8, 1000 + i, false));
        }
        ExecutorService pool = Executors.newFixedThreadPool(prompts.length);
        try {
            List<Future<Completion>> futures = new ArrayList<>();
            for (int i = 0; i < prompts.length; i++) {
                String gateway = i % 2 == 0 ? "gateway" : "gateway-1";
                ObjectNode body = chat(prompts[i], 100, 0.8, 1000 + i, true);
                futures.add(pool.submit(() -> stream(gateway, "/v1/chat/completions", body)));
            }
            for (int i = 0; i < prompts.length; i++) {
                Completion got = futures.get(i).get();
                assertEquals(expected.get(i).text(), got.text(), "stream " + i);
                assertEquals(expected.get(i).completionTokens(), got.usage().get("completion_tokens").asInt(), "stream " + i);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @Order(4)
    void badRequestsGetOpenAiErrors() throws Exception {
        assertError(post("gateway", "/v1/chat/completions", "{not json"), 400, null);
        assertError(post("gateway", "/v1/chat/completions", "{\"model\":\"stories260K\"}"), 400, "messages");
        assertError(post("gateway", "/v1/chat/completions", "{\"model\":\"stories260K\",\"messages\":\"hi\"}"), 400, "messages");
        assertError(post("gateway", "/v1/chat/completions", chat("x", 10, 0, 0, false).put("temperature", "hot").toString()), 400, "temperature");
        assertError(post("gateway", "/v1/chat/completions", chat("x", 10, 0, 0, false).put("temperature", 7).toString()), 422, "temperature");
        assertError(post("gateway", "/v1/chat/completions", chat("x", 10, 0, 0, false).put("model", "gpt-9").toString()), 404, "model");
        assertError(post("gateway", "/v1/completions", "{\"model\":\"stories260K\",\"prompt\":\"" + "Once upon a time. ".repeat(200) + "\"}"),
                400, "prompt");
        assertError(post("gateway", "/v1/completions", "{\"model\":\"stories260K\",\"prompt\":\"Hi\",\"max_tokens\":5000}"), 400, "max_tokens");
    }

    private static void assertError(HttpResponse<String> resp, int status, String param) throws Exception {
        assertEquals(status, resp.statusCode(), resp.body());
        JsonNode error = JSON.readTree(resp.body()).get("error");
        assertNotNull(error, resp.body());
        assertTrue(error.hasNonNull("message"));
        assertTrue(error.hasNonNull("type"));
        if (param != null) {
            assertEquals(param, error.get("param").asText());
        }
    }

    @Test
    @Order(5)
    void malformedKafkaRecordsGoToDeadLetterTopicsAndServingGoesOn() throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, pipeline.bootstrapServers());
        try (var producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            for (String topic : List.of(Topics.REQUESTS, Topics.KV, Topics.TOKENS, Topics.CONTROL)) {
                producer.send(new ProducerRecord<>(topic, "garbage-" + topic, "\u0000\u0001 not a record".getBytes(StandardCharsets.UTF_8))).get();
            }
        }
        Generated expected = generate("The dog", 40, 0, 0, false);
        assertEquals(expected.text(), stream("gateway", "/v1/chat/completions", chat("The dog", 40, 0, 0, true)).text());
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, pipeline.bootstrapServers());
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "e2e-dlq-check");
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // llm.tokens is read by each gateway, llm.control by each decode instance: several copies may land there
        for (String topic : List.of(Topics.REQUESTS, Topics.KV, Topics.TOKENS, Topics.CONTROL)) {
            boolean found = false;
            try (var consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer())) {
                consumer.subscribe(List.of(Topics.deadLetter(topic)));
                long until = System.currentTimeMillis() + 30_000;
                while (!found && System.currentTimeMillis() < until) {
                    for (var r : consumer.poll(Duration.ofMillis(200))) {
                        found |= ("garbage-" + topic).equals(r.key());
                    }
                }
            }
            assertTrue(found, "the malformed record of " + topic + " is on " + Topics.deadLetter(topic));
        }
    }

    @Test
    @Order(7)
    void flexPrefillChosenPerRequestGivesWhatGenerateGives() throws Exception {
        JsonNode runs = JSON.readTree(MODELS.resolve("stories260K.golden.json").toFile()).get("runs");
        StringBuilder story = new StringBuilder();
        for (JsonNode run : runs) {
            story.append(run.get("generated_text").asText()).append(' ');
        }
        String prompt = story.substring(0, 950); // over 400 tokens: sparse-eligible with block 16 (more than 16 blocks), min budget 64
        Generated expected = generate(prompt, 60, 0, 0, false,
                List.of("--attention", "flexprefill", "--block-size", "16", "--min-budget", "64", "--gamma", "0.9", "--tau", "0.1"));
        ObjectNode body = chat(prompt, 60, 0, 0, true);
        body.putObject("attention").put("mode", "flexprefill").put("block_size", 16).put("min_budget", 64).put("gamma", 0.9);
        Completion got = stream("gateway", "/v1/chat/completions", body);
        assertTrue(expected.promptTokens() >= 400, "prompt of " + expected.promptTokens() + " tokens");
        assertEquals(expected.text(), got.text());
        JsonNode report = got.chunks().stream().filter(c -> c.has("llmpipe")).findFirst().orElseThrow().get("llmpipe");
        assertEquals("flexprefill", report.get("attention").asText());
        double density = report.get("attention_density").asDouble();
        assertTrue(density > 0 && density < 1, "the mode and the density it used come back: " + density);

        ObjectNode bad = chat(prompt, 10, 0, 0, false);
        bad.putObject("attention").put("mode", "flexprefill").put("bogus", 1);
        assertError(post("gateway", "/v1/chat/completions", bad.toString()), 400, null);
    }

    @Test
    @Order(8)
    void kiviHandoffsThroughKafkaDecodeWhatGenerateDecodes() throws Exception {
        JsonNode runs = JSON.readTree(MODELS.resolve("stories260K.golden.json").toFile()).get("runs");
        // golden prompts: the handoff is all residual, decode quantizes as the context grows past 128
        for (JsonNode run : runs) {
            String prompt = run.get("prompt").asText();
            if (prompt.isEmpty()) {
                continue; // a chat message must have content
            }
            Generated expected = generate(prompt, 200, 0, 0, true, List.of("--kv", "kivi2"));
            ObjectNode body = chat(prompt, 200, 0, 0, true).put("ignore_eos", true).put("kv_cache", "kivi2");
            assertEquals(expected.text(), stream("gateway", "/v1/chat/completions", body).text(), "prompt '" + prompt + "'");
        }
        // a long prompt: the handoff itself carries codes (keys of whole 64-token windows, values of all but the last 64)
        StringBuilder story = new StringBuilder();
        for (JsonNode run : runs) {
            story.append(run.get("generated_text").asText()).append(' ');
        }
        String prompt = story.substring(0, 700);
        Generated expected = generate(prompt, 150, 0, 0, true, List.of("--kv", "kivi4", "--kv-group-size", "16", "--kv-residual-length", "64"));
        assertTrue(expected.promptTokens() > 256, "prompt of " + expected.promptTokens() + " tokens");
        ObjectNode body = chat(prompt, 150, 0, 0, true).put("ignore_eos", true);
        body.putObject("kv_cache").put("codec", "kivi4").put("group_size", 16).put("residual_length", 64);
        assertEquals(expected.text(), stream("gateway", "/v1/chat/completions", body).text());
        String metrics = http.send(HttpRequest.newBuilder(URI.create(pipeline.url("prefill-service") + "/q/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher ratio = Pattern.compile("(?m)^llmpipe_prefill_kv_handoff_ratio_max\\{[^}]*codec=\"kivi4\"[^}]*\\} (\\S+)$").matcher(metrics);
        assertTrue(ratio.find(), "the compression ratio is reported: " + metrics.lines().filter(l -> l.contains("kv_handoff")).toList());
        assertTrue(Double.parseDouble(ratio.group(1)) < 0.5, ratio.group());

        ObjectNode bad = chat(prompt, 10, 0, 0, false);
        bad.putObject("kv_cache").put("codec", "kivi2").put("residual_length", 40);
        assertError(post("gateway", "/v1/chat/completions", bad.toString()), 422, "kv_cache");
        assertError(post("gateway", "/v1/chat/completions", chat(prompt, 10, 0, 0, false).put("kv_cache", "kivi3").toString()), 422, "kv_cache");
    }

    private double decodeMetric(String name) throws Exception {
        String body = http.send(HttpRequest.newBuilder(URI.create(pipeline.url("decode-service") + "/q/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{[^}]*\\} (\\S+)$").matcher(body);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    @Test
    @Order(6)
    void clientsThatDisconnectCancelTheirRequestsInDecode() throws Exception {
        double cancelledBefore = decodeMetric("llmpipe_decode_cancelled_total");
        double tokensBefore = decodeMetric("llmpipe_decode_tokens_total");
        URI uri = URI.create(pipeline.url("gateway"));
        ObjectNode body = JSON.createObjectNode().put("model", "stories260K").put("prompt", "Once").put("max_tokens", 500)
                .put("ignore_eos", true).put("stream", true);
        byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
        // eight long streams keep decode busy (batched) for well over a second: the cancellations land mid-generation
        int streams = 8;
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < streams; i++) {
                Socket socket = new Socket(uri.getHost(), uri.getPort());
                sockets.add(socket);
                OutputStream out = socket.getOutputStream();
                out.write(("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "
                        + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(bytes);
                out.flush();
            }
            for (Socket socket : sockets) {
                BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
                int events = 0;
                String line;
                while (events < 5 && (line = in.readLine()) != null) {
                    if (line.startsWith("data: ")) {
                        events++;
                    }
                }
                assertEquals(5, events);
            }
        } finally {
            for (Socket socket : sockets) {
                socket.close(); // the clients go away mid-stream
            }
        }
        long until = System.currentTimeMillis() + 30_000;
        while ((decodeMetric("llmpipe_decode_cancelled_total") < cancelledBefore + 1 || decodeMetric("llmpipe_decode_active") > 0)
                && System.currentTimeMillis() < until) {
            Thread.sleep(100);
        }
        double cancelled = decodeMetric("llmpipe_decode_cancelled_total") - cancelledBefore;
        double generated = decodeMetric("llmpipe_decode_tokens_total") - tokensBefore;
        assertTrue(cancelled >= 1, "decode cancelled the requests whose clients went away");
        assertEquals(0.0, decodeMetric("llmpipe_decode_active"), "their batch slots and KV caches are freed");
        assertTrue(generated < streams * 499, "decode stopped early: " + generated + " of " + streams * 499 + " tokens");
    }

    @Test
    @Order(100)
    void aDecodeServiceKilledMidStreamAndRestartedStillYieldsTheWholeIdenticalStream() throws Exception {
        String prompt = "Once upon a time";
        Generated expected = generate(prompt, 480, 0.8, 7, true);
        ObjectNode body = chat(prompt, 480, 0.8, 7, true).put("ignore_eos", true);
        HttpRequest req = HttpRequest.newBuilder(URI.create(pipeline.url("gateway") + "/v1/chat/completions"))
                .timeout(Duration.ofSeconds(180)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
        HttpResponse<java.util.stream.Stream<String>> resp = http.send(req, HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, resp.statusCode());
        Iterator<String> lines = resp.body().iterator();
        // the role chunk and the first token (from prefill) and one decode token have arrived: crash decode now
        List<String> head = new ArrayList<>();
        while (head.stream().filter(l -> l.startsWith("data: ")).count() < 3) {
            head.add(lines.next());
        }
        pipeline.kill("decode-service");
        CompletableFuture<Void> restarted = CompletableFuture.runAsync(() -> {
            try {
                pipeline.restart("decode-service");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Iterator<String> headFirst = head.iterator();
        Iterator<String> all = new Iterator<>() {
            @Override
            public boolean hasNext() {
                return headFirst.hasNext() || lines.hasNext();
            }

            @Override
            public String next() {
                return headFirst.hasNext() ? headFirst.next() : lines.next();
            }
        };
        Completion got = readEvents(all, true);
        restarted.get();
        assertTrue(decodeMetric("llmpipe_decode_tokens_total") > 0, "the restarted decode-service took the request over");
        assertEquals(expected.text(), got.text(), "the complete stream, each token once");
        assertEquals(expected.completionTokens(), got.usage().get("completion_tokens").asInt());
        assertEquals("length", got.finishReason());
    }

    // ---- retrieval: ingest from the command line, search, RAG through the gateway, a crash ----

    private static final Path SCIFACT = Path.of(System.getProperty("llmpipe.shared.dir"), "data", "beir-scifact");
    /** SciFact test queries and the documents judged relevant to them, as ingested by the first retrieval test. */
    private final Map<String, String> scifactQueries = new java.util.LinkedHashMap<>();
    private final Map<String, java.util.Set<String>> scifactRelevant = new java.util.HashMap<>();
    private int scifactDocuments;

    private int ingest(String collection, Path file, StringWriter out, StringWriter err) {
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute("ingest", collection, file.toString(), "--url", pipeline.url("retrieval-service"), "--no-progress");
    }

    private HttpResponse<String> retrieval(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(pipeline.url("retrieval-service") + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json");
        b = body == null ? b.method(method, HttpRequest.BodyPublishers.noBody()) : b.method(method, HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** How many of the queries find a judged-relevant document in their top 10. */
    private int foundInTop10(boolean rerank) throws Exception {
        int found = 0;
        for (var q : scifactQueries.entrySet()) {
            ObjectNode body = JSON.createObjectNode().put("query", q.getValue()).put("k", 10).put("rerank", rerank);
            HttpResponse<String> resp = retrieval("POST", "/v1/collections/scifact/search", body.toString());
            assertEquals(200, resp.statusCode(), resp.body());
            for (JsonNode hit : JSON.readTree(resp.body()).get("data")) {
                if (scifactRelevant.get(q.getKey()).contains(hit.get("document_id").asText())) {
                    found++;
                    break;
                }
            }
        }
        return found;
    }

    @Test
    @Order(9)
    void documentsIngestedFromTheCommandLineAreFoundByMeaning() throws Exception {
        // 30 SciFact test queries, the documents judged relevant to them, 70 other documents, and one bad line
        for (String line : Files.readAllLines(SCIFACT.resolve("qrels/test.tsv")).subList(1, 200)) {
            String[] f = line.split("\t");
            if (scifactRelevant.size() < 30 || scifactRelevant.containsKey(f[0])) {
                scifactRelevant.computeIfAbsent(f[0], k -> new java.util.HashSet<>()).add(f[1]);
            }
        }
        java.util.Set<String> wanted = new java.util.HashSet<>();
        scifactRelevant.values().forEach(wanted::addAll);
        for (String line : Files.readAllLines(SCIFACT.resolve("queries.jsonl"))) {
            JsonNode q = JSON.readTree(line);
            if (scifactRelevant.containsKey(q.get("_id").asText())) {
                scifactQueries.put(q.get("_id").asText(), q.get("text").asText());
            }
        }
        List<String> lines = new ArrayList<>();
        int others = 0;
        try (var corpus = Files.lines(SCIFACT.resolve("corpus.jsonl"))) {
            for (String line : (Iterable<String>) corpus::iterator) {
                String id = JSON.readTree(line).get("_id").asText();
                if (wanted.contains(id) || others++ < 70) {
                    lines.add(line);
                }
            }
        }
        scifactDocuments = lines.size();
        lines.add(lines.size() / 2, "{\"_id\": \"broken\", \"text\": ");
        Path file = Files.createTempFile("scifact-subset", ".jsonl");
        Files.write(file, lines);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(1, ingest("scifact", file, out, err), "one bad line makes the exit code 1: " + err);
        assertTrue(out.toString().contains("ingested " + scifactDocuments + " documents"), out.toString());
        assertTrue(err.toString().contains("line " + (lines.size() / 2 + 1)), "the bad line is named: " + err);
        JsonNode collection = JSON.readTree(retrieval("GET", "/v1/collections/scifact", null).body());
        assertEquals(scifactDocuments, collection.get("documents").asInt());

        int dense = foundInTop10(false);
        int reranked = foundInTop10(true);
        System.out.printf("[e2e] SciFact subset (%d documents): a relevant document in the top 10 for %d/%d queries dense, %d reranked%n",
                scifactDocuments, dense, scifactQueries.size(), reranked);
        assertTrue(dense >= 0.8 * scifactQueries.size(), dense + " of " + scifactQueries.size());
        assertTrue(reranked >= 0.8 * scifactQueries.size(), reranked + " of " + scifactQueries.size());
    }

    @Test
    @Order(10)
    void aChatNamingACollectionGetsPassagesInItsPromptAndTheirIds() throws Exception {
        Path file = Files.createTempFile("stories", ".jsonl");
        Files.write(file, List.of(
                "{\"id\":\"lily\",\"text\":\"Lily had a red ball. She played with the ball in the park every day.\",\"metadata\":{\"kind\":\"story\"}}",
                "{\"id\":\"tom\",\"text\":\"Tom liked to bake cakes with his mom in the kitchen.\",\"metadata\":{\"kind\":\"story\"}}",
                "{\"id\":\"sun\",\"text\":\"The sun is a star. It gives light and warmth to the earth.\",\"metadata\":{\"kind\":\"fact\"}}"));
        assertEquals(0, ingest("stories", file, new StringWriter(), new StringWriter()));

        ObjectNode plain = chat("What did Lily play with in the park?", 20, 0, 1, false);
        HttpResponse<String> without = post("gateway", "/v1/chat/completions", plain.toString());
        assertEquals(200, without.statusCode(), without.body());
        ObjectNode rag = plain.deepCopy();
        rag.putObject("retrieval").put("collection", "stories").put("k", 2).put("rerank", true);
        HttpResponse<String> with = post("gateway", "/v1/chat/completions", rag.toString());
        assertEquals(200, with.statusCode(), with.body());
        JsonNode body = JSON.readTree(with.body());
        JsonNode passages = body.get("retrieval").get("passages");
        assertEquals("stories", body.get("retrieval").get("collection").asText());
        assertTrue(passages.size() >= 1 && passages.size() <= 2, with.body());
        assertEquals("lily", passages.get(0).get("document_id").asText(), with.body());
        assertEquals("lily#0", passages.get(0).get("id").asText());
        assertTrue(body.get("usage").get("prompt_tokens").asInt() > JSON.readTree(without.body()).get("usage").get("prompt_tokens").asInt() + 10,
                "the passages went into the prompt");

        // the short form, streaming: the first chunk names the passages
        ObjectNode streamed = chat("Who bakes cakes?", 10, 0, 1, true);
        streamed.put("retrieval", "stories");
        Completion c = stream("gateway", "/v1/chat/completions", streamed);
        JsonNode first = c.chunks().getFirst().get("retrieval");
        assertNotNull(first, c.chunks().getFirst().toString());
        assertEquals("tom", first.get("passages").get(0).get("document_id").asText());

        ObjectNode missing = chat("x", 5, 0, 1, false);
        missing.put("retrieval", "no-such-collection");
        HttpResponse<String> notFound = post("gateway", "/v1/chat/completions", missing.toString());
        assertEquals(404, notFound.statusCode(), notFound.body());
        assertEquals("collection_not_found", JSON.readTree(notFound.body()).get("error").get("code").asText());
    }

    @Test
    @Order(101)
    void aRetrievalServiceKilledAndRestartedKeepsEveryAcknowledgedDocument() throws Exception {
        pipeline.kill("retrieval-service");
        ObjectNode rag = chat("What did Lily play with?", 5, 0, 1, false);
        rag.put("retrieval", "stories");
        HttpResponse<String> down = post("gateway", "/v1/chat/completions", rag.toString());
        assertEquals(503, down.statusCode(), down.body());
        assertEquals("retrieval_unavailable", JSON.readTree(down.body()).get("error").get("code").asText());

        pipeline.restart("retrieval-service");
        JsonNode collection = JSON.readTree(retrieval("GET", "/v1/collections/scifact", null).body());
        assertEquals(scifactDocuments, collection.get("documents").asInt(), "every acknowledged document survived kill -9");
        assertTrue(foundInTop10(false) >= 0.8 * scifactQueries.size());
        HttpResponse<String> up = post("gateway", "/v1/chat/completions", rag.toString());
        assertEquals(200, up.statusCode(), up.body());
    }
}
