package io.llmpipe.retrieval.eval;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the texmex vector files of ANN benchmarks: {@code .fvecs} (each vector: int32 dimension, then
 * that many float32) and {@code .ivecs} (the same with int32), little-endian.
 */
public final class TexmexVectors {
    private TexmexVectors() {
    }

    public static float[][] readFvecs(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        List<float[]> out = new ArrayList<>();
        while (b.hasRemaining()) {
            float[] v = new float[dimension(b, file)];
            b.asFloatBuffer().get(v);
            b.position(b.position() + 4 * v.length);
            out.add(v);
        }
        return out.toArray(float[][]::new);
    }

    public static int[][] readIvecs(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        List<int[]> out = new ArrayList<>();
        while (b.hasRemaining()) {
            int[] v = new int[dimension(b, file)];
            b.asIntBuffer().get(v);
            b.position(b.position() + 4 * v.length);
            out.add(v);
        }
        return out.toArray(int[][]::new);
    }

    /** Writes {@code vectors} as {@code .fvecs} (through a temporary file, so a crash leaves no half file). */
    public static void writeFvecs(Path file, float[][] vectors) throws IOException {
        int bytes = 0;
        for (float[] v : vectors) {
            bytes += 4 + 4 * v.length;
        }
        ByteBuffer b = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (float[] v : vectors) {
            b.putInt(v.length);
            for (float x : v) {
                b.putFloat(x);
            }
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, b.array());
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static int dimension(ByteBuffer b, Path file) throws IOException {
        if (b.remaining() < 4) {
            throw new IOException(file + ": truncated record");
        }
        int d = b.getInt();
        if (d < 1 || (long) d * 4 > b.remaining()) {
            throw new IOException(file + ": record of dimension " + d + " with " + b.remaining() + " bytes left");
        }
        return d;
    }
}
