package io.llmpipe.engine.tokenizer;

import io.llmpipe.engine.gguf.GGUF;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** Writes a small tensor-less GGUF v3 image with chosen metadata, to test tokenizer loading. */
final class GgufBytes {
    private final Map<String, Object> metadata = new LinkedHashMap<>();

    GgufBytes put(String key, Object value) {
        metadata.put(key, value);
        return this;
    }

    GgufBytes remove(String key) {
        metadata.remove(key);
        return this;
    }

    GGUF parse() {
        return GGUF.parse("test.gguf", MemorySegment.ofArray(bytes()));
    }

    byte[] bytes() {
        Out out = new Out();
        out.i32(GGUF.MAGIC);
        out.i32(3);
        out.i64(0);
        out.i64(metadata.size());
        for (Map.Entry<String, Object> e : metadata.entrySet()) {
            out.str(e.getKey());
            out.value(e.getValue());
        }
        while (out.size() % GGUF.DEFAULT_ALIGNMENT != 0) {
            out.write(0);
        }
        return out.toByteArray();
    }

    private static final class Out extends ByteArrayOutputStream {
        void i32(int v) {
            writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
        }

        void i64(long v) {
            writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
        }

        void f32(float v) {
            writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(v).array());
        }

        void str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i64(b.length);
            writeBytes(b);
        }

        void value(Object v) {
            switch (v) {
                case String s -> {
                    i32(8);
                    str(s);
                }
                case Integer n -> { // written as UINT32, as converters write token ids
                    i32(4);
                    i32(n);
                }
                case Boolean b -> {
                    i32(7);
                    write(b ? 1 : 0);
                }
                case String[] a -> {
                    i32(9);
                    i32(8);
                    i64(a.length);
                    for (String s : a) {
                        str(s);
                    }
                }
                case int[] a -> {
                    i32(9);
                    i32(5);
                    i64(a.length);
                    for (int x : a) {
                        i32(x);
                    }
                }
                case float[] a -> {
                    i32(9);
                    i32(6);
                    i64(a.length);
                    for (float x : a) {
                        f32(x);
                    }
                }
                default -> throw new IllegalArgumentException("unsupported metadata value " + v);
            }
        }
    }
}
