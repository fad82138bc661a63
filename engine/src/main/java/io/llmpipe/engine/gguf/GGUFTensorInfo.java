package io.llmpipe.engine.gguf;

import io.llmpipe.engine.tensor.GGMLType;

/**
 * One tensor's entry in a GGUF file. {@code shape} is in ggml order: {@code shape[0]} is the
 * innermost (contiguous) dimension, so a matrix of {@code rows x cols} has shape {@code [cols, rows]}.
 * {@code offset} is relative to the start of the tensor data section.
 */
public record GGUFTensorInfo(String name, long[] shape, GGMLType type, long offset) {

    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public long byteSize() {
        return type.byteSize(elementCount());
    }
}
