package io.llmpipe.engine.model;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmpipe.engine.ModelFormatException;
import io.llmpipe.engine.SharedData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad llama2.c checkpoints fail with a clear message, never a crash or an out-of-memory. */
class Llama2cModelLoaderTest {
    @TempDir
    Path dir;

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private ModelFormatException fails(Path model, Path tokenizer) {
        return assertThrows(ModelFormatException.class, () -> ModelLoader.load(new ModelLoader.Options(model, tokenizer, 0)));
    }

    @Test
    void truncatedCheckpoint() throws IOException {
        byte[] full = Files.readAllBytes(SharedData.models().resolve("stories260K.bin"));
        Path p = write("cut.bin", Arrays.copyOf(full, full.length / 2));
        ModelFormatException e = fails(p, SharedData.models().resolve("tok512.bin"));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void tinyFile() throws IOException {
        ModelFormatException e = fails(write("tiny.bin", new byte[]{1, 2, 3}), null);
        assertTrue(e.getMessage().contains("too short"), e.getMessage());
    }

    @Test
    void absurdHeader() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(28 + 64).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(1 << 30).putInt(172).putInt(5).putInt(8).putInt(4).putInt(512).putInt(512);
        ModelFormatException e = fails(write("absurd.bin", b.array()), null);
        assertTrue(e.getMessage().contains("absurd"), e.getMessage());
    }

    @Test
    void missingFileAndMissingTokenizer() throws IOException {
        ModelFormatException e = fails(dir.resolve("nope.bin"), null);
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        Path copy = write("model.bin", Files.readAllBytes(SharedData.models().resolve("stories260K.bin")));
        e = fails(copy, null);
        assertTrue(e.getMessage().contains("tokenizer"), e.getMessage());
    }
}
