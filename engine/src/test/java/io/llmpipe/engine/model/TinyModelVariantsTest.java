package io.llmpipe.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmpipe.engine.attention.DenseAttention;
import io.llmpipe.engine.generation.Generator;
import io.llmpipe.engine.tensor.GGMLType;
import io.llmpipe.engine.tensor.TiledQ4_0Tensor;
import io.llmpipe.engine.tensor.Parallel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Tiny GGUF models written here, one per architecture variant and tensor type, against the
 * independent float64 {@link ReferenceLlama}: final-logit relative error (L2) <= 1e-4 for F32,
 * <= 1e-3 for F16/BF16 and quantized types (reference on the dequantized weights).
 */
class TinyModelVariantsTest {
    private static final int[] PROMPT = {1, 17, 42, 99, 5, 256, 7, 123, 64, 200, 31, 8};
    private static Parallel parallel;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() {
        parallel = new Parallel(2);
    }

    @AfterAll
    static void stop() {
        parallel.close();
    }

    static Stream<Arguments> variants() {
        TinyModels.Spec base = TinyModels.base("mha-tied");
        TinyModels.Spec gqa = new TinyModels.Spec("gqa", "llama", 64, 96, 2, 8, 2, 300, 10000, false, 1, false, false);
        TinyModels.Spec llama3 = new TinyModels.Spec("llama3-rope-scaling", "llama", 64, 96, 2, 4, 2, 300, 500000, true, 1, false, false);
        TinyModels.Spec linear = new TinyModels.Spec("linear-rope-scaling", "llama", 64, 96, 2, 4, 4, 300, 10000, false, 4, false, false);
        TinyModels.Spec qwen2 = new TinyModels.Spec("qwen2-qkv-bias-neox", "qwen2", 64, 96, 2, 4, 2, 300, 1000000, false, 1, true, false);
        TinyModels.Spec separate = new TinyModels.Spec("separate-output", "llama", 64, 96, 2, 4, 4, 300, 10000, false, 1, false, true);
        // K-quants need rows of 256: a wider model for them
        TinyModels.Spec wide = new TinyModels.Spec("wide-gqa", "llama", 256, 512, 2, 8, 4, 300, 10000, false, 1, false, true);
        // an FFN wider than 4,096: its Q8_0 down projection is copied into column slabs at load
        TinyModels.Spec wideFfn = new TinyModels.Spec("wide-ffn", "llama", 64, 4608, 2, 4, 2, 300, 10000, false, 1, false, false);
        // every matrix's rows a multiple of 64, tied embeddings: each Q4_0 matrix, the output too, is tiled at load
        TinyModels.Spec tiled = new TinyModels.Spec("tiled-q4", "llama", 512, 4608, 1, 8, 4, 320, 10000, false, 1, false, false);
        return Stream.of(
                Arguments.of(base, GGMLType.F32), Arguments.of(gqa, GGMLType.F32), Arguments.of(llama3, GGMLType.F32),
                Arguments.of(linear, GGMLType.F32), Arguments.of(qwen2, GGMLType.F32), Arguments.of(separate, GGMLType.F32),
                Arguments.of(gqa, GGMLType.F16), Arguments.of(qwen2, GGMLType.BF16),
                Arguments.of(gqa, GGMLType.Q8_0), Arguments.of(separate, GGMLType.Q4_0),
                Arguments.of(wide, GGMLType.Q4_K), Arguments.of(wide, GGMLType.Q6_K), Arguments.of(wide, GGMLType.Q8_0),
                Arguments.of(wideFfn, GGMLType.Q8_0), Arguments.of(tiled, GGMLType.Q4_0));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("variants")
    void finalLogitsMatchTheFloat64Reference(TinyModels.Spec spec, GGMLType type) throws IOException {
        ReferenceLlama.Params p = TinyModels.random(spec, spec.name().hashCode());
        Path file = dir.resolve(spec.name() + "-" + type + ".gguf");
        TinyGGUF.write(spec, p, type, file);
        double[] expected = ReferenceLlama.lastLogits(p, PROMPT);
        try (Model m = ModelLoader.load(new ModelLoader.Options(file, null, 0))) {
            assertEquals(spec.architecture(), m.config().architecture());
            if (spec.hidden() >= io.llmpipe.engine.tensor.SlabbedQ8_0Tensor.MIN_COLUMNS && type == GGMLType.Q8_0) {
                assertTrue(m.weights().w2()[0] instanceof io.llmpipe.engine.tensor.SlabbedQ8_0Tensor, "wide down projection not slabbed");
            }
            if (spec.name().equals("tiled-q4")) {
                assertTrue(m.weights().w2()[0] instanceof TiledQ4_0Tensor, "Q4_0 down projection not tiled");
                assertTrue(m.weights().output() instanceof TiledQ4_0Tensor, "Q4_0 output matrix not tiled");
            }
            Generator g = new Generator(m, parallel);
            // prefill in chunks of 5 (so cached keys/values are exercised too, and the batched matmuls),
            // then token by token (the single-row matmuls)
            for (int chunk : new int[] {5, 1}) {
                float[] logits = g.prefill(g.newSequence(), PROMPT, DenseAttention.INSTANCE, chunk);
                double err = 0, norm = 0;
                for (int i = 0; i < expected.length; i++) {
                    err += (logits[i] - expected[i]) * (logits[i] - expected[i]);
                    norm += expected[i] * expected[i];
                }
                double rel = Math.sqrt(err / norm);
                double bound = type == GGMLType.F32 ? 1e-4 : 1e-3;
                assertTrue(rel <= bound, spec.name() + " " + type + " chunk " + chunk + ": relative error " + rel + " > " + bound);
            }
        }
    }
}
