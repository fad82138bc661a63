package io.llmpipe.engine.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A Q4_0 matrix copied at load into a layout that 512-bit lanes decode with two instructions per 16
 * quants. Same bytes per element as the file (18 per 32); element indices stay row-major
 * ({@code r * cols + c}), so it is a {@link FloatTensor} like any other.
 *
 * <p>Layout: blocks of {@link #ROW_BLOCK} rows, one after another; within a row block, columns in slabs
 * of {@link #SLAB} (the block's rows' first 2,048 columns, then the next 2,048, as
 * {@link SlabbedQ8_0Tensor} does and for the same reason: x's slab stays in L1 beside the weight stream);
 * each row's slab a run of <em>groups</em> of 512 columns (16 blocks), each group 288 bytes: the 16
 * blocks' fp16 scales, then 4 quarters of 64 bytes. A quarter is the byte-wise interleave of 4 blocks'
 * 16 quant bytes, so little-endian int {@code i} of quarter {@code q} holds in its nibble {@code k}
 * (bits {@code 4k..4k+3}) the quant of column {@code 128q + 16k + i}: one 512-bit load and one shift
 * put 16 consecutive columns' quants in the same bits of 16 lanes.
 *
 * <p>Why: in the file's layout a block's low and high nibbles hold elements 0..15 and 16..31, and the
 * kernel widened 8 bytes at a time into 256-bit lanes; with ~20 vector instructions per block it was
 * bound by instructions at ~10 GB/s per core, about a third of the memory ceiling. Here a quant becomes
 * {@code w = 1 + q/16} by moving its nibble into the top mantissa bits of 1.0 (a shift and one
 * and-or), so {@code q - 8 = 16w - 24} and a block's dot is {@code d (16 sum(w x) - 24 sum(x))}: the
 * block sums of x are taken once per call and the scales of a group are converted 16 at a time.
 *
 * <p>Built only where the CPU has 512-bit vectors and the width is a multiple of 512; elsewhere the
 * file's {@link Q4_0Tensor} is used as is. Immutable; any thread.
 */
public final class PackedQ4_0Tensor extends FloatTensor {
    /** Columns per group: 16 blocks, whose 16 scales fill one 512-bit vector. */
    public static final int GROUP = 512;
    static final int GROUP_BYTES = 16 * Q4_0Tensor.BLOCK_BYTES;
    /** Columns per slab: x's slab (8 KiB) and the weight stream share L1. */
    public static final int SLAB = 2048;
    /**
     * Rows per row block: the matrix is stored block by block, each block slab by slab, so a range of
     * whole blocks is one linear stream (a 256-row chunk of the 8,192-wide FFN down projection read as
     * four 295 KB runs, one per slab, ran at ~75% of the speed of one run).
     */
    static final int ROW_BLOCK = 64;
    private static final int BLOCK = Q4_0Tensor.BLOCK;
    private static final int SCALE_BYTES = 32;
    private static final int QUARTER_BYTES = 64;

    private static final boolean WIDE = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final IntVector NIBBLE_BITS = IntVector.broadcast(I, 0x00780000); // mantissa bits 19..22
    private static final IntVector ONE = IntVector.broadcast(I, Float.floatToRawIntBits(1f));
    private static final IntVector HALF_MAGNITUDE = IntVector.broadcast(I, 0x7FFF);
    private static final IntVector HALF_SIGN = IntVector.broadcast(I, 0x8000);
    private static final FloatVector MINUS_3_HALVES = FloatVector.broadcast(F, -1.5f);
    private static final FloatVector HALF_EXPONENT_SHIFT = FloatVector.broadcast(F, 0x1p112f);
    private static final ThreadLocal<float[]> BLOCK_SUMS = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> SCALES = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> ROW = ThreadLocal.withInitial(() -> new float[0]);

    private final MemorySegment data;
    private final int rows;
    private final int cols;

    private PackedQ4_0Tensor(MemorySegment data, int rows, int cols) {
        this.data = data;
        this.rows = rows;
        this.cols = cols;
    }

    /**
     * {@code tensor} repacked inside {@code arena} when it is a Q4_0 matrix whose width is a multiple of
     * {@link #GROUP} and the CPU has 512-bit vectors, else {@code tensor} itself.
     */
    public static FloatTensor of(FloatTensor tensor, int rows, int cols, Arena arena) {
        if (!WIDE || !(tensor instanceof Q4_0Tensor q) || cols % GROUP != 0 || (long) rows * cols != q.size()) {
            return tensor;
        }
        return pack(q.segment(), rows, cols, arena);
    }

    /** Repacks unconditionally (tests run it on any CPU: the Vector API then emulates 512-bit lanes). */
    static PackedQ4_0Tensor pack(MemorySegment src, int rows, int cols, Arena arena) {
        long groupsPerRow = cols / GROUP;
        MemorySegment dst = arena.allocate(rows * groupsPerRow * GROUP_BYTES, 64);
        PackedQ4_0Tensor packed = new PackedQ4_0Tensor(dst, rows, cols);
        byte[] in = new byte[GROUP_BYTES];  // 16 consecutive file blocks
        byte[] out = new byte[GROUP_BYTES];
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < groupsPerRow; g++) {
                MemorySegment.copy(src, ValueLayout.JAVA_BYTE, (r * groupsPerRow + g) * GROUP_BYTES, in, 0, GROUP_BYTES);
                for (int b = 0; b < 16; b++) { // scales
                    out[2 * b] = in[b * Q4_0Tensor.BLOCK_BYTES];
                    out[2 * b + 1] = in[b * Q4_0Tensor.BLOCK_BYTES + 1];
                }
                for (int q = 0; q < 4; q++) { // byte h of int i of quarter q = quant byte i of block 4q + h
                    for (int i = 0; i < 16; i++) {
                        for (int h = 0; h < 4; h++) {
                            out[SCALE_BYTES + q * QUARTER_BYTES + 4 * i + h] = in[(4 * q + h) * Q4_0Tensor.BLOCK_BYTES + 2 + i];
                        }
                    }
                }
                MemorySegment.copy(out, 0, dst, ValueLayout.JAVA_BYTE, packed.groupOffset(r, g), GROUP_BYTES);
            }
        }
        return packed;
    }

    /** Byte offset of group {@code g} (columns {@code [512g, 512g + 512)}) of row {@code r}. */
    private long groupOffset(int r, int g) {
        int block = r / ROW_BLOCK;
        int blockRows = Math.min(ROW_BLOCK, rows - block * ROW_BLOCK);
        int slab = g * GROUP / SLAB;
        int first = slab * (SLAB / GROUP);
        long blockStart = (long) block * ROW_BLOCK * (cols / GROUP);
        return (blockStart + (long) blockRows * first + (long) (r - block * ROW_BLOCK) * slabGroups(slab) + (g - first)) * GROUP_BYTES;
    }

    private int slabGroups(int slab) {
        return Math.min(SLAB, cols - slab * SLAB) / GROUP;
    }

    @Override
    public long size() {
        return (long) rows * cols;
    }

    @Override
    public GGMLType type() {
        return GGMLType.Q4_0;
    }

    @Override
    public float getFloat(long index) {
        int r = (int) (index / cols);
        int c = (int) (index % cols);
        long g = groupOffset(r, c / GROUP);
        int local = c % GROUP;
        float d = Layouts.f16(data, g + 2L * (local / BLOCK));
        int packed = data.get(LE_INT, g + SCALE_BYTES + (long) (local / 128) * QUARTER_BYTES + 4L * (local % 16));
        int q = (packed >>> (4 * ((local % 128) / 16))) & 0xF;
        return d * (q - 8);
    }

    @Override
    public float dot(long offset, float[] x, int xOffset, int n) {
        float[] w = Layouts.scratch(ROW, n);
        dequantize(offset, w, 0, n);
        return VectorMath.dot(w, 0, x, xOffset, n);
    }

    @Override
    public void dequantize(long offset, float[] dst, int dstOffset, int n) {
        if (((offset | n) & (BLOCK - 1)) != 0) {
            throw new IllegalArgumentException("Q4_0 offset " + offset + " and length " + n + " must be multiples of " + BLOCK);
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

    /** Group {@code g} as floats: {@code d (16w - 24) = 16d (w - 1.5)}, one FMA per 16 elements. */
    private void dequantizeGroup(long g, float[] dst, int at) {
        MemorySegment s = data;
        float[] scales = Layouts.scratch(SCALES, 16);
        scales(s, g).intoArray(scales, 0);
        for (int q = 0; q < 4; q++) {
            IntVector v = IntVector.fromMemorySegment(I, s, g + SCALE_BYTES + (long) q * QUARTER_BYTES, ByteOrder.LITTLE_ENDIAN);
            int o = at + 128 * q;
            FloatVector d, b;
            d = FloatVector.broadcast(F, 16 * scales[4 * q]);
            b = d.mul(MINUS_3_HALVES);
            v.lanewise(VectorOperators.LSHL, 19).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().fma(d, b)
                    .intoArray(dst, o);
            v.lanewise(VectorOperators.LSHL, 15).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().fma(d, b)
                    .intoArray(dst, o + 16);
            d = FloatVector.broadcast(F, 16 * scales[4 * q + 1]);
            b = d.mul(MINUS_3_HALVES);
            v.lanewise(VectorOperators.LSHL, 11).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().fma(d, b)
                    .intoArray(dst, o + 32);
            v.lanewise(VectorOperators.LSHL, 7).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().fma(d, b)
                    .intoArray(dst, o + 48);
            d = FloatVector.broadcast(F, 16 * scales[4 * q + 2]);
            b = d.mul(MINUS_3_HALVES);
            v.lanewise(VectorOperators.LSHL, 3).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().fma(d, b)
                    .intoArray(dst, o + 64);
            v.lanewise(VectorOperators.LSHR, 1).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().fma(d, b)
                    .intoArray(dst, o + 80);
            d = FloatVector.broadcast(F, 16 * scales[4 * q + 3]);
            b = d.mul(MINUS_3_HALVES);
            v.lanewise(VectorOperators.LSHR, 5).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().fma(d, b)
                    .intoArray(dst, o + 96);
            v.lanewise(VectorOperators.LSHR, 9).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().fma(d, b)
                    .intoArray(dst, o + 112);
        }
    }

    /**
     * The group's 16 fp16 scales as floats, converted in lanes: magnitude bits moved into a float's
     * place and rescaled by 2^112 (exact, subnormals included), sign put back. Scales are finite.
     */
    private static FloatVector scales(MemorySegment s, long g) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, s, g, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0);
        FloatVector magnitude = h.and(HALF_MAGNITUDE).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(HALF_EXPONENT_SHIFT);
        return magnitude.reinterpretAsInts().or(h.and(HALF_SIGN).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    /** Row block by row block, each slab by slab (see {@link #ROW_BLOCK}); x's block sums once per call. */
    @Override
    public void dotRows(int rowStart, int rowEnd, int cols, float[] x, int xOffset, float[] out, int outOffset) {
        float[] sums = Layouts.scratch(BLOCK_SUMS, cols / BLOCK);
        float[] scales = Layouts.scratch(SCALES, 16);
        for (int b = 0; b < cols / BLOCK; b++) {
            int xo = xOffset + b * BLOCK;
            sums[b] = FloatVector.fromArray(F, x, xo).add(FloatVector.fromArray(F, x, xo + 16)).reduceLanes(VectorOperators.ADD);
        }
        for (int r0 = rowStart; r0 < rowEnd; ) {
            int r1 = Math.min(rowEnd, (r0 / ROW_BLOCK + 1) * ROW_BLOCK);
            for (int slab = 0, c0 = 0; c0 < cols; slab++, c0 += SLAB) {
                slabRows(r0, r1, groupOffset(r0, c0 / GROUP), slabGroups(slab), x, xOffset + c0, sums, c0 / BLOCK, scales,
                        out, outOffset, slab == 0);
            }
            r0 = r1;
        }
    }

    /**
     * Rows {@code [rowStart, rowEnd)} over one slab of {@code groups} groups, the first row's from byte
     * {@code g}, against x from {@code xs}; set or add to {@code out}. The row loop is here, not in the
     * caller, so that x's bounds are checked once per call, not once per row (a row of a slab is only
     * 4 groups).
     */
    private void slabRows(int rowStart, int rowEnd, long start, int groups, float[] x, int xs, float[] sums, int sumsOffset,
                          float[] scales, float[] out, int outOffset, boolean first) {
        MemorySegment s = data;
        long g = start;
        for (int r = rowStart; r < rowEnd; r++) {
            // One accumulator per block of a quarter: the chain through each is one FMA per quarter. Written
            // out: C2 does not reliably inline a helper taking vectors into a method this size, and a
            // helper left as a call boxes its vectors (ten times slower). Block h of quarter q: nibbles
            // 2h and 2h + 1 (bits 8h and 8h + 4, moved to bit 19), columns 128q + 32h, scale lane 4q + h.
            FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
            FloatVector sumsTimesScales = FloatVector.zero(F);
            for (int i = 0; i < groups; i++, g += GROUP_BYTES) {
                int xo = xs + i * GROUP;
                // The group's 16 fp16 scales in lanes (see scales(), written out for the same reason).
                IntVector h = (IntVector) ShortVector.fromMemorySegment(S, s, g, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0);
                FloatVector d = h.and(HALF_MAGNITUDE).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(HALF_EXPONENT_SHIFT)
                        .reinterpretAsInts().or(h.and(HALF_SIGN).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
                sumsTimesScales = d.fma(FloatVector.fromArray(F, sums, sumsOffset + i * 16), sumsTimesScales);
                d.intoArray(scales, 0);
                long qs = g + SCALE_BYTES;
                IntVector v = IntVector.fromMemorySegment(I, s, qs, ByteOrder.LITTLE_ENDIAN);
                FloatVector p = v.lanewise(VectorOperators.LSHL, 19).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().mul(FloatVector.fromArray(F, x, xo));
                p = v.lanewise(VectorOperators.LSHL, 15).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + 16), p);
                a0 = p.fma(FloatVector.broadcast(F, scales[0]), a0);
                p = v.lanewise(VectorOperators.LSHL, 11).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().mul(FloatVector.fromArray(F, x, xo + 32));
                p = v.lanewise(VectorOperators.LSHL, 7).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + 48), p);
                a1 = p.fma(FloatVector.broadcast(F, scales[1]), a1);
                p = v.lanewise(VectorOperators.LSHL, 3).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().mul(FloatVector.fromArray(F, x, xo + 64));
                p = v.lanewise(VectorOperators.LSHR, 1).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + 80), p);
                a2 = p.fma(FloatVector.broadcast(F, scales[2]), a2);
                p = v.lanewise(VectorOperators.LSHR, 5).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().mul(FloatVector.fromArray(F, x, xo + 96));
                p = v.lanewise(VectorOperators.LSHR, 9).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + 112), p);
                a3 = p.fma(FloatVector.broadcast(F, scales[3]), a3);
                v = IntVector.fromMemorySegment(I, s, qs + 64, ByteOrder.LITTLE_ENDIAN);
                p = v.lanewise(VectorOperators.LSHL, 19).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().mul(FloatVector.fromArray(F, x, xo + 128));
                p = v.lanewise(VectorOperators.LSHL, 15).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + 144), p);
                a0 = p.fma(FloatVector.broadcast(F, scales[4]), a0);
                p = v.lanewise(VectorOperators.LSHL, 11).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().mul(FloatVector.fromArray(F, x, xo + 160));
                p = v.lanewise(VectorOperators.LSHL, 7).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + 176), p);
                a1 = p.fma(FloatVector.broadcast(F, scales[5]), a1);
                p = v.lanewise(VectorOperators.LSHL, 3).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().mul(FloatVector.fromArray(F, x, xo + 192));
                p = v.lanewise(VectorOperators.LSHR, 1).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + 208), p);
                a2 = p.fma(FloatVector.broadcast(F, scales[6]), a2);
                p = v.lanewise(VectorOperators.LSHR, 5).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().mul(FloatVector.fromArray(F, x, xo + 224));
                p = v.lanewise(VectorOperators.LSHR, 9).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + 240), p);
                a3 = p.fma(FloatVector.broadcast(F, scales[7]), a3);
                v = IntVector.fromMemorySegment(I, s, qs + 128, ByteOrder.LITTLE_ENDIAN);
                p = v.lanewise(VectorOperators.LSHL, 19).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().mul(FloatVector.fromArray(F, x, xo + 256));
                p = v.lanewise(VectorOperators.LSHL, 15).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + 272), p);
                a0 = p.fma(FloatVector.broadcast(F, scales[8]), a0);
                p = v.lanewise(VectorOperators.LSHL, 11).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().mul(FloatVector.fromArray(F, x, xo + 288));
                p = v.lanewise(VectorOperators.LSHL, 7).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + 304), p);
                a1 = p.fma(FloatVector.broadcast(F, scales[9]), a1);
                p = v.lanewise(VectorOperators.LSHL, 3).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().mul(FloatVector.fromArray(F, x, xo + 320));
                p = v.lanewise(VectorOperators.LSHR, 1).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + 336), p);
                a2 = p.fma(FloatVector.broadcast(F, scales[10]), a2);
                p = v.lanewise(VectorOperators.LSHR, 5).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().mul(FloatVector.fromArray(F, x, xo + 352));
                p = v.lanewise(VectorOperators.LSHR, 9).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + 368), p);
                a3 = p.fma(FloatVector.broadcast(F, scales[11]), a3);
                v = IntVector.fromMemorySegment(I, s, qs + 192, ByteOrder.LITTLE_ENDIAN);
                p = v.lanewise(VectorOperators.LSHL, 19).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().mul(FloatVector.fromArray(F, x, xo + 384));
                p = v.lanewise(VectorOperators.LSHL, 15).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + 400), p);
                a0 = p.fma(FloatVector.broadcast(F, scales[12]), a0);
                p = v.lanewise(VectorOperators.LSHL, 11).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().mul(FloatVector.fromArray(F, x, xo + 416));
                p = v.lanewise(VectorOperators.LSHL, 7).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + 432), p);
                a1 = p.fma(FloatVector.broadcast(F, scales[13]), a1);
                p = v.lanewise(VectorOperators.LSHL, 3).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().mul(FloatVector.fromArray(F, x, xo + 448));
                p = v.lanewise(VectorOperators.LSHR, 1).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + 464), p);
                a2 = p.fma(FloatVector.broadcast(F, scales[14]), a2);
                p = v.lanewise(VectorOperators.LSHR, 5).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().mul(FloatVector.fromArray(F, x, xo + 480));
                p = v.lanewise(VectorOperators.LSHR, 9).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + 496), p);
                a3 = p.fma(FloatVector.broadcast(F, scales[15]), a3);
            }
            FloatVector weighted = a0.add(a1).add(a2.add(a3));
            float dot = weighted.mul(16).sub(sumsTimesScales.mul(24)).reduceLanes(VectorOperators.ADD);
            out[outOffset + r] = first ? dot : out[outOffset + r] + dot;
        }
    }
}
