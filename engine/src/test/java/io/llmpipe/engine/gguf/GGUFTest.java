package io.llmpipe.engine.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmpipe.engine.ModelFormatException;
import io.llmpipe.engine.SharedData;
import io.llmpipe.engine.model.ModelLoader;
import io.llmpipe.engine.tensor.GGMLType;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GGUFWriter -> GGUF round trips, and every kind of bad file failing with a clear message. */
class GGUFTest {
    @TempDir
    Path dir;

    private Path sample() throws IOException {
        GGUFWriter w = new GGUFWriter()
                .putString("general.architecture", "llama")
                .putUInt8("u8", 200).putInt8("i8", -5).putUInt16("u16", 60000).putInt16("i16", -300)
                .putUInt32("u32", 4_000_000_000L).putInt32("i32", -7).putUInt64("u64", 1L << 40).putInt64("i64", -9)
                .putFloat32("f32", 1.5f).putFloat64("f64", 2.25).putBool("flag", true)
                .putArray("strings", new String[]{"a", "βγ", ""})
                .putArray("floats", new float[]{1f, -2f})
                .putArray("ints", new int[]{3, 4, 5})
                .putArray("longs", GGUFValueType.INT64, new long[]{1L << 50});
        float[] values = new float[256 * 2];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) Math.sin(i);
        }
        for (GGMLType t : GGMLType.values()) {
            w.addTensor("t." + t, t, new long[]{256, 2}, values);
        }
        Path p = dir.resolve("sample.gguf");
        w.write(p);
        return p;
    }

    @Test
    void roundTripsEveryMetadataTypeAndTensorType() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            GGUF g = GGUF.open(sample(), arena);
            assertEquals(3, g.version());
            assertEquals(200, g.getLong("u8"));
            assertEquals(-5, g.getLong("i8"));
            assertEquals(60000, g.getLong("u16"));
            assertEquals(-300, g.getLong("i16"));
            assertEquals(4_000_000_000L, g.getLong("u32"));
            assertEquals(-7, g.getLong("i32"));
            assertEquals(1L << 40, g.getLong("u64"));
            assertEquals(-9, g.getLong("i64"));
            assertEquals(1.5, g.getDouble("f32", 0));
            assertEquals(2.25, g.getDouble("f64", 0));
            assertEquals(true, g.getBoolean("flag", false));
            assertArrayEquals(new String[]{"a", "βγ", ""}, g.getStringArray("strings"));
            assertArrayEquals(new float[]{1f, -2f}, g.getFloatArray("floats"));
            assertArrayEquals(new int[]{3, 4, 5}, g.getIntArray("ints"));
            for (GGMLType t : GGMLType.values()) {
                GGUFTensorInfo info = g.tensors().get("t." + t);
                assertEquals(t, info.type());
                assertEquals(0, info.offset() % GGUF.DEFAULT_ALIGNMENT);
                assertArrayEquals(new long[]{256, 2}, info.shape());
                assertEquals((float) Math.sin(300), g.tensor("t." + t).getFloat(300), t == GGMLType.F32 ? 0 : 0.15);
            }
        }
    }

    private ModelFormatException fails(byte[] bytes) throws IOException {
        Path p = dir.resolve("bad.gguf");
        Files.write(p, bytes);
        try (Arena arena = Arena.ofConfined()) {
            return assertThrows(ModelFormatException.class, () -> GGUF.open(p, arena));
        }
    }

    private static void assertMentions(ModelFormatException e, String fragment) {
        assertTrue(e.getMessage().contains(fragment), "'" + e.getMessage() + "' should mention '" + fragment + "'");
    }

    @Test
    void truncatedAtEveryStage() throws IOException {
        byte[] full = Files.readAllBytes(sample());
        assertMentions(fails(new byte[0]), "empty or truncated");
        for (int cut : new int[]{6, 20, 40, 200, 700, full.length / 2, full.length - 1}) {
            ModelFormatException e = fails(Arrays.copyOf(full, cut));
            assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("past the end") || e.getMessage().contains("does not fit"),
                    "cut at " + cut + ": " + e.getMessage());
        }
    }

    @Test
    void wrongMagicVersionAndAbsurdCounts() throws IOException {
        byte[] full = Files.readAllBytes(sample());
        byte[] magic = full.clone();
        magic[0] = 'X';
        assertMentions(fails(magic), "wrong magic");
        ByteBuffer b = ByteBuffer.wrap(full.clone()).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(4, 1);
        assertMentions(fails(b.array()), "version 1 is not supported");
        b = ByteBuffer.wrap(full.clone()).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(8, 1L << 40);
        assertMentions(fails(b.array()), "tensor count");
        b = ByteBuffer.wrap(full.clone()).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(16, -1);
        assertMentions(fails(b.array()), "metadata count");
        b = ByteBuffer.wrap(full.clone()).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(24, 1L << 50); // first key's string length
        assertMentions(fails(b.array()), "runs past the end");
    }

    /** A minimal file with one tensor whose header fields the test sets. */
    private static byte[] oneTensor(int nDims, long dim0, int type, long offset, boolean twice) {
        ByteBuffer b = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(GGUF.MAGIC).putInt(3).putLong(twice ? 2 : 1).putLong(0);
        for (int k = 0; k < (twice ? 2 : 1); k++) {
            byte[] name = "w".getBytes();
            b.putLong(name.length).put(name).putInt(nDims);
            for (int d = 0; d < nDims; d++) {
                b.putLong(d == 0 ? dim0 : 1);
            }
            b.putInt(type).putLong(offset);
        }
        return Arrays.copyOf(b.array(), 4096);
    }

    @Test
    void badTensorEntries() throws IOException {
        assertMentions(fails(oneTensor(1, 32, 3, 0, false)), "Q4_1");
        assertMentions(fails(oneTensor(1, 32, 99, 0, false)), "unknown type 99");
        assertMentions(fails(oneTensor(7, 32, 0, 0, false)), "dimensions");
        assertMentions(fails(oneTensor(1, 1L << 60, 0, 0, false)), "absurd");
        assertMentions(fails(oneTensor(1, 32, 0, 5, false)), "not aligned");
        assertMentions(fails(oneTensor(1, 2048, 0, 0, false)), "truncated");
        assertMentions(fails(oneTensor(1, 30, 8, 0, false)), "block size");
        assertMentions(fails(oneTensor(1, 32, 0, 0, true)), "appears twice");
    }

    @Test
    void modelWithWrongShapesOrMissingTensorsIsRejectedByTheLoader() throws IOException {
        GGUFWriter w = new GGUFWriter().putString("general.architecture", "llama")
                .putUInt32("llama.embedding_length", 64).putUInt32("llama.feed_forward_length", 96)
                .putUInt32("llama.block_count", 1).putUInt32("llama.attention.head_count", 4)
                .putString("tokenizer.ggml.model", "llama");
        w.addTensor("token_embd.weight", GGMLType.F32, new long[]{32, 10}, new float[320]);
        Path p = dir.resolve("shapes.gguf");
        w.write(p);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelLoader.load(ModelLoader.Options.of(p)));
        assertTrue(e.getMessage().contains("token_embd.weight") || e.getMessage().contains("missing"), e.getMessage());

        GGUFWriter other = new GGUFWriter().putString("general.architecture", "mamba");
        Path q = dir.resolve("arch.gguf");
        other.write(q);
        e = assertThrows(ModelFormatException.class, () -> ModelLoader.load(ModelLoader.Options.of(q)));
        assertMentions(e, "architecture 'mamba' is not supported");

        e = assertThrows(ModelFormatException.class, () -> ModelLoader.load(
                new ModelLoader.Options(SharedData.models().resolve("stories260K.gguf"), SharedData.models().resolve("tok512.bin"), 0)));
        assertMentions(e, "carries its own tokenizer");
    }
}
