package io.llmpipe.engine.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * A Q4_0 matrix copied at load into a layout that 512-bit lanes decode with two instructions per 16
 * quants. Same bytes per element as the file (18 per 32); element indices stay row-major
 * ({@code r * cols + c}), so it is a {@link FloatTensor} like any other.
 *
 * <p>Layout: {@link PackedGroupsTensor}'s groups, row blocks and slabs; after a group's 16 scales come
 * 4 quarters of 64 bytes. A quarter is the byte-wise interleave of 4 blocks'
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
 * <p>Several activation rows (4 and more: decode batches, prefill) go to a Q8_0 copy of the same values
 * and Q8_0's batched kernel ({@link #batch}); without that copy a decode batch (up to 8 activation rows)
 * has a kernel of its own, {@link #dotRowsBatch}: 4 weight rows decoded in registers, each quant scaled
 * with one FMA ({@code 16d w - 24d}) and used against 4 activation rows; larger batches (prefill)
 * dequantize tiles in {@link MatMul}, faster there.
 *
 * <p>Built only where the CPU has 512-bit vectors and the width is a multiple of 512; elsewhere the
 * file's {@link Q4_0Tensor} is used as is.
 */
public final class PackedQ4_0Tensor extends PackedGroupsTensor {
    static final int GROUP_BYTES = 16 * Q4_0Tensor.BLOCK_BYTES;
    private static final int QUARTER_BYTES = 64;

    private static final VectorSpecies<Byte> QUANTS = ByteVector.SPECIES_128;
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final IntVector NIBBLE_BITS = IntVector.broadcast(I, 0x00780000); // mantissa bits 19..22
    private static final IntVector ONE = IntVector.broadcast(I, Float.floatToRawIntBits(1f));
    private static final FloatVector MINUS_3_HALVES = FloatVector.broadcast(F, -1.5f);
    private static final VectorShuffle<Float> FIRST_HALF_TWICE = VectorShuffle.fromOp(F, i -> i / 2);
    private static final VectorShuffle<Float> SECOND_HALF_TWICE = VectorShuffle.fromOp(F, i -> 8 + i / 2);
    private static final ThreadLocal<float[]> BLOCK_SUMS = ThreadLocal.withInitial(() -> new float[0]);
    /** Activation rows up to which {@link #dotRowsBatch} is the faster path (see {@link #fusedBatch}). */
    private static final int FUSED_MAX_ROWS = 8;
    /** Bytes of weight rows touched ahead of the batched kernel at a time (see {@link #touch}). */
    private static final long STAGE_BYTES = 64 << 10;
    private static final boolean TOUCH = !Boolean.getBoolean("llmpipe.engine.no-batch-prefetch");
    /**
     * Whether {@link #of} also makes {@link #batch} (on unless {@code -Dllmpipe.engine.q4_0-batch-copy=false}):
     * it costs 34/18 of the matrix's size again (+1.3 GB for the 1B-shaped model).
     */
    static final boolean BATCH_COPY = !"false".equals(System.getProperty("llmpipe.engine.q4_0-batch-copy"));
    @SuppressWarnings("unused")
    private long touched;
    /**
     * The same values as Q8_0 (each quant {@code q - 8} as an int8, the block's scale unchanged: exact), for
     * 4 or more activation rows, or null. Why: Q8_0's batched kernel does ~60 G multiply-adds/s per core
     * from L2 against ~35-40 for {@link #dotRowsBatch}, and it also serves prefill, where this class
     * dequantizes tiles; in the engine bench, batches of 8 and prefill of the Q8_0 model ran ~1.5x
     * those of the Q4_0 model (docs/PERFORMANCE.md).
     */
    private final Q8_0Tensor batch;

    private PackedQ4_0Tensor(MemorySegment data, int rows, int cols) {
        this(data, rows, cols, null);
    }

    private PackedQ4_0Tensor(MemorySegment data, int rows, int cols, Q8_0Tensor batch) {
        super(data, rows, cols, GROUP_BYTES);
        this.batch = batch;
    }

    /**
     * This matrix with {@link #batch} made from {@code src} (its file layout) inside {@code arena}, in
     * 2 MiB pages where Linux gives them.
     */
    PackedQ4_0Tensor withBatchCopy(MemorySegment src, Arena arena) {
        long blocks = (long) rows * cols / BLOCK;
        MemorySegment q8 = HugePageMemory.allocate(arena, blocks * Q8_0Tensor.BLOCK_BYTES);
        ByteVector low = ByteVector.broadcast(QUANTS, (byte) 0x0F), eight = ByteVector.broadcast(QUANTS, (byte) 8);
        for (long b = 0; b < blocks; b++) {
            long from = b * Q4_0Tensor.BLOCK_BYTES, to = b * Q8_0Tensor.BLOCK_BYTES;
            q8.set(Layouts.LE_SHORT, to, src.get(Layouts.LE_SHORT, from));
            // low nibbles are elements 0..15, high nibbles 16..31
            ByteVector v = ByteVector.fromMemorySegment(QUANTS, src, from + 2, ByteOrder.LITTLE_ENDIAN);
            v.and(low).sub(eight).intoMemorySegment(q8, to + 2, ByteOrder.LITTLE_ENDIAN);
            v.lanewise(VectorOperators.LSHR, 4).and(low).sub(eight).intoMemorySegment(q8, to + 18, ByteOrder.LITTLE_ENDIAN);
        }
        return new PackedQ4_0Tensor(data, rows, cols, new Q8_0Tensor(q8, (long) rows * cols));
    }

    /**
     * {@code tensor} repacked inside {@code arena} when it is a Q4_0 matrix whose width is a multiple of
     * {@link #GROUP} and the CPU has 512-bit vectors, else {@code tensor} itself.
     */
    public static FloatTensor of(FloatTensor tensor, int rows, int cols, Arena arena) {
        if (!WIDE || !(tensor instanceof Q4_0Tensor q) || cols % GROUP != 0 || (long) rows * cols != q.size()) {
            return tensor;
        }
        PackedQ4_0Tensor packed = pack(q.segment(), rows, cols, arena);
        return BATCH_COPY ? packed.withBatchCopy(q.segment(), arena) : packed;
    }

    /** Repacks unconditionally (tests run it on any CPU: the Vector API then emulates 512-bit lanes). */
    static PackedQ4_0Tensor pack(MemorySegment src, int rows, int cols, Arena arena) {
        PackedQ4_0Tensor packed = new PackedQ4_0Tensor(allocate(arena, rows, cols, GROUP_BYTES), rows, cols);
        packGroups(src, rows, cols, GROUP_BYTES, packed.data, packed, (in, from, out, to) -> {
            for (int b = 0; b < 16; b++) { // scales
                out.set(Layouts.LE_SHORT, to + 2L * b, in.get(Layouts.LE_SHORT, from + (long) b * Q4_0Tensor.BLOCK_BYTES));
            }
            // byte h of int i of quarter q = quant byte i of block 4q + h: each block's 16 bytes widened
            // to int lanes, shifted to byte h, or-ed together (a byte at a time took ~4 s for 1 GB)
            for (int q = 0; q < 4; q++) {
                IntVector v = IntVector.zero(I);
                for (int h = 0; h < 4; h++) {
                    long block = from + (long) (4 * q + h) * Q4_0Tensor.BLOCK_BYTES;
                    v = v.or(((IntVector) ByteVector.fromMemorySegment(QUANTS, in, block + 2, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).lanewise(VectorOperators.LSHL, 8 * h));
                }
                v.intoMemorySegment(out, to + SCALE_BYTES + (long) q * QUARTER_BYTES, ByteOrder.LITTLE_ENDIAN);
            }
        });
        return packed;
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
        float d = scale(g, local / BLOCK);
        int packed = data.get(LE_INT, g + SCALE_BYTES + (long) (local / 128) * QUARTER_BYTES + 4L * (local % 16));
        int q = (packed >>> (4 * ((local % 128) / 16))) & 0xF;
        return d * (q - 8);
    }

    /** Group {@code g} as floats: {@code d (16w - 24) = 16d (w - 1.5)}, one FMA per 16 elements. */
    @Override
    void dequantizeGroup(long g, float[] dst, int at) {
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

    /** Whether {@code n} activation rows go to {@link #batch}: 4 and more, when there is one. */
    private boolean viaBatchCopy(int n) {
        return batch != null && n >= 4;
    }

    /**
     * Every batch with {@link #batch}; else the batched kernel up to 8 activation rows (a decode batch):
     * one thread, 8 rows from memory, 1.2-1.3x the dequantized tiles of {@link MatMul}, 1.5x at 4; equal
     * at 16, 0.8-0.95x at 32-64 (prefill), where the tiles' float FMAs against x from L2 win
     * (docs/PERFORMANCE.md).
     */
    @Override
    public boolean fusedBatch(int n) {
        return viaBatchCopy(n) || n <= FUSED_MAX_ROWS;
    }

    /**
     * Through {@link #batch} for 4 and more activation rows when there is one. Else:
     * 4 weight rows x 4 activation rows at a time: each slab's 4 row pieces are decoded in registers
     * against one group of 4 activation rows after another, the pieces staying in L1 (as in
     * {@link Q8_0Tensor}'s batched kernel, which also reads the rows a stage ahead). Activation rows
     * beyond a multiple of 4, and the last weight rows short of a group of 4, go through the
     * single-row kernel.
     */
    @Override
    public void dotRowsBatch(int rowStart, int rowEnd, int cols, float[] x, int xOffset, int n,
                             float[] out, int outOffset, int outStride) {
        if (viaBatchCopy(n)) {
            batch.dotRowsBatch(rowStart, rowEnd, cols, x, xOffset, n, out, outOffset, outStride);
            return;
        }
        int quads = n / 4;
        float[] partial = new float[Math.max(1, quads) * 256];
        float[] scales = new float[4 * 64];
        int r = rowStart;
        long rowBytes = (long) (cols / GROUP) * GROUP_BYTES;
        int stageRows = quads > 0 && TOUCH ? Math.max(4, (int) (STAGE_BYTES / rowBytes) & ~3) : 0;
        if (stageRows > 0) {
            touch(rowStart, Math.min(rowEnd, rowStart + stageRows));
        }
        for (; r + 4 <= rowEnd && quads > 0; r += 4) {
            if (stageRows > 0 && (r - rowStart) % stageRows == 0) {
                touch(r + stageRows, Math.min(rowEnd, r + 2 * stageRows));
            }
            java.util.Arrays.fill(partial, 0f);
            for (int slab = 0, c0 = 0; c0 < cols; slab++, c0 += SLAB) {
                int g = c0 / GROUP;
                long g0 = groupOffset(r, g), g1 = groupOffset(r + 1, g), g2 = groupOffset(r + 2, g), g3 = groupOffset(r + 3, g);
                for (int quad = 0; quad < quads; quad++) {
                    dot4x4Slab(g0, g1, g2, g3, slabGroups(slab), x, xOffset + 4 * quad * cols + c0, cols, partial, 256 * quad, scales);
                }
            }
            for (int t = 0; t < 4 * quads; t++) {
                for (int k = 0; k < 4; k++) {
                    out[outOffset + t * outStride + r + k] = FloatVector.fromArray(F, partial, (t >> 2) * 256 + (t & 3) * 64 + k * 16)
                            .reduceLanes(VectorOperators.ADD);
                }
            }
        }
        for (int t = 4 * quads; t < n && r > rowStart; t++) {
            dotRows(rowStart, r, cols, x, xOffset + t * cols, out, outOffset + t * outStride);
        }
        for (int t = 0; t < n && r < rowEnd; t++) {
            dotRows(r, rowEnd, cols, x, xOffset + t * cols, out, outOffset + t * outStride);
        }
    }

    /**
     * Reads one byte of every cache line of rows {@code [from, to)}, slab by slab, so that they are in
     * cache when the kernel gets to them: one thread, 8 activation rows, a 75 MB matrix, 1.2-1.3x the
     * kernel without it (as {@link Q8_0Tensor}'s touch, whose kernel also waits on each line from memory).
     */
    private void touch(int from, int to) {
        long sum = 0;
        for (int r = from; r < to; r++) {
            for (int slab = 0, c0 = 0; c0 < cols; slab++, c0 += SLAB) {
                long a = groupOffset(r, c0 / GROUP);
                long end = a + (long) slabGroups(slab) * GROUP_BYTES;
                for (; a < end; a += 64) {
                    sum += data.get(ValueLayout.JAVA_BYTE, a);
                }
            }
        }
        touched = sum;
    }

    /**
     * Rows whose slab starts at group bytes {@code g0..g3} (a row's groups of a slab lie one after
     * another) against 4 activation rows from {@code x[xo]} ({@code cols} apart), over {@code groups}
     * groups, adding into the 16 vectors at {@code partial[base ..]} (activation row t, weight row k at
     * {@code base + t*64 + k*16}). A quant becomes {@code 16d w - 24d = d (q - 8)} with one FMA, its scale
     * pair read from {@code sc} (see {@link #storeScales}). Accumulators and decoded weights stay in registers: the method holds no
     * helper call taking or returning a vector (C2 did not inline one here, and boxed its vectors: 10x slower).
     */
    private void dot4x4Slab(long g0, long g1, long g2, long g3, int groups, float[] x, int xo, int cols,
                            float[] partial, int base, float[] sc) {
        FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F), a02 = FloatVector.zero(F), a03 = FloatVector.zero(F);
        FloatVector a10 = FloatVector.zero(F), a11 = FloatVector.zero(F), a12 = FloatVector.zero(F), a13 = FloatVector.zero(F);
        FloatVector a20 = FloatVector.zero(F), a21 = FloatVector.zero(F), a22 = FloatVector.zero(F), a23 = FloatVector.zero(F);
        FloatVector a30 = FloatVector.zero(F), a31 = FloatVector.zero(F), a32 = FloatVector.zero(F), a33 = FloatVector.zero(F);
        MemorySegment s = data;
        int x1 = xo + cols, x2 = xo + 2 * cols, x3 = xo + 3 * cols;
        for (int i = 0; i < groups; i++, g0 += GROUP_BYTES, g1 += GROUP_BYTES, g2 += GROUP_BYTES, g3 += GROUP_BYTES) {
            storeScales(s, g0, sc, 0);
            storeScales(s, g1, sc, 64);
            storeScales(s, g2, sc, 128);
            storeScales(s, g3, sc, 192);
            int xg = i * GROUP;
            for (int q = 0; q < 4; q++) {
                IntVector v0 = IntVector.fromMemorySegment(I, s, g0 + SCALE_BYTES + (long) q * QUARTER_BYTES, ByteOrder.LITTLE_ENDIAN);
                IntVector v1 = IntVector.fromMemorySegment(I, s, g1 + SCALE_BYTES + (long) q * QUARTER_BYTES, ByteOrder.LITTLE_ENDIAN);
                IntVector v2 = IntVector.fromMemorySegment(I, s, g2 + SCALE_BYTES + (long) q * QUARTER_BYTES, ByteOrder.LITTLE_ENDIAN);
                IntVector v3 = IntVector.fromMemorySegment(I, s, g3 + SCALE_BYTES + (long) q * QUARTER_BYTES, ByteOrder.LITTLE_ENDIAN);
                int xq = xg + 128 * q;
                // 16 columns a pass: column 128q + 16k + lane is nibble k (bits 4k..4k+3) of the quarter's
                // int lane, rotated to bits 19..22; its scales at sc[.. + 8q + k] (indices linear in k, so
                // the JIT checks their bounds once per loop, not per load)
                for (int k = 0, j = 8 * q; k < 8; k++, j++) {
                    int rotate = (19 - 4 * k) & 31;
                    FloatVector y0 = FloatVector.fromArray(F, x, xo + xq + 16 * k);
                    FloatVector y1 = FloatVector.fromArray(F, x, x1 + xq + 16 * k);
                    FloatVector y2 = FloatVector.fromArray(F, x, x2 + xq + 16 * k);
                    FloatVector y3 = FloatVector.fromArray(F, x, x3 + xq + 16 * k);
                    FloatVector w = v0.lanewise(VectorOperators.ROL, rotate).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats()
                            .fma(FloatVector.broadcast(F, sc[j]), FloatVector.broadcast(F, sc[32 + j]));
                    a00 = w.fma(y0, a00);
                    a01 = w.fma(y1, a01);
                    a02 = w.fma(y2, a02);
                    a03 = w.fma(y3, a03);
                    w = v1.lanewise(VectorOperators.ROL, rotate).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats()
                            .fma(FloatVector.broadcast(F, sc[64 + j]), FloatVector.broadcast(F, sc[96 + j]));
                    a10 = w.fma(y0, a10);
                    a11 = w.fma(y1, a11);
                    a12 = w.fma(y2, a12);
                    a13 = w.fma(y3, a13);
                    w = v2.lanewise(VectorOperators.ROL, rotate).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats()
                            .fma(FloatVector.broadcast(F, sc[128 + j]), FloatVector.broadcast(F, sc[160 + j]));
                    a20 = w.fma(y0, a20);
                    a21 = w.fma(y1, a21);
                    a22 = w.fma(y2, a22);
                    a23 = w.fma(y3, a23);
                    w = v3.lanewise(VectorOperators.ROL, rotate).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats()
                            .fma(FloatVector.broadcast(F, sc[192 + j]), FloatVector.broadcast(F, sc[224 + j]));
                    a30 = w.fma(y0, a30);
                    a31 = w.fma(y1, a31);
                    a32 = w.fma(y2, a32);
                    a33 = w.fma(y3, a33);
                }
            }
        }
        a00.add(FloatVector.fromArray(F, partial, base)).intoArray(partial, base);
        a10.add(FloatVector.fromArray(F, partial, base + 16)).intoArray(partial, base + 16);
        a20.add(FloatVector.fromArray(F, partial, base + 32)).intoArray(partial, base + 32);
        a30.add(FloatVector.fromArray(F, partial, base + 48)).intoArray(partial, base + 48);
        a01.add(FloatVector.fromArray(F, partial, base + 64)).intoArray(partial, base + 64);
        a11.add(FloatVector.fromArray(F, partial, base + 80)).intoArray(partial, base + 80);
        a21.add(FloatVector.fromArray(F, partial, base + 96)).intoArray(partial, base + 96);
        a31.add(FloatVector.fromArray(F, partial, base + 112)).intoArray(partial, base + 112);
        a02.add(FloatVector.fromArray(F, partial, base + 128)).intoArray(partial, base + 128);
        a12.add(FloatVector.fromArray(F, partial, base + 144)).intoArray(partial, base + 144);
        a22.add(FloatVector.fromArray(F, partial, base + 160)).intoArray(partial, base + 160);
        a32.add(FloatVector.fromArray(F, partial, base + 176)).intoArray(partial, base + 176);
        a03.add(FloatVector.fromArray(F, partial, base + 192)).intoArray(partial, base + 192);
        a13.add(FloatVector.fromArray(F, partial, base + 208)).intoArray(partial, base + 208);
        a23.add(FloatVector.fromArray(F, partial, base + 224)).intoArray(partial, base + 224);
        a33.add(FloatVector.fromArray(F, partial, base + 240)).intoArray(partial, base + 240);
    }

    /**
     * The 16 scales of the group at byte {@code g}, each written twice (once per 16 columns of its block):
     * {@code 16d} at {@code sc[at ..at + 32)}, {@code -24d} at {@code sc[at + 32 ..at + 64)}.
     */
    private static void storeScales(MemorySegment s, long g, float[] sc, int at) {
        FloatVector d = scales(s, g);
        FloatVector lo = d.rearrange(FIRST_HALF_TWICE), hi = d.rearrange(SECOND_HALF_TWICE);
        lo.mul(16f).intoArray(sc, at);
        hi.mul(16f).intoArray(sc, at + 16);
        lo.mul(-24f).intoArray(sc, at + 32);
        hi.mul(-24f).intoArray(sc, at + 48);
    }

    /** The block sums of x, for the {@code -24 sum(x)} of each block. */
    @Override
    void prepare(float[] x, int xOffset) {
        float[] sums = Layouts.scratch(BLOCK_SUMS, cols / BLOCK);
        for (int b = 0; b < cols / BLOCK; b++) {
            int xo = xOffset + b * BLOCK;
            sums[b] = FloatVector.fromArray(F, x, xo).add(FloatVector.fromArray(F, x, xo + 16)).reduceLanes(VectorOperators.ADD);
        }
    }

    @Override
    void slabRows(int rowStart, int rowEnd, long start, int groups, MemorySegment x, int c0,
                  float[] out, int outOffset, boolean first) {
        MemorySegment s = data;
        float[] sums = BLOCK_SUMS.get();
        // A fresh array: its length is a constant, so C2 drops the bounds checks of the 16 broadcasts.
        float[] scales = new float[16];
        int sumsOffset = c0 / BLOCK;
        long g = start;
        for (int r = rowStart; r < rowEnd; r++) {
            // One accumulator per block of a quarter: the chain through each is one FMA per quarter. Two
            // quarters per inner iteration, not all four written out: the method is then well inside what
            // C1 compiles (a Q8_0 variant with 16 blocks written out, 2,371 bytecodes, made C1 give up, "out
            // of virtual registers", and its first decode steps ran boxed for seconds; this one written out
            // was 2,098). One quarter per iteration cost C2's code ~25%, two 4-13% in a mat-vec and nothing
            // measurable in decode. Not helpers either: C2
            // does not reliably inline one taking vectors into a loop this size (a call boxes them). Block h
            // of quarter q: nibbles 2h and 2h + 1 (bits 8h and 8h + 4, moved to bit 19), columns
            // 128q + 32h, scale lane 4q + h.
            FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
            FloatVector sumsTimesScales = FloatVector.zero(F);
            for (int i = 0; i < groups; i++, g += GROUP_BYTES) {
                long xo = 4L * (c0 + i * GROUP);
                // The group's 16 fp16 scales in lanes (see scales(), written out for the same reason).
                IntVector h = (IntVector) ShortVector.fromMemorySegment(S, s, g, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0);
                FloatVector d = h.and(HALF_MAGNITUDE).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(HALF_EXPONENT_SHIFT)
                        .reinterpretAsInts().or(h.and(HALF_SIGN).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
                sumsTimesScales = d.fma(FloatVector.fromArray(F, sums, sumsOffset + i * 16), sumsTimesScales);
                d.intoArray(scales, 0);
                long qs = g + SCALE_BYTES;
                for (int q = 0; q < 4; q += 2, qs += 2 * QUARTER_BYTES, xo += 1024) {
                    IntVector v = IntVector.fromMemorySegment(I, s, qs, ByteOrder.LITTLE_ENDIAN);
                    FloatVector p = v.lanewise(VectorOperators.LSHL, 19).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().mul(FloatVector.fromMemorySegment(F, x, xo, ByteOrder.LITTLE_ENDIAN));
                    p = v.lanewise(VectorOperators.LSHL, 15).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().fma(FloatVector.fromMemorySegment(F, x, xo + 64, ByteOrder.LITTLE_ENDIAN), p);
                    a0 = p.fma(FloatVector.broadcast(F, scales[4 * q]), a0);
                    p = v.lanewise(VectorOperators.LSHL, 11).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().mul(FloatVector.fromMemorySegment(F, x, xo + 128, ByteOrder.LITTLE_ENDIAN));
                    p = v.lanewise(VectorOperators.LSHL, 7).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().fma(FloatVector.fromMemorySegment(F, x, xo + 192, ByteOrder.LITTLE_ENDIAN), p);
                    a1 = p.fma(FloatVector.broadcast(F, scales[4 * q + 1]), a1);
                    p = v.lanewise(VectorOperators.LSHL, 3).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().mul(FloatVector.fromMemorySegment(F, x, xo + 256, ByteOrder.LITTLE_ENDIAN));
                    p = v.lanewise(VectorOperators.LSHR, 1).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().fma(FloatVector.fromMemorySegment(F, x, xo + 320, ByteOrder.LITTLE_ENDIAN), p);
                    a2 = p.fma(FloatVector.broadcast(F, scales[4 * q + 2]), a2);
                    p = v.lanewise(VectorOperators.LSHR, 5).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().mul(FloatVector.fromMemorySegment(F, x, xo + 384, ByteOrder.LITTLE_ENDIAN));
                    p = v.lanewise(VectorOperators.LSHR, 9).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().fma(FloatVector.fromMemorySegment(F, x, xo + 448, ByteOrder.LITTLE_ENDIAN), p);
                    a3 = p.fma(FloatVector.broadcast(F, scales[4 * q + 3]), a3);
                    v = IntVector.fromMemorySegment(I, s, qs + QUARTER_BYTES, ByteOrder.LITTLE_ENDIAN);
                    p = v.lanewise(VectorOperators.LSHL, 19).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().mul(FloatVector.fromMemorySegment(F, x, xo + 512, ByteOrder.LITTLE_ENDIAN));
                    p = v.lanewise(VectorOperators.LSHL, 15).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().fma(FloatVector.fromMemorySegment(F, x, xo + 576, ByteOrder.LITTLE_ENDIAN), p);
                    a0 = p.fma(FloatVector.broadcast(F, scales[4 * q + 4]), a0);
                    p = v.lanewise(VectorOperators.LSHL, 11).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().mul(FloatVector.fromMemorySegment(F, x, xo + 640, ByteOrder.LITTLE_ENDIAN));
                    p = v.lanewise(VectorOperators.LSHL, 7).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().fma(FloatVector.fromMemorySegment(F, x, xo + 704, ByteOrder.LITTLE_ENDIAN), p);
                    a1 = p.fma(FloatVector.broadcast(F, scales[4 * q + 5]), a1);
                    p = v.lanewise(VectorOperators.LSHL, 3).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().mul(FloatVector.fromMemorySegment(F, x, xo + 768, ByteOrder.LITTLE_ENDIAN));
                    p = v.lanewise(VectorOperators.LSHR, 1).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().fma(FloatVector.fromMemorySegment(F, x, xo + 832, ByteOrder.LITTLE_ENDIAN), p);
                    a2 = p.fma(FloatVector.broadcast(F, scales[4 * q + 6]), a2);
                    p = v.lanewise(VectorOperators.LSHR, 5).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().mul(FloatVector.fromMemorySegment(F, x, xo + 896, ByteOrder.LITTLE_ENDIAN));
                    p = v.lanewise(VectorOperators.LSHR, 9).and(NIBBLE_BITS).or(ONE).reinterpretAsFloats().fma(FloatVector.fromMemorySegment(F, x, xo + 960, ByteOrder.LITTLE_ENDIAN), p);
                    a3 = p.fma(FloatVector.broadcast(F, scales[4 * q + 7]), a3);
                }
            }
            FloatVector weighted = a0.add(a1).add(a2.add(a3));
            float dot = weighted.mul(16).sub(sumsTimesScales.mul(24)).reduceLanes(VectorOperators.ADD);
            out[outOffset + r] = first ? dot : out[outOffset + r] + dot;
        }
    }
}
