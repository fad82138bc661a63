package io.llmpipe.engine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmpipe.engine.SharedData;
import io.llmpipe.engine.attention.DenseAttention;
import io.llmpipe.engine.generation.GenerationOptions;
import io.llmpipe.engine.generation.GenerationResult;
import io.llmpipe.engine.generation.Generator;
import io.llmpipe.engine.generation.TokenListener;
import io.llmpipe.engine.tensor.Parallel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * stories260K against llama2.c run.c's golden outputs: prompt ids, every greedy token, and the
 * logits at the last prompt position, for both the llama2.c checkpoint and llama.cpp's GGUF of it.
 */
class Stories260KGoldenTest {
    private static Parallel parallel;
    private static JsonNode golden;

    @BeforeAll
    static void setUp() throws IOException {
        parallel = new Parallel(2);
        golden = new ObjectMapper().readTree(SharedData.models().resolve("stories260K.golden.json").toFile());
    }

    @AfterAll
    static void tearDown() {
        parallel.close();
    }

    static Stream<Arguments> runs() throws IOException {
        JsonNode g = new ObjectMapper().readTree(SharedData.models().resolve("stories260K.golden.json").toFile());
        List<Arguments> args = new ArrayList<>();
        for (String file : List.of("stories260K.bin", "stories260K.gguf")) {
            for (int i = 0; i < g.get("runs").size(); i++) {
                args.add(Arguments.of(file, i, g.get("runs").get(i).get("prompt").asText()));
            }
        }
        return args.stream();
    }

    private static Model load(String file) {
        Path models = SharedData.models();
        Path tokenizer = file.endsWith(".bin") ? models.resolve("tok512.bin") : null;
        return ModelLoader.load(new ModelLoader.Options(models.resolve(file), tokenizer, 512));
    }

    @ParameterizedTest(name = "{0} \"{2}\"")
    @MethodSource("runs")
    void greedyTokensAndLogitsMatchRunC(String file, int index, String prompt) {
        JsonNode run = golden.get("runs").get(index);
        int[] promptIds = ints(run.get("prompt_token_ids"));
        int[] expected = ints(run.get("generated_token_ids"));
        try (Model model = load(file)) {
            Generator generator = new Generator(model, parallel);
            // logits at the last prompt position
            float[] logits = generator.prefill(generator.newSequence(), promptIds, DenseAttention.INSTANCE, 512);
            JsonNode goldenLogits = run.get("final_prompt_position_logits").get("all");
            assertEquals(model.config().vocabularySize(), goldenLogits.size());
            for (int i = 0; i < goldenLogits.size(); i++) {
                float g = (float) goldenLogits.get(i).asDouble();
                assertTrue(Math.abs(g - logits[i]) <= 1e-3f, "logit " + i + ": " + logits[i] + " vs golden " + g);
            }
            // every greedy token (run.c stops only on BOS; none of the golden runs produced it)
            GenerationResult result = generator.generate(promptIds,
                    GenerationOptions.greedy(expected.length, Set.of(1)), TokenListener.NONE);
            assertArrayEquals(expected, result.tokens(), "generated ids for \"" + prompt + "\"");
        }
    }

    static int[] ints(JsonNode array) {
        int[] r = new int[array.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = array.get(i).asInt();
        }
        return r;
    }
}
