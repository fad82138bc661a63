package io.llmpipe.engine.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmpipe.engine.SharedData;
import io.llmpipe.engine.attention.DenseAttention;
import io.llmpipe.engine.generation.GenerationOptions;
import io.llmpipe.engine.generation.Generator;
import io.llmpipe.engine.model.Model;
import io.llmpipe.engine.model.ModelLoader;
import io.llmpipe.engine.sampling.Sampler;
import io.llmpipe.engine.tensor.Parallel;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Greedy decoding on stories260K from every golden prompt, 200 tokens, decode running on the cache a
 * handoff leaves (the prompt's cache encoded and decoded, then decode steps on it), KIVI with its
 * defaults (group 32, residual 128: from position 128 on, the oldest keys and values are read from
 * codes). Each of the 200 greedy choices made over the KIVI cache, given the uncompressed run's tokens
 * so far, is the uncompressed run's choice in at least 99% of steps at 4 bits and 95% at 2 bits.
 *
 * <p>Free-running agreement (each run continuing from its own tokens) is printed, not asserted: on a
 * 260K-parameter model with 8-channel heads one near-tie flip after position 128 rewrites the rest of
 * the story, so it measures where the first flip falls rather than how close the cache is.
 */
class KiviGenerationAgreementTest {

    @Test
    void kiviDecodingAgreesWithTheUncompressedCacheOnEveryGoldenPrompt() throws Exception {
        JsonNode runs = new ObjectMapper().readTree(SharedData.models().resolve("stories260K.golden.json").toFile()).get("runs");
        try (Model model = ModelLoader.load(new ModelLoader.Options(SharedData.models().resolve("stories260K.bin"),
                SharedData.models().resolve("tok512.bin"), 0));
             Parallel parallel = new Parallel(2)) {
            Generator generator = new Generator(model, parallel);
            List<String> report = new ArrayList<>();
            double worst4 = 1, worst2 = 1;
            for (JsonNode run : runs) {
                int[] prompt = ids(run.get("prompt_token_ids"));
                GenerationOptions fp32 = GenerationOptions.greedy(200, Set.of());
                int[] reference = generator.generate(prompt, fp32, t -> true).tokens();
                assertEquals(200, reference.length);
                double a4 = agreement(reference, generator.generate(prompt, fp32.withKvCodec(KiviCodec.of(4)), t -> true).tokens());
                double a2 = agreement(reference, generator.generate(prompt, fp32.withKvCodec(KiviCodec.of(2)), t -> true).tokens());
                double f4 = forcedAgreement(generator, prompt, reference, KiviCodec.of(4));
                double f2 = forcedAgreement(generator, prompt, reference, KiviCodec.of(2));
                report.add(String.format("'%s': kivi4 %.3f (free-running %.3f), kivi2 %.3f (free-running %.3f)",
                        run.get("prompt").asText(), f4, a4, f2, a2));
                worst4 = Math.min(worst4, f4);
                worst2 = Math.min(worst2, f2);
            }
            System.out.println("KIVI vs fp32, greedy choices agreeing over 200 steps: " + report);
            assertTrue(worst4 >= 0.99, "kivi4: " + report);
            assertTrue(worst2 >= 0.95, "kivi2: " + report);
        }
    }

    /** Each step fed the reference's previous token: the share of steps whose greedy choice matches. */
    static double forcedAgreement(Generator generator, int[] prompt, int[] reference, KvCodec codec) {
        var seq = generator.newSequence();
        float[] logits = generator.prefill(seq, prompt, DenseAttention.INSTANCE, 512);
        seq = Generator.handOff(seq, codec);
        int vocab = generator.model().config().vocabularySize();
        int same = 0;
        float[] step = new float[vocab];
        for (int i = 0; i < reference.length; i++) {
            same += Sampler.argmax(logits, 0, vocab) == reference[i] ? 1 : 0;
            if (i + 1 < reference.length) {
                generator.decode(List.of(seq), new int[]{reference[i]}, step);
                logits = step;
            }
        }
        return (double) same / reference.length;
    }

    static double agreement(int[] a, int[] b) {
        int same = 0;
        for (int i = 0; i < Math.min(a.length, b.length); i++) {
            same += a[i] == b[i] ? 1 : 0;
        }
        return (double) same / Math.max(a.length, b.length);
    }

    private static int[] ids(JsonNode array) {
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = array.get(i).asInt();
        }
        return ids;
    }
}
