package io.llmpipe.engine.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** Locates the shared test models (never copied into the project) and reads their golden files. */
final class SharedModels {
    private SharedModels() {}

    /** {@code shared/models}: from {@code llmpipe.shared.dir}, else {@code ../shared} beside the project root. */
    static Path dir() {
        String configured = System.getProperty("llmpipe.shared.dir");
        Path shared = configured != null && !configured.isBlank()
                ? Path.of(configured)
                : Path.of("").toAbsolutePath().getParent().resolve("../shared");
        return shared.resolve("models").normalize();
    }

    static Path file(String name) {
        return dir().resolve(name);
    }

    static JsonNode json(String name) {
        try {
            return new ObjectMapper().readTree(file(name).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int[] ints(JsonNode array) {
        int[] values = new int[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = array.get(i).asInt();
        }
        return values;
    }
}
