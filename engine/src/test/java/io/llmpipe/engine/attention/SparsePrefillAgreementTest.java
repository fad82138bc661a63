package io.llmpipe.engine.attention;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmpipe.engine.SharedData;
import io.llmpipe.engine.generation.GenerationOptions;
import io.llmpipe.engine.generation.GenerationResult;
import io.llmpipe.engine.model.Model;
import io.llmpipe.engine.model.ModelLoader;
import io.llmpipe.engine.generation.Generator;
import io.llmpipe.engine.sampling.SamplingParams;
import io.llmpipe.engine.tensor.Parallel;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * End to end on stories260K (context extended to 1024): a prompt of over 400 tokens (the golden
 * stories, one after another) prefilled with FlexPrefill and with DHSA, then 200 greedy tokens: they
 * agree with the dense prefill's on at least 98% of positions, while the sparse prefill really skipped
 * blocks (small blocks and budgets, so a prompt of a few hundred tokens is sparse-eligible).
 */
class SparsePrefillAgreementTest {

    @Test
    void sparsePrefillAgreesWithDenseOnGreedyTokens() throws Exception {
        JsonNode runs = new ObjectMapper().readTree(SharedData.models().resolve("stories260K.golden.json").toFile()).get("runs");
        StringBuilder text = new StringBuilder();
        for (JsonNode run : runs) {
            text.append(run.get("prompt").asText()).append(run.get("generated_text").asText()).append('\n');
        }
        try (Model model = ModelLoader.load(new ModelLoader.Options(SharedData.models().resolve("stories260K.bin"),
                SharedData.models().resolve("tok512.bin"), 1024));
             Parallel parallel = new Parallel(2)) {
            int[] all = model.tokenizer().encode(text.toString(), true);
            int[] prompt = java.util.Arrays.copyOf(all, Math.min(all.length, 600));
            assertTrue(prompt.length >= 400, "prompt of " + prompt.length + " tokens");
            FlexPrefillAttention flex = new FlexPrefillAttention(new FlexPrefillAttention.Parameters(32, 0.9, 0.1, 64, 0));
            int[] dense = generate(model, parallel, prompt, DenseAttention.INSTANCE);
            int[] sparse = generate(model, parallel, prompt, flex);
            check("flexprefill", prompt, dense, sparse, flex.density());
            DhsaAttention.Parameters dhsaParams = new DhsaAttention.Parameters(32, 16, 16, 256, 32);
            DhsaAttention dhsa = new DhsaAttention(dhsaParams);
            check("dhsa", prompt, dense, generate(model, parallel, prompt, dhsa), dhsa.density());
            // the same on OpenCL, where DHSA selects on the device (two calls: 512 prompt tokens, then the rest)
            var device = io.llmpipe.engine.attention.opencl.OpenClDevice.open(io.llmpipe.engine.attention.opencl.OpenClDevice.Preference.GPU_FIRST);
            if (device.isEmpty() && System.getenv("CI") != null) {
                throw new IllegalStateException("CI installs PoCL, yet no OpenCL device was found");
            }
            if (device.isPresent()) {
                try (var d = device.get()) {
                    var kernel = new io.llmpipe.engine.attention.opencl.OpenClBlockSparseAttention(d);
                    DhsaAttention onDevice = new DhsaAttention(dhsaParams, ChunkBoundaries.similarityDrops(4, 8), kernel);
                    check("dhsa on OpenCL", prompt, dense, generate(model, parallel, prompt, onDevice), onDevice.density());
                    assertTrue(Math.abs(onDevice.density() - dhsa.density()) < 1e-9, "the device kept as many blocks as the host");
                }
            }
        }
    }

    private static void check(String mode, int[] prompt, int[] dense, int[] sparse, double density) {
        int same = 0;
        for (int i = 0; i < Math.min(dense.length, sparse.length); i++) {
            same += dense[i] == sparse[i] ? 1 : 0;
        }
        double agreement = (double) same / dense.length;
        System.out.printf("%s vs dense on stories260K: prompt %d tokens, density %.3f, agreement %.3f over %d tokens%n",
                mode, prompt.length, density, agreement, dense.length);
        assertTrue(dense.length == 200 && sparse.length == 200);
        assertTrue(density < 1.0, mode + " prefill was sparse (density " + density + ")");
        assertTrue(agreement >= 0.98, mode + " agreement " + agreement);
    }

    private static int[] generate(Model model, Parallel parallel, int[] prompt, Attention attention) {
        GenerationOptions options = new GenerationOptions(200, SamplingParams.GREEDY, Set.of(), attention, GenerationOptions.DEFAULT_PREFILL_CHUNK);
        GenerationResult r = new Generator(model, parallel).generate(prompt, options, token -> true);
        return r.tokens();
    }
}
