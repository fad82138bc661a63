package io.llmpipe.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmpipe.engine.tensor.GGMLType;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pipeline bench compare}'s parts: a build's own class loader running real decode steps, and a bad baseline. */
class EngineCompareTest {
    private static Path models() {
        String prop = System.getProperty("llmpipe.shared.dir");
        Path p = prop != null ? Path.of(prop, "models") : Path.of("..", "..", "shared", "models");
        return Files.isDirectory(p) ? p : Path.of("..", "shared", "models");
    }

    @Test
    void decodeStepsRunOnTheEngineOfTheirOwnLoader() throws Exception {
        try (EngineCompare.BuildLoader loader = new EngineCompare.BuildLoader(EngineCompare.currentClassPath(), EngineCompare.stepsClass());
             AutoCloseable steps = EngineCompare.steps(loader, models().resolve("stories260K.gguf"), 1, 2)) {
            Class<?> stepsClass = steps.getClass();
            assertSame(loader, stepsClass.getClassLoader());
            Class<?> generator = stepsClass.getDeclaredField("generator").getType();
            assertSame(loader, generator.getClassLoader(), "the engine comes from the build's loader");
            assertNotSame(io.llmpipe.engine.generation.Generator.class, generator);
            for (int i = 0; i < 3; i++) {
                ((Runnable) steps).run();
            }
            var sequences = stepsClass.getDeclaredField("sequences");
            sequences.setAccessible(true);
            for (Object sequence : (java.util.List<?>) sequences.get(steps)) {
                assertEquals(8 + 3, (int) sequence.getClass().getMethod("length").invoke(sequence), "8-token prompt, 3 steps");
            }
        }
    }

    @Test
    void baselineWithoutABuildIsRefusedByName(@TempDir Path dir) {
        EngineCompare compare = new EngineCompare(new EngineCompare.Options(dir, dir, new GGMLType[] {GGMLType.Q4_0}, new int[] {1},
                new int[] {1}, 3), new PrintWriter(new StringWriter()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, compare::run);
        assertTrue(e.getMessage().contains("llmpipe-cli.jar"), e.getMessage());
    }

    @Test
    void medianOfOddAndEvenCounts() {
        assertEquals(2.0, EngineCompare.median(new double[] {3, 1, 2}));
        assertEquals(2.5, EngineCompare.median(new double[] {4, 1, 3, 2}));
    }
}
