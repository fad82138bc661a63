package io.llmpipe.engine.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A block-quantized matrix copied at load into groups of {@link #GROUP} columns (16 blocks of 32), each
 * group the 16 blocks' fp16 scales (32 bytes) then the quants in the subclass's arrangement; same bytes
 * per element as the file. Element indices stay row-major ({@code r * cols + c}). This class is the
 * layout (where a group lies, ranges, dequantizing); {@link PackedQ4_0Tensor} the quant arrangement and
 * kernel. (A Q8_0 variant was measured and not adopted: docs/PERFORMANCE.md.)
 *
 * <p>Where the groups lie: rows in blocks of {@link #ROW_BLOCK}, one block after another; within a row
 * block, columns in slabs of {@link #SLAB} (the block's rows' first 2,048 columns, then the next 2,048);
 * within a slab, each row's groups in order. Why: a single-row dot keeps x's slab (8 KiB) in L1 beside
 * the weight stream (a wider x ran at half speed, see {@link SlabbedQ8_0Tensor}), and a range of whole
 * row blocks is one linear stream (a 256-row chunk of an 8,192-wide matrix read as four runs, one per
 * slab, ran at ~75% of the speed of one run). The 16 scales of a group convert from fp16 in lanes at
 * once.
 *
 * <p>Built only where the CPU has 512-bit vectors and the width is a multiple of {@link #GROUP}.
 * Immutable; any thread.
 */
abstract sealed class PackedGroupsTensor extends FloatTensor permits PackedQ4_0Tensor {
    /** Columns per group: 16 blocks, whose 16 scales fill one 512-bit vector. */
    public static final int GROUP = 512;
    /** Columns per slab: x's slab (8 KiB) and the weight stream share L1. */
    public static final int SLAB = 2048;
    /** Rows per row block. */
    static final int ROW_BLOCK = 64;
    static final int BLOCK = 32;
    static final int SCALE_BYTES = 32;

    static final boolean WIDE = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512;
    static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    static final IntVector HALF_MAGNITUDE = IntVector.broadcast(I, 0x7FFF);
    static final IntVector HALF_SIGN = IntVector.broadcast(I, 0x8000);
    static final FloatVector HALF_EXPONENT_SHIFT = FloatVector.broadcast(F, 0x1p112f);
    static final ThreadLocal<float[]> SCALES = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<MemorySegment> X_NATIVE = ThreadLocal.withInitial(() -> MemorySegment.NULL);
    private static final ThreadLocal<float[]> ROW = ThreadLocal.withInitial(() -> new float[0]);

    final MemorySegment data;
    final int rows;
    final int cols;
    private final int groupBytes;

    PackedGroupsTensor(MemorySegment data, int rows, int cols, int groupBytes) {
        this.data = data;
        this.rows = rows;
        this.cols = cols;
        this.groupBytes = groupBytes;
    }

    /** Writes the group whose file bytes (16 consecutive blocks) start at {@code src[from]} to {@code dst[to]}. */
    interface GroupPacker {
        void pack(MemorySegment src, long from, MemorySegment dst, long to);
    }

    /** {@code src} (row-major file blocks) packed group by group into {@code dst}, where {@code layout} puts each group. */
    static void packGroups(MemorySegment src, int rows, int cols, int groupBytes, MemorySegment dst,
                           PackedGroupsTensor layout, GroupPacker packer) {
        long groupsPerRow = cols / GROUP;
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < groupsPerRow; g++) {
                packer.pack(src, (r * groupsPerRow + g) * groupBytes, dst, layout.groupOffset(r, g));
            }
        }
    }

    static MemorySegment allocate(Arena arena, int rows, int cols, int groupBytes) {
        return HugePageMemory.allocate(arena, (long) rows * (cols / GROUP) * groupBytes);
    }

    /** Byte offset of group {@code g} (columns {@code [512g, 512g + 512)}) of row {@code r}. */
    final long groupOffset(int r, int g) {
        int block = r / ROW_BLOCK;
        int blockRows = Math.min(ROW_BLOCK, rows - block * ROW_BLOCK);
        int slab = g * GROUP / SLAB;
        int first = slab * (SLAB / GROUP);
        long blockStart = (long) block * ROW_BLOCK * (cols / GROUP);
        return (blockStart + (long) blockRows * first + (long) (r - block * ROW_BLOCK) * slabGroups(slab) + (g - first)) * groupBytes;
    }

    final int slabGroups(int slab) {
        return Math.min(SLAB, cols - slab * SLAB) / GROUP;
    }

    @Override
    public final long size() {
        return (long) rows * cols;
    }

    @Override
    public final float dot(long offset, float[] x, int xOffset, int n) {
        float[] w = Layouts.scratch(ROW, n);
        dequantize(offset, w, 0, n);
        return VectorMath.dot(w, 0, x, xOffset, n);
    }

    @Override
    public final void dequantize(long offset, float[] dst, int dstOffset, int n) {
        if (((offset | n) & (BLOCK - 1)) != 0) {
            throw new IllegalArgumentException(type() + " offset " + offset + " and length " + n + " must be multiples of " + BLOCK);
        }
        long e = offset;
        long end = offset + n;
        while (e < end) {
            int r = (int) (e / cols);
            int c = (int) (e % cols);
            int at = dstOffset + (int) (e - offset);
            if (c % GROUP == 0 && end - e >= GROUP) {
                dequantizeGroup(groupOffset(r, c / GROUP), dst, at);
                e += GROUP;
            } else { // a range that starts or ends inside a group: element by element
                for (int i = 0; i < BLOCK; i++) {
                    dst[at + i] = getFloat(e + i);
                }
                e += BLOCK;
            }
        }
    }

    /** The group at byte {@code g} as 512 floats at {@code dst[at]}. */
    abstract void dequantizeGroup(long g, float[] dst, int at);

    /** Scale of block {@code b} (0..15) of the group at byte {@code g}. */
    final float scale(long g, int b) {
        return Layouts.f16(data, g + 2L * b);
    }

    /**
     * The 16 fp16 scales at byte {@code g} as floats, converted in lanes: magnitude bits moved into a
     * float's place and rescaled by 2^112 (exact, subnormals included), sign put back. Scales are finite.
     * (The kernels write this out inline: a helper returning a vector that C2 leaves as a call boxes it.)
     */
    static FloatVector scales(MemorySegment s, long g) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, s, g, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0);
        FloatVector magnitude = h.and(HALF_MAGNITUDE).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(HALF_EXPONENT_SHIFT);
        return magnitude.reinterpretAsInts().or(h.and(HALF_SIGN).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    /**
     * Row block by row block, each slab by slab; {@link #prepare} once per call. x is read from a native
     * copy (see {@link Layouts#nativeCopy}).
     */
    @Override
    public final void dotRows(int rowStart, int rowEnd, int cols, float[] x, int xOffset, float[] out, int outOffset) {
        prepare(x, xOffset);
        MemorySegment xm = Layouts.nativeCopy(X_NATIVE, x, xOffset, cols);
        for (int r0 = rowStart; r0 < rowEnd; ) {
            int r1 = Math.min(rowEnd, (r0 / ROW_BLOCK + 1) * ROW_BLOCK);
            for (int slab = 0, c0 = 0; c0 < cols; slab++, c0 += SLAB) {
                slabRows(r0, r1, groupOffset(r0, c0 / GROUP), slabGroups(slab), xm, c0, out, outOffset, slab == 0);
            }
            r0 = r1;
        }
    }

    /** Per-call work on x before the row dots (nothing by default). */
    void prepare(float[] x, int xOffset) {
    }

    /**
     * Rows {@code [rowStart, rowEnd)} over one slab of {@code groups} groups, the first row's at byte
     * {@code start} (the others follow), against x (the row's floats from column 0) from matrix column
     * {@code c0}; set ({@code first}) or add to {@code out[outOffset + r]}.
     */
    abstract void slabRows(int rowStart, int rowEnd, long start, int groups, MemorySegment x, int c0,
                           float[] out, int outOffset, boolean first);
}
