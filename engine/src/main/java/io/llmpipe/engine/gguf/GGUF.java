package io.llmpipe.engine.gguf;

import io.llmpipe.engine.ModelFormatException;
import io.llmpipe.engine.tensor.FloatTensor;
import io.llmpipe.engine.tensor.GGMLType;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A parsed GGUF file (versions 2 and 3): its metadata and tensor directory, over the memory-mapped
 * file. The parser only reads the header; tensors are views into the mapping, never copied.
 *
 * <p>Every size read from the file is checked against what remains of it, so a truncated or
 * corrupt file fails with a {@link ModelFormatException} naming the problem, not with an
 * out-of-memory error or a JVM crash.
 *
 * <p>Metadata arrays are returned as Java arrays ({@code int[]}, {@code float[]}, {@code String[]}...);
 * scalars as their boxed Java type (unsigned 32-bit as Long, unsigned 8/16-bit as Integer).
 * Immutable after {@link #open}; any thread. The mapping lives as long as the arena passed in.
 */
public final class GGUF {
    public static final int MAGIC = 0x46554747; // "GGUF" little-endian
    public static final int DEFAULT_ALIGNMENT = 32;

    /** Limits that no real model reaches; a file beyond them is corrupt, not big. */
    static final long MAX_TENSORS = 1 << 20;
    static final long MAX_METADATA = 1 << 20;
    static final int MAX_DIMS = 4;

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final String source;
    private final int version;
    private final Map<String, Object> metadata;
    private final Map<String, GGUFTensorInfo> tensors;
    private final MemorySegment tensorData;

    private GGUF(String source, int version, Map<String, Object> metadata, Map<String, GGUFTensorInfo> tensors, MemorySegment tensorData) {
        this.source = source;
        this.version = version;
        this.metadata = metadata;
        this.tensors = tensors;
        this.tensorData = tensorData;
    }

    /** Maps and parses {@code path}; the mapping is released when {@code arena} closes. */
    public static GGUF open(Path path, Arena arena) {
        MemorySegment file;
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            file = FloatTensor.nativeView(channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena), arena);
        } catch (IOException e) {
            throw new ModelFormatException("cannot read " + path + ": " + e.getMessage(), e);
        }
        return parse(path.toString(), file);
    }

    /** Parses a GGUF image already in memory; {@code source} names it in error messages. */
    public static GGUF parse(String source, MemorySegment file) {
        return new Reader(source, file).read();
    }

    public String source() {
        return source;
    }

    public int version() {
        return version;
    }

    public Map<String, Object> metadata() {
        return metadata;
    }

    public Map<String, GGUFTensorInfo> tensors() {
        return tensors;
    }

    /** The raw bytes of a tensor. */
    public MemorySegment tensorBytes(GGUFTensorInfo info) {
        return tensorData.asSlice(info.offset(), info.byteSize());
    }

    /** The named tensor as a FloatTensor view, or a ModelFormatException naming the missing tensor. */
    public FloatTensor tensor(String name) {
        GGUFTensorInfo info = tensors.get(name);
        if (info == null) {
            throw new ModelFormatException(source + ": tensor '" + name + "' is missing");
        }
        return FloatTensor.of(info.type(), tensorBytes(info), info.elementCount());
    }

    public boolean hasTensor(String name) {
        return tensors.containsKey(name);
    }

    // --- typed metadata access; a missing required key or a wrong type is a ModelFormatException ---

    public boolean has(String key) {
        return metadata.containsKey(key);
    }

    public Object get(String key) {
        Object v = metadata.get(key);
        if (v == null) {
            throw new ModelFormatException(source + ": metadata key '" + key + "' is missing");
        }
        return v;
    }

    public long getLong(String key) {
        Object v = get(key);
        if (v instanceof Number n && !(v instanceof Float) && !(v instanceof Double)) {
            return n.longValue();
        }
        throw wrongType(key, v, "an integer");
    }

    public long getLong(String key, long defaultValue) {
        return has(key) ? getLong(key) : defaultValue;
    }

    /** An integer that must fit an int and lie in [min, max]. */
    public int getInt(String key, int min, int max) {
        long v = getLong(key);
        if (v < min || v > max) {
            throw new ModelFormatException(source + ": metadata '" + key + "' = " + v + " is out of range [" + min + ", " + max + "]");
        }
        return (int) v;
    }

    public int getInt(String key, int min, int max, int defaultValue) {
        return has(key) ? getInt(key, min, max) : defaultValue;
    }

    public double getDouble(String key, double defaultValue) {
        if (!has(key)) {
            return defaultValue;
        }
        Object v = get(key);
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        throw wrongType(key, v, "a number");
    }

    public String getString(String key) {
        Object v = get(key);
        if (v instanceof String s) {
            return s;
        }
        throw wrongType(key, v, "a string");
    }

    public String getString(String key, String defaultValue) {
        return has(key) ? getString(key) : defaultValue;
    }

    public boolean getBoolean(String key, boolean defaultValue) {
        if (!has(key)) {
            return defaultValue;
        }
        Object v = get(key);
        if (v instanceof Boolean b) {
            return b;
        }
        throw wrongType(key, v, "a boolean");
    }

    public String[] getStringArray(String key) {
        Object v = get(key);
        if (v instanceof String[] a) {
            return a;
        }
        throw wrongType(key, v, "an array of strings");
    }

    public float[] getFloatArray(String key) {
        Object v = get(key);
        if (v instanceof float[] a) {
            return a;
        }
        throw wrongType(key, v, "an array of float32");
    }

    /** An integer array of any width, widened to int[]. */
    public int[] getIntArray(String key) {
        Object v = get(key);
        return switch (v) {
            case int[] a -> a;
            case byte[] a -> {
                int[] r = new int[a.length];
                for (int i = 0; i < a.length; i++) {
                    r[i] = a[i];
                }
                yield r;
            }
            case short[] a -> {
                int[] r = new int[a.length];
                for (int i = 0; i < a.length; i++) {
                    r[i] = a[i];
                }
                yield r;
            }
            case long[] a -> {
                int[] r = new int[a.length];
                for (int i = 0; i < a.length; i++) {
                    r[i] = Math.toIntExact(a[i]);
                }
                yield r;
            }
            default -> throw wrongType(key, v, "an array of integers");
        };
    }

    private ModelFormatException wrongType(String key, Object v, String expected) {
        return new ModelFormatException(source + ": metadata '" + key + "' should be " + expected + " but is " + v.getClass().getSimpleName());
    }

    /** Sequential bounds-checked reader over the mapped header. */
    private static final class Reader {
        private final String source;
        private final MemorySegment file;
        private final long size;
        private long pos;

        Reader(String source, MemorySegment file) {
            this.source = source;
            this.file = file;
            this.size = file.byteSize();
        }

        GGUF read() {
            if (size < 4) {
                throw fail("file is empty or truncated (" + size + " bytes): not a GGUF file");
            }
            int magic = readInt();
            if (magic != MAGIC) {
                throw fail(String.format("wrong magic 0x%08x, expected 0x%08x (\"GGUF\"): not a GGUF file", magic, MAGIC));
            }
            int version = readInt();
            if (version != 2 && version != 3) {
                throw fail("GGUF version " + version + " is not supported (only 2 and 3)");
            }
            long tensorCount = readLong();
            long kvCount = readLong();
            if (tensorCount < 0 || tensorCount > MAX_TENSORS) {
                throw fail("tensor count " + Long.toUnsignedString(tensorCount) + " is absurd");
            }
            if (kvCount < 0 || kvCount > MAX_METADATA) {
                throw fail("metadata count " + Long.toUnsignedString(kvCount) + " is absurd");
            }
            Map<String, Object> metadata = new LinkedHashMap<>();
            for (long i = 0; i < kvCount; i++) {
                String key = readString();
                int typeId = readInt();
                GGUFValueType type = GGUFValueType.fromId(typeId);
                if (type == null) {
                    throw fail("metadata '" + key + "' has unknown value type " + typeId);
                }
                metadata.put(key, readValue(key, type));
            }
            int alignment = DEFAULT_ALIGNMENT;
            if (metadata.get("general.alignment") instanceof Number a) {
                long al = a.longValue();
                if (al <= 0 || al > 1 << 20 || Long.bitCount(al) != 1) {
                    throw fail("general.alignment " + al + " is not a power of two");
                }
                alignment = (int) al;
            }
            Map<String, GGUFTensorInfo> infos = new LinkedHashMap<>();
            for (long i = 0; i < tensorCount; i++) {
                GGUFTensorInfo info = readTensorInfo();
                if (infos.put(info.name(), info) != null) {
                    throw fail("tensor '" + info.name() + "' appears twice");
                }
            }
            long dataStart = (pos + alignment - 1) / alignment * alignment;
            if (dataStart > size) {
                throw fail("truncated: tensor data would start at byte " + dataStart + " of " + size);
            }
            MemorySegment data = file.asSlice(dataStart);
            for (GGUFTensorInfo info : infos.values()) {
                long end;
                try {
                    end = Math.addExact(info.offset(), info.byteSize());
                } catch (ArithmeticException e) {
                    throw fail("tensor '" + info.name() + "' has an absurd size");
                }
                if (info.offset() % alignment != 0) {
                    throw fail("tensor '" + info.name() + "' offset " + info.offset() + " is not aligned to " + alignment);
                }
                if (end > data.byteSize()) {
                    throw fail("truncated: tensor '" + info.name() + "' needs bytes up to " + (dataStart + end)
                            + " but the file has " + size);
                }
            }
            return new GGUF(source, version, Collections.unmodifiableMap(metadata), Collections.unmodifiableMap(infos), data);
        }

        private GGUFTensorInfo readTensorInfo() {
            String name = readString();
            int nDims = readInt();
            if (nDims < 1 || nDims > MAX_DIMS) {
                throw fail("tensor '" + name + "' has " + nDims + " dimensions (1 to " + MAX_DIMS + " allowed)");
            }
            long[] shape = new long[nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++) {
                shape[d] = readLong();
                if (shape[d] <= 0 || shape[d] > size * 8) {
                    throw fail("tensor '" + name + "' dimension " + d + " is " + Long.toUnsignedString(shape[d]) + ", which is absurd");
                }
                try {
                    elements = Math.multiplyExact(elements, shape[d]);
                } catch (ArithmeticException e) {
                    throw fail("tensor '" + name + "' has an absurd element count");
                }
            }
            int typeId = readInt();
            GGMLType type = GGMLType.fromId(typeId);
            if (type == null) {
                throw fail("tensor '" + name + "' has type " + GGMLType.nameOfId(typeId) + ", which this engine does not support"
                        + " (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K)");
            }
            if (shape[0] % type.blockSize() != 0) {
                throw fail("tensor '" + name + "' row length " + shape[0] + " is not a multiple of the " + type + " block size " + type.blockSize());
            }
            long offset = readLong();
            if (offset < 0) {
                throw fail("tensor '" + name + "' has a negative offset");
            }
            return new GGUFTensorInfo(name, shape, type, offset);
        }

        private Object readValue(String key, GGUFValueType type) {
            return switch (type) {
                case UINT8 -> Byte.toUnsignedInt(readByte());
                case INT8 -> (int) readByte();
                case UINT16 -> Short.toUnsignedInt(readShort());
                case INT16 -> (int) readShort();
                case UINT32 -> Integer.toUnsignedLong(readInt());
                case INT32 -> readInt();
                case FLOAT32 -> readFloat();
                case BOOL -> readByte() != 0;
                case STRING -> readString();
                case UINT64, INT64 -> readLong();
                case FLOAT64 -> readDouble();
                case ARRAY -> readArray(key);
            };
        }

        private Object readArray(String key) {
            int typeId = readInt();
            GGUFValueType type = GGUFValueType.fromId(typeId);
            if (type == null || type == GGUFValueType.ARRAY) {
                throw fail("metadata '" + key + "' is an array of unsupported type " + typeId);
            }
            long count = readLong();
            long minBytes = type == GGUFValueType.STRING ? 8 : type.byteSize();
            if (count < 0 || count > (size - pos) / minBytes) {
                throw fail("metadata '" + key + "' array of " + Long.toUnsignedString(count) + " elements does not fit in the file (truncated or corrupt)");
            }
            int n = (int) count;
            switch (type) {
                case STRING -> {
                    String[] a = new String[n];
                    for (int i = 0; i < n; i++) {
                        a[i] = readString();
                    }
                    return a;
                }
                case FLOAT32 -> {
                    float[] a = new float[n];
                    MemorySegment.copy(file, FLOAT, pos, a, 0, n);
                    pos += 4L * n;
                    return a;
                }
                case INT32, UINT32 -> {
                    int[] a = new int[n];
                    MemorySegment.copy(file, INT, pos, a, 0, n);
                    pos += 4L * n;
                    return a;
                }
                case INT8, UINT8, BOOL -> {
                    byte[] a = new byte[n];
                    MemorySegment.copy(file, ValueLayout.JAVA_BYTE, pos, a, 0, n);
                    pos += n;
                    return a;
                }
                case INT16, UINT16 -> {
                    short[] a = new short[n];
                    MemorySegment.copy(file, SHORT, pos, a, 0, n);
                    pos += 2L * n;
                    return a;
                }
                case INT64, UINT64 -> {
                    long[] a = new long[n];
                    MemorySegment.copy(file, LONG, pos, a, 0, n);
                    pos += 8L * n;
                    return a;
                }
                case FLOAT64 -> {
                    double[] a = new double[n];
                    MemorySegment.copy(file, DOUBLE, pos, a, 0, n);
                    pos += 8L * n;
                    return a;
                }
                default -> throw new AssertionError(type);
            }
        }

        private String readString() {
            long len = readLong();
            if (len < 0 || len > size - pos) {
                throw fail("string of " + Long.toUnsignedString(len) + " bytes at offset " + (pos - 8) + " runs past the end of the file (truncated or corrupt)");
            }
            byte[] bytes = new byte[(int) len];
            MemorySegment.copy(file, ValueLayout.JAVA_BYTE, pos, bytes, 0, (int) len);
            pos += len;
            return new String(bytes, StandardCharsets.UTF_8);
        }

        private void need(int bytes) {
            if (pos + bytes > size) {
                throw fail("truncated: needed " + bytes + " more bytes at offset " + pos + " but the file has " + size);
            }
        }

        private byte readByte() {
            need(1);
            return file.get(ValueLayout.JAVA_BYTE, pos++);
        }

        private short readShort() {
            need(2);
            short v = file.get(SHORT, pos);
            pos += 2;
            return v;
        }

        private int readInt() {
            need(4);
            int v = file.get(INT, pos);
            pos += 4;
            return v;
        }

        private long readLong() {
            need(8);
            long v = file.get(LONG, pos);
            pos += 8;
            return v;
        }

        private float readFloat() {
            need(4);
            float v = file.get(FLOAT, pos);
            pos += 4;
            return v;
        }

        private double readDouble() {
            need(8);
            double v = file.get(DOUBLE, pos);
            pos += 8;
            return v;
        }

        private ModelFormatException fail(String what) {
            return new ModelFormatException(source + ": " + what);
        }
    }
}
