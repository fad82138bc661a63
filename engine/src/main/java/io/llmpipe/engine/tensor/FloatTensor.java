package io.llmpipe.engine.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A read-only vector of float values stored in some element type (F32, F16, a ggml block
 * quantization...). Weight matrices are FloatTensors in row-major order: row {@code r} of a
 * {@code [rows][cols]} matrix starts at element {@code r * cols}.
 *
 * <p>Implementations are immutable views over memory they do not own (a memory-mapped model
 * file, or a heap array); any thread may call any method concurrently.
 *
 * <p>Offsets passed to {@link #dot} and {@link #dequantize} must be multiples of the type's block
 * size and {@code n} a multiple of it too, which holds for every row of a ggml matrix.
 */
public abstract class FloatTensor {

    /** Number of elements. */
    public abstract long size();

    public abstract GGMLType type();

    /** One element, dequantized. Slow: for tests, embeddings and odd paths, not for kernels. */
    public abstract float getFloat(long index);

    /** Dot product of elements {@code [offset, offset + n)} with {@code x[xOffset .. xOffset + n)}. */
    public abstract float dot(long offset, float[] x, int xOffset, int n);

    /**
     * {@code out[outOffset + r] = row r . x} for rows {@code [rowStart, rowEnd)} of a matrix with
     * {@code cols} columns. Each type overrides it with the same loop so that its own {@code dot} is
     * bound statically and inlined: through one shared call site seeing several types, the JIT stops
     * inlining the Vector API code and decode runs several times slower.
     */
    public void dotRows(int rowStart, int rowEnd, int cols, float[] x, int xOffset, float[] out, int outOffset) {
        for (int r = rowStart; r < rowEnd; r++) {
            out[outOffset + r] = dot((long) r * cols, x, xOffset, cols);
        }
    }

    /**
     * Whether {@link #dotRowsBatch} is this type's faster path for {@code n} activation rows; else
     * {@link MatMul} dequantizes tiles of rows.
     */
    public boolean fusedBatch(int n) {
        return false;
    }

    /**
     * {@code out[outOffset + t*outStride + r] = row r . x[xOffset + t*cols ..]} for rows
     * {@code [rowStart, rowEnd)} and activation rows {@code t} in {@code [0, n)}, for types whose
     * {@link #fusedBatch} is true for some {@code n} (any {@code n} is computed correctly).
     */
    public void dotRowsBatch(int rowStart, int rowEnd, int cols, float[] x, int xOffset, int n,
                             float[] out, int outOffset, int outStride) {
        throw new UnsupportedOperationException(type() + " has no batched kernel");
    }

    /** Writes elements {@code [offset, offset + n)} as floats to {@code dst[dstOffset ..]}. */
    public abstract void dequantize(long offset, float[] dst, int dstOffset, int n);

    /**
     * {@code mapped} (a file mapping) as a plain native segment over the same memory, read-only, living
     * as long as {@code arena}. Weight kernels then see one segment class whether weights are mapped
     * from the file or copied ({@link SlabbedQ8_0Tensor}): a Vector API load site that sees two
     * segment classes is compiled without its intrinsic, and decode ran at half speed.
     */
    public static MemorySegment nativeView(MemorySegment mapped, Arena arena) {
        return MemorySegment.ofAddress(mapped.address()).reinterpret(mapped.byteSize(), arena, null).asReadOnly();
    }

    /** A view of {@code elements} elements of {@code type} stored at the start of {@code segment}. */
    public static FloatTensor of(GGMLType type, MemorySegment segment, long elements) {
        long bytes = type.byteSize(elements);
        if (segment.byteSize() < bytes) {
            throw new IllegalArgumentException("segment of " + segment.byteSize() + " bytes is too small for "
                    + elements + " " + type + " elements (" + bytes + " bytes)");
        }
        MemorySegment s = segment.asSlice(0, bytes);
        return switch (type) {
            case F32 -> new F32Tensor(s, elements);
            case F16 -> new F16Tensor(s, elements);
            case BF16 -> new BF16Tensor(s, elements);
            case Q8_0 -> new Q8_0Tensor(s, elements);
            case Q4_0 -> new Q4_0Tensor(s, elements);
            case Q4_K -> new Q4_KTensor(s, elements);
            case Q6_K -> new Q6_KTensor(s, elements);
        };
    }
}
