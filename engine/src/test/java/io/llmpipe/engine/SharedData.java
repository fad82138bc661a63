package io.llmpipe.engine;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates ../shared (models and data sets beside the project), as surefire passes it. */
public final class SharedData {
    private SharedData() {
    }

    public static Path dir() {
        String prop = System.getProperty("llmpipe.shared.dir");
        Path p = prop != null ? Path.of(prop) : Path.of("..", "..", "shared");
        if (!Files.isDirectory(p)) {
            p = Path.of("..", "shared");
        }
        if (!Files.isDirectory(p)) {
            throw new IllegalStateException("shared data directory not found (expected ../shared beside the project; got " + p.toAbsolutePath() + ")");
        }
        return p.toAbsolutePath().normalize();
    }

    public static Path models() {
        return dir().resolve("models");
    }

    public static Path data() {
        return dir().resolve("data");
    }
}
