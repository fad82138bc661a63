package io.llmpipe.engine.gguf;

import io.llmpipe.engine.tensor.GGMLType;
import io.llmpipe.engine.tensor.Quantizer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes GGUF v3 files: typed metadata, then the tensor directory, then aligned tensor data. Tensor
 * bytes come from a {@link TensorSource} called when the file is written, directly into the mapped
 * output, so multi-gigabyte models are written without holding them in memory. The file appears
 * under its name only when complete (written to a temporary file, then moved).
 *
 * <p>Build on one thread, then call {@link #write} once.
 */
public final class GGUFWriter {

    /** Fills a tensor's bytes; {@code dst} is exactly the tensor's byte size. */
    @FunctionalInterface
    public interface TensorSource {
        void writeTo(MemorySegment dst) throws IOException;
    }

    private record Tensor(String name, GGMLType type, long[] shape, TensorSource source) {
    }

    private record Entry(GGUFValueType type, Object value, GGUFValueType elementType) {
    }

    private final Map<String, Entry> metadata = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private int alignment = GGUF.DEFAULT_ALIGNMENT;

    public GGUFWriter putString(String key, String value) {
        return put(key, GGUFValueType.STRING, value);
    }

    public GGUFWriter putUInt8(String key, int value) {
        return put(key, GGUFValueType.UINT8, value);
    }

    public GGUFWriter putInt8(String key, int value) {
        return put(key, GGUFValueType.INT8, value);
    }

    public GGUFWriter putUInt16(String key, int value) {
        return put(key, GGUFValueType.UINT16, value);
    }

    public GGUFWriter putInt16(String key, int value) {
        return put(key, GGUFValueType.INT16, value);
    }

    public GGUFWriter putUInt32(String key, long value) {
        if (key.equals("general.alignment")) {
            alignment = Math.toIntExact(value);
        }
        return put(key, GGUFValueType.UINT32, value);
    }

    public GGUFWriter putInt32(String key, int value) {
        return put(key, GGUFValueType.INT32, value);
    }

    public GGUFWriter putUInt64(String key, long value) {
        return put(key, GGUFValueType.UINT64, value);
    }

    public GGUFWriter putInt64(String key, long value) {
        return put(key, GGUFValueType.INT64, value);
    }

    public GGUFWriter putFloat32(String key, float value) {
        return put(key, GGUFValueType.FLOAT32, value);
    }

    public GGUFWriter putFloat64(String key, double value) {
        return put(key, GGUFValueType.FLOAT64, value);
    }

    public GGUFWriter putBool(String key, boolean value) {
        return put(key, GGUFValueType.BOOL, value);
    }

    public GGUFWriter putArray(String key, String[] values) {
        return putArray(key, GGUFValueType.STRING, values);
    }

    public GGUFWriter putArray(String key, float[] values) {
        return putArray(key, GGUFValueType.FLOAT32, values);
    }

    /** An array of INT32 (the type GGUF uses for token types). */
    public GGUFWriter putArray(String key, int[] values) {
        return putArray(key, GGUFValueType.INT32, values);
    }

    /** A typed array: {@code values} is a Java array matching {@code elementType} (String[], float[], int[], long[], byte[], short[], double[], boolean[]). */
    public GGUFWriter putArray(String key, GGUFValueType elementType, Object values) {
        if (elementType == GGUFValueType.ARRAY) {
            throw new IllegalArgumentException("nested arrays are not supported");
        }
        metadata.put(key, new Entry(GGUFValueType.ARRAY, values, elementType));
        return this;
    }

    private GGUFWriter put(String key, GGUFValueType type, Object value) {
        metadata.put(key, new Entry(type, value, null));
        return this;
    }

    /** A tensor in ggml shape order ({@code shape[0]} innermost) whose bytes {@code source} writes. */
    public GGUFWriter addTensor(String name, GGMLType type, long[] shape, TensorSource source) {
        for (Tensor t : tensors) {
            if (t.name().equals(name)) {
                throw new IllegalArgumentException("tensor '" + name + "' added twice");
            }
        }
        tensors.add(new Tensor(name, type, shape.clone(), source));
        return this;
    }

    /** A tensor quantized from float values (row-major, {@code shape[0]} innermost). */
    public GGUFWriter addTensor(String name, GGMLType type, long[] shape, float[] values) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        if (n != values.length) {
            throw new IllegalArgumentException("tensor '" + name + "' shape holds " + n + " values, got " + values.length);
        }
        return addTensor(name, type, shape, dst -> Quantizer.quantize(type, values, 0, values.length, dst, 0));
    }

    public void write(Path path) throws IOException {
        ByteArrayOutputStream header = new ByteArrayOutputStream();
        Out out = new Out(header);
        out.i32(GGUF.MAGIC);
        out.i32(3);
        out.i64(tensors.size());
        out.i64(metadata.size());
        for (Map.Entry<String, Entry> e : metadata.entrySet()) {
            out.string(e.getKey());
            out.i32(e.getValue().type().ordinal());
            out.value(e.getValue());
        }
        long[] offsets = new long[tensors.size()];
        long offset = 0;
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            long elements = 1;
            for (long d : t.shape()) {
                elements = Math.multiplyExact(elements, d);
            }
            offsets[i] = offset;
            offset = align(offset + t.type().byteSize(elements), alignment);
            out.string(t.name());
            out.i32(t.shape().length);
            for (long d : t.shape()) {
                out.i64(d);
            }
            out.i32(t.type().id());
            out.i64(offsets[i]);
        }
        byte[] head = header.toByteArray();
        long dataStart = align(head.length, alignment);
        long total = dataStart + offset;
        Path tmp = path.resolveSibling(path.getFileName() + ".partial");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.READ, StandardOpenOption.WRITE);
             Arena arena = Arena.ofConfined()) {
            ch.truncate(0);
            MemorySegment file = ch.map(FileChannel.MapMode.READ_WRITE, 0, total, arena);
            MemorySegment.copy(head, 0, file, ValueLayout.JAVA_BYTE, 0, head.length);
            for (int i = 0; i < tensors.size(); i++) {
                Tensor t = tensors.get(i);
                long elements = 1;
                for (long d : t.shape()) {
                    elements *= d;
                }
                t.source().writeTo(file.asSlice(dataStart + offsets[i], t.type().byteSize(elements)));
            }
            file.force();
        }
        Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static long align(long v, int alignment) {
        return (v + alignment - 1) / alignment * alignment;
    }

    /** Little-endian primitive writer over the header buffer. */
    private static final class Out {
        private final ByteArrayOutputStream out;
        private final ByteBuffer buf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        Out(ByteArrayOutputStream out) {
            this.out = out;
        }

        void i8(int v) {
            out.write(v);
        }

        void i16(int v) {
            buf.clear();
            buf.putShort((short) v);
            out.write(buf.array(), 0, 2);
        }

        void i32(int v) {
            buf.clear();
            buf.putInt(v);
            out.write(buf.array(), 0, 4);
        }

        void i64(long v) {
            buf.clear();
            buf.putLong(v);
            out.write(buf.array(), 0, 8);
        }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i64(b.length);
            out.write(b, 0, b.length);
        }

        void value(Entry e) {
            if (e.type() == GGUFValueType.ARRAY) {
                array(e.elementType(), e.value());
            } else {
                scalar(e.type(), e.value());
            }
        }

        void scalar(GGUFValueType type, Object v) {
            switch (type) {
                case UINT8, INT8 -> i8(((Number) v).intValue());
                case UINT16, INT16 -> i16(((Number) v).intValue());
                case UINT32, INT32 -> i32((int) ((Number) v).longValue());
                case FLOAT32 -> i32(Float.floatToRawIntBits(((Number) v).floatValue()));
                case BOOL -> i8((Boolean) v ? 1 : 0);
                case STRING -> string((String) v);
                case UINT64, INT64 -> i64(((Number) v).longValue());
                case FLOAT64 -> i64(Double.doubleToRawLongBits(((Number) v).doubleValue()));
                case ARRAY -> throw new IllegalArgumentException("nested array");
            }
        }

        void array(GGUFValueType type, Object values) {
            i32(type.ordinal());
            int n = java.lang.reflect.Array.getLength(values);
            i64(n);
            for (int i = 0; i < n; i++) {
                Object v = java.lang.reflect.Array.get(values, i);
                if (v instanceof Boolean b && type != GGUFValueType.BOOL) {
                    throw new IllegalArgumentException("boolean in a " + type + " array");
                }
                scalar(type, v);
            }
        }
    }
}
