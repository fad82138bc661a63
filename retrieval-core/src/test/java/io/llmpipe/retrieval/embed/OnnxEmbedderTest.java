package io.llmpipe.retrieval.embed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** all-MiniLM-L6-v2 from its Maven jar, offline: related texts land closer than unrelated ones. */
class OnnxEmbedderTest {

    private static double cosine(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d += a[i] * b[i];
        }
        return d;
    }

    @Test
    void miniLmEmbedsRelatedTextsCloserAndCutsLongOnes() {
        try (OnnxEmbedder e = OnnxEmbedder.miniLm()) {
            assertEquals(384, e.dimension());
            float[][] v = e.embed(List.of("How does insulin regulate blood sugar?",
                    "Insulin lowers blood glucose by promoting its uptake into cells.",
                    "The football match ended in a draw after extra time.", ""));
            assertEquals(4, v.length);
            assertEquals(1.0, cosine(v[0], v[0]), 1e-4);
            assertTrue(cosine(v[0], v[1]) > cosine(v[0], v[2]) + 0.2, "related " + cosine(v[0], v[1]) + ", unrelated " + cosine(v[0], v[2]));
            // the window is 256 word pieces: what follows them does not change the embedding, what is inside does
            String head = "insulin resistance in muscle cells ".repeat(50); // 250 word pieces
            float[][] w = e.embed(List.of(head + "football ".repeat(300), head + "football ".repeat(600), head));
            assertEquals(1.0, cosine(w[0], w[1]), 1e-5);
            assertTrue(cosine(w[0], w[2]) < 0.9999, "the last word pieces inside the window count");
        }
        assertThrows(IllegalArgumentException.class, () -> OnnxEmbedder.fromFiles(Path.of("/nonexistent.onnx"), Path.of("/t.json"), "mean", 256));
    }
}
