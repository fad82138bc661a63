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
import jdk.incubator.vector.VectorSpecies;

/**
 * A Q4_0 matrix copied at load into tiles of 64 rows whose mat-vec multiplies in 16-bit integer lanes,
 * 32 rows per instruction. Same bytes per element as the file (18 per 32); element indices stay
 * row-major ({@code r * cols + c}), so it is a {@link FloatTensor} like any other.
 *
 * <p>Layout: tile after tile (rows {@code [64t, 64t + 64)}), within a tile block after block (columns
 * {@code [32b, 32b + 32)}); a tile's block is the 64 rows' fp16 scales (128 bytes), then for each 4
 * columns {@code 4j..4j + 3} of the block two 64-byte halves (rows 0..31, rows 32..63) of one
 * little-endian short per row, holding in nibble {@code m} the quant of column {@code 4j + m} as the
 * signed 4-bit {@code q - 8}. A tile's stream is one linear read.
 *
 * <p>The kernel: x is first written as integers {@code 128 h + l} with {@code |h| <= 127},
 * {@code |l| <= 64} and one float scale per block of 32 ({@link Activations}: 15 bits, relative
 * error ~3e-5 of the block's largest value, against ~1e-1 for the Q4_0 weights themselves). A nibble
 * becomes a signed 16-bit lane with a shift pair; multiplied by {@code h} and by {@code l} broadcast
 * and summed over the block's 32 columns in 16-bit lanes (at most 32 * 8 * 127 = 32,512: no overflow),
 * then widened, {@code 128 H + L} converted to float and scaled by weight scale times x's scale.
 * Why: in floats a nibble took 3 instructions to become 16 float lanes, then an FMA (the packed layout
 * this replaced); here 1.75 instructions make 32 lanes, used by two multiplies and two adds: ~3.4
 * instructions per 16 weights instead of ~4.5, and decode on these CPUs is bound by instructions, not
 * memory. Mat-vec 1.2-2.3x the packed kernel's speed in one JVM, decode 1.2-1.4x (docs/PERFORMANCE.md).
 * An 8-bit x alone (llama.cpp's arithmetic for Q4_0) ran 1.4x this kernel, but missed a 2048-wide
 * mat-vec's exact dots by up to 5e-3 of the largest (this one 5e-5): too far for logits to 1e-3 of the
 * dequantized weights', so it is opt-in ({@link #configuredActivationBits}). Tiles of 128 rows (broadcasts of x shared by 4
 * vectors) ran at 0.5-0.8x: too many registers live.
 *
 * <p>Several activation rows (4 and more: decode batches, prefill) go to a Q8_0 copy of the same values
 * and Q8_0's batched kernel ({@link #batch}); without it, up to 8 rows run the mat-vec once per row and
 * more dequantize tiles in {@link MatMul}.
 *
 * <p>Built only where the CPU has 512-bit vectors, the rows are a multiple of 64 and the width of 32;
 * elsewhere the file's {@link Q4_0Tensor} is used as is. Immutable; any thread.
 */
public final class TiledQ4_0Tensor extends FloatTensor {
    /** Rows per tile: two 32-lane halves. */
    public static final int TILE = 64;
    static final int BLOCK = 32;
    private static final int SCALE_BYTES = 2 * TILE;
    private static final int HALF_BYTES = 64;
    /** One tile's block: scales, then 8 groups of 4 columns in two halves. */
    static final int TILE_BLOCK_BYTES = SCALE_BYTES + 8 * 2 * HALF_BYTES;
    private static final int FUSED_MAX_ROWS = 8;

    private static final boolean WIDE = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    private static final VectorSpecies<Short> HALVES = ShortVector.SPECIES_256;
    private static final VectorSpecies<Byte> QUANTS = ByteVector.SPECIES_128;
    private static final IntVector HALF_MAGNITUDE = IntVector.broadcast(I, 0x7FFF);
    private static final IntVector HALF_SIGN = IntVector.broadcast(I, 0x8000);
    private static final FloatVector HALF_EXPONENT_SHIFT = FloatVector.broadcast(F, 0x1p112f);
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ThreadLocal<Activations> SCRATCH = ThreadLocal.withInitial(() -> new Activations(0));
    private static final ThreadLocal<float[]> PARTIAL = ThreadLocal.withInitial(() -> new float[TILE]);
    private static final ThreadLocal<float[]> ROW = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * Whether {@link #of} also makes {@link #batch} (on unless {@code -Dllmpipe.engine.q4_0-batch-copy=false}):
     * it costs 34/18 of the matrix's size again (+1.3 GB for the 1B-shaped model).
     */
    static final boolean BATCH_COPY = !"false".equals(System.getProperty("llmpipe.engine.q4_0-batch-copy"));

    private final MemorySegment data;
    private final int rows;
    private final int cols;
    /**
     * The same values as Q8_0 (each quant {@code q - 8} as an int8, the block's scale unchanged: exact), for
     * 4 or more activation rows, or null: Q8_0's batched kernel does ~60 G multiply-adds/s per core from
     * L2, and batches of 8 and prefill of the Q8_0 model ran ~1.5x those of Q4_0 without the copy
     * (docs/PERFORMANCE.md).
     */
    private final Q8_0Tensor batch;
    /** 15 or 8 (see {@link #configuredActivationBits}). */
    private final int activationBits;

    private TiledQ4_0Tensor(MemorySegment data, int rows, int cols, Q8_0Tensor batch, int activationBits) {
        this.data = data;
        this.rows = rows;
        this.cols = cols;
        this.batch = batch;
        this.activationBits = activationBits;
    }

    /**
     * Bits of x in the mat-vec: 15 (default: logits of the dequantized weights to 1e-3) or 8, llama.cpp's
     * arithmetic for Q4_0 (x as Q8_0), ~1.4x the kernel's speed ({@code -Dllmpipe.engine.q4_0-activation-bits=8}).
     * Read at each load, so that a bad value is a load error with its name, not a failed class.
     */
    static int configuredActivationBits() {
        return activationBits(System.getProperty("llmpipe.engine.q4_0-activation-bits", "15"));
    }

    static int activationBits(String value) {
        return switch (value.strip()) {
            case "15" -> 15;
            case "8" -> 8;
            default -> throw new IllegalArgumentException("llmpipe.engine.q4_0-activation-bits must be 15 or 8, got '" + value + "'");
        };
    }

    /**
     * {@code tensor} tiled inside {@code arena} (with {@link #batch} unless switched off) when it is a
     * Q4_0 matrix of whole tiles and the CPU has 512-bit vectors, else {@code tensor} itself.
     */
    public static FloatTensor of(FloatTensor tensor, int rows, int cols, Arena arena) {
        if (!WIDE || !(tensor instanceof Q4_0Tensor q) || !fits(rows, cols) || (long) rows * cols != q.size()) {
            return tensor;
        }
        return tile(q.segment(), rows, cols, arena, BATCH_COPY, configuredActivationBits());
    }

    static boolean fits(int rows, int cols) {
        return rows % TILE == 0 && cols % BLOCK == 0 && rows > 0 && cols > 0;
    }

    /** Tiles unconditionally (tests run it on any CPU: the Vector API then emulates 512-bit lanes). */
    static TiledQ4_0Tensor tile(MemorySegment src, int rows, int cols, Arena arena, boolean batchCopy, int activationBits) {
        int blocks = cols / BLOCK;
        MemorySegment dst = HugePageMemory.allocate(arena, (long) (rows / TILE) * blocks * TILE_BLOCK_BYTES);
        for (int t = 0; t < rows / TILE; t++) {
            for (int b = 0; b < blocks; b++) {
                long to = ((long) t * blocks + b) * TILE_BLOCK_BYTES;
                for (int r = 0; r < TILE; r++) {
                    long from = ((long) (t * TILE + r) * blocks + b) * Q4_0Tensor.BLOCK_BYTES;
                    dst.set(Layouts.LE_SHORT, to + 2L * r, src.get(Layouts.LE_SHORT, from));
                    long lane = to + SCALE_BYTES + (r / 32) * HALF_BYTES + 2L * (r % 32);
                    for (int i = 0; i < 4; i++) { // file bytes 4i..4i+3: low nibbles columns 4i.., high 16 + 4i..
                        int bytes = src.get(LE_INT, from + 2 + 4L * i);
                        dst.set(Layouts.LE_SHORT, lane + 2L * HALF_BYTES * i, fourNibbles(bytes));
                        dst.set(Layouts.LE_SHORT, lane + 2L * HALF_BYTES * (4 + i), fourNibbles(bytes >>> 4));
                    }
                }
            }
        }
        return new TiledQ4_0Tensor(dst, rows, cols, batchCopy ? batchCopy(src, (long) rows * cols, arena) : null,
                activationBits(String.valueOf(activationBits)));
    }

    /** The low nibbles of the 4 bytes of {@code bytes} side by side in a short, each {@code q - 8} (q xor 8). */
    private static short fourNibbles(int bytes) {
        int n = bytes & 0x0F0F0F0F;
        n = (n | (n >>> 4)) & 0x00FF00FF;
        n = (n | (n >>> 8)) & 0xFFFF;
        return (short) (n ^ 0x8888);
    }

    /** The file's blocks as Q8_0 ({@code q - 8} per quant, same scales) in 2 MiB pages where Linux gives them. */
    private static Q8_0Tensor batchCopy(MemorySegment src, long elements, Arena arena) {
        long blocks = elements / BLOCK;
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
        return new Q8_0Tensor(q8, elements);
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
        long block = ((long) (r / TILE) * (cols / BLOCK) + c / BLOCK) * TILE_BLOCK_BYTES;
        int local = c % BLOCK;
        int quads = data.get(Layouts.LE_SHORT, block + SCALE_BYTES + (long) (local / 4) * 2 * HALF_BYTES
                + (r % TILE / 32) * HALF_BYTES + 2L * (r % 32));
        int q = (quads << (28 - 4 * (local % 4))) >> 28; // signed nibble: q - 8
        return Layouts.f16(data, block + 2L * (r % TILE)) * q;
    }

    @Override
    public float dot(long offset, float[] x, int xOffset, int n) {
        float[] w = Layouts.scratch(ROW, n);
        dequantize(offset, w, 0, n);
        return VectorMath.dot(w, 0, x, xOffset, n);
    }

    /** Row by row, block by block: a block's 32 values from 8 shorts (one per 4 columns). */
    @Override
    public void dequantize(long offset, float[] dst, int dstOffset, int n) {
        if (((offset | n) & (BLOCK - 1)) != 0) {
            throw new IllegalArgumentException(type() + " offset " + offset + " and length " + n + " must be multiples of " + BLOCK);
        }
        for (long e = offset, end = offset + n; e < end; e += BLOCK) {
            int r = (int) (e / cols);
            int c = (int) (e % cols);
            long block = ((long) (r / TILE) * (cols / BLOCK) + c / BLOCK) * TILE_BLOCK_BYTES;
            float d = Layouts.f16(data, block + 2L * (r % TILE));
            long lane = block + SCALE_BYTES + (r % TILE / 32) * HALF_BYTES + 2L * (r % 32);
            int at = dstOffset + (int) (e - offset);
            for (int j = 0; j < 8; j++, at += 4) {
                int quads = data.get(Layouts.LE_SHORT, lane + 2L * HALF_BYTES * j);
                dst[at] = d * ((quads << 28) >> 28);
                dst[at + 1] = d * ((quads << 24) >> 28);
                dst[at + 2] = d * ((quads << 20) >> 28);
                dst[at + 3] = d * ((quads << 16) >> 28);
            }
        }
    }

    /**
     * x (one activation row) in the form this matrix's mat-vec reads, in this thread's reusable buffers
     * (valid until its next call); made once per matrix-vector product and shared by its threads
     * ({@link MatMul}).
     */
    public Activations activations(float[] x, int xOffset, int cols) {
        return Activations.of(x, xOffset, cols, activationBits);
    }

    /**
     * x (one activation row of {@code cols}) as {@code scales[b] * (128 high + low)} per block of 32
     * (15 bits), or {@code scales[b] * high} (8 bits, {@code low} unused). Read-only once made.
     */
    public static final class Activations {
        private short[] high;
        private short[] low;
        private float[] scales;
        private boolean eightBit;

        private Activations(int cols) {
            high = new short[cols];
            low = new short[cols];
            scales = new float[cols / BLOCK];
        }

        static Activations of(float[] x, int xOffset, int cols, int bits) {
            Activations a = SCRATCH.get();
            if (a.high.length < cols) {
                a = new Activations(cols);
                SCRATCH.set(a);
            }
            a.eightBit = bits == 8;
            if (a.eightBit) {
                a.setEightBit(x, xOffset, cols);
            } else {
                a.set(x, xOffset, cols);
            }
            return a;
        }

        /**
         * Per block: {@code q = round(x / d)} with {@code d = max|x| / 16256}, {@code high = (q + 64) >> 7},
         * {@code low = q - 128 high}: {@code |high| <= 127}, {@code -64 <= low < 64}.
         */
        private void set(float[] x, int xOffset, int cols) {
            for (int b = 0; b < cols / BLOCK; b++) {
                int xo = xOffset + BLOCK * b;
                FloatVector x0 = FloatVector.fromArray(F, x, xo), x1 = FloatVector.fromArray(F, x, xo + 16);
                float max = x0.abs().max(x1.abs()).reduceLanes(VectorOperators.MAX);
                float d = max / 16256f;
                scales[b] = d;
                float inverse = d == 0f ? 0f : 1f / d;
                // scalar: with the rounding and split in lanes (float-to-int, int-to-short conversions) a
                // 2048 x 2048 mat-vec ran at 0.75x the packed float kernel's speed, with this at 1.9x
                for (int i = xo, at = BLOCK * b; i < xo + BLOCK; i++, at++) {
                    int q = Math.round(x[i] * inverse);
                    int h = (q + 64) >> 7;
                    high[at] = (short) h;
                    low[at] = (short) (q - (h << 7));
                }
            }
        }

        /** Per block: {@code high = round(x / d)} with {@code d = max|x| / 127} (Q8_0's rule). */
        private void setEightBit(float[] x, int xOffset, int cols) {
            for (int b = 0; b < cols / BLOCK; b++) {
                int xo = xOffset + BLOCK * b;
                FloatVector x0 = FloatVector.fromArray(F, x, xo), x1 = FloatVector.fromArray(F, x, xo + 16);
                float max = x0.abs().max(x1.abs()).reduceLanes(VectorOperators.MAX);
                float d = max / 127f;
                scales[b] = d;
                float inverse = d == 0f ? 0f : 1f / d;
                for (int i = xo, at = BLOCK * b; i < xo + BLOCK; i++, at++) {
                    high[at] = (short) Math.round(x[i] * inverse);
                }
            }
        }
    }

    /** Whether {@code n} activation rows go to {@link #batch}: 4 and more, when there is one. */
    private boolean viaBatchCopy(int n) {
        return batch != null && n >= 4;
    }

    /** With {@link #batch}: every batch; without: up to 8 activation rows, one mat-vec each. */
    @Override
    public boolean fusedBatch(int n) {
        return viaBatchCopy(n) || n <= FUSED_MAX_ROWS;
    }

    @Override
    public void dotRowsBatch(int rowStart, int rowEnd, int cols, float[] x, int xOffset, int n,
                             float[] out, int outOffset, int outStride) {
        if (viaBatchCopy(n)) {
            batch.dotRowsBatch(rowStart, rowEnd, cols, x, xOffset, n, out, outOffset, outStride);
            return;
        }
        for (int t = 0; t < n; t++) {
            dotRows(rowStart, rowEnd, activations(x, xOffset + t * cols, cols), out, outOffset + t * outStride);
        }
    }

    @Override
    public void dotRows(int rowStart, int rowEnd, int cols, float[] x, int xOffset, float[] out, int outOffset) {
        dotRows(rowStart, rowEnd, activations(x, xOffset, cols), out, outOffset);
    }

    /**
     * {@code out[outOffset + r] = row r . x} for rows {@code [rowStart, rowEnd)}: whole tiles into
     * {@code out}, a tile cut by the range into a scratch row first.
     */
    public void dotRows(int rowStart, int rowEnd, Activations x, float[] out, int outOffset) {
        int firstWhole = (rowStart + TILE - 1) / TILE, endWhole = rowEnd / TILE;
        if (firstWhole > endWhole) { // inside one tile
            partialTile(rowStart / TILE, rowStart, rowEnd, x, out, outOffset);
            return;
        }
        if (rowStart % TILE != 0) {
            partialTile(rowStart / TILE, rowStart, firstWhole * TILE, x, out, outOffset);
        }
        tiles(firstWhole, endWhole, x, out, outOffset);
        if (rowEnd % TILE != 0) {
            partialTile(endWhole, endWhole * TILE, rowEnd, x, out, outOffset);
        }
    }

    private void partialTile(int tile, int from, int to, Activations x, float[] out, int outOffset) {
        float[] partial = PARTIAL.get();
        tiles(tile, tile + 1, x, partial, -tile * TILE);
        System.arraycopy(partial, from - tile * TILE, out, outOffset + from, to - from);
    }

    /**
     * Tiles {@code [t0, t1)} against x into {@code out[outOffset + 64t ..]}. Written out in one method:
     * C2 does not reliably inline a helper taking or returning vectors into a loop this size, and a call
     * boxes them (see {@code Q8_0Tensor}).
     */
    private void tiles(int t0, int t1, Activations x, float[] out, int outOffset) {
        MemorySegment s = data;
        short[] xh = x.high, xl = x.low;
        boolean fifteen = !x.eightBit; // loop-invariant: C2 compiles the loops once per value
        float[] xd = x.scales;
        int blocks = cols / BLOCK;
        for (int t = t0; t < t1; t++) {
            FloatVector f0 = FloatVector.zero(F), f1 = FloatVector.zero(F), f2 = FloatVector.zero(F), f3 = FloatVector.zero(F);
            long base = (long) t * blocks * TILE_BLOCK_BYTES;
            for (int b = 0; b < blocks; b++, base += TILE_BLOCK_BYTES) {
                // h*/l*: rows 0..31 and 32..63 against x's high and low parts, summed over the block in 16 bits
                ShortVector h0 = ShortVector.zero(S), h1 = ShortVector.zero(S), l0 = ShortVector.zero(S), l1 = ShortVector.zero(S);
                long q = base + SCALE_BYTES;
                for (int k = BLOCK * b, end = k + BLOCK; k < end; k += 4, q += 2 * HALF_BYTES) {
                    ShortVector v = ShortVector.fromMemorySegment(S, s, q, ByteOrder.LITTLE_ENDIAN);
                    ShortVector w = ShortVector.fromMemorySegment(S, s, q + HALF_BYTES, ByteOrder.LITTLE_ENDIAN);
                    ShortVector v0 = v.lanewise(VectorOperators.LSHL, 12).lanewise(VectorOperators.ASHR, 12);
                    ShortVector v1 = v.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 12);
                    ShortVector v2 = v.lanewise(VectorOperators.LSHL, 4).lanewise(VectorOperators.ASHR, 12);
                    ShortVector v3 = v.lanewise(VectorOperators.ASHR, 12);
                    ShortVector w0 = w.lanewise(VectorOperators.LSHL, 12).lanewise(VectorOperators.ASHR, 12);
                    ShortVector w1 = w.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 12);
                    ShortVector w2 = w.lanewise(VectorOperators.LSHL, 4).lanewise(VectorOperators.ASHR, 12);
                    ShortVector w3 = w.lanewise(VectorOperators.ASHR, 12);
                    short a0 = xh[k], a1 = xh[k + 1], a2 = xh[k + 2], a3 = xh[k + 3];
                    h0 = h0.add(v0.mul(a0)).add(v1.mul(a1)).add(v2.mul(a2)).add(v3.mul(a3));
                    h1 = h1.add(w0.mul(a0)).add(w1.mul(a1)).add(w2.mul(a2)).add(w3.mul(a3));
                    if (fifteen) {
                        short c0 = xl[k], c1 = xl[k + 1], c2 = xl[k + 2], c3 = xl[k + 3];
                        l0 = l0.add(v0.mul(c0)).add(v1.mul(c1)).add(v2.mul(c2)).add(v3.mul(c3));
                        l1 = l1.add(w0.mul(c0)).add(w1.mul(c1)).add(w2.mul(c2)).add(w3.mul(c3));
                    }
                }
                float d = xd[b];
                int shift = fifteen ? 7 : 0;
                // rows 16i..16i+15: 128 H + L (8 bits: H) widened, as float, times (weight scale * d); the fp16 scales
                // converted in lanes (magnitude moved into place and rescaled by 2^112, sign put back)
                IntVector e;
                FloatVector sc;
                e = (IntVector) ShortVector.fromMemorySegment(HALVES, s, base, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0);
                sc = e.and(HALF_MAGNITUDE).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(HALF_EXPONENT_SHIFT)
                        .reinterpretAsInts().or(e.and(HALF_SIGN).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
                f0 = ((IntVector) h0.convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, shift)
                        .add((IntVector) l0.convertShape(VectorOperators.S2I, I, 0)).convert(VectorOperators.I2F, 0).reinterpretAsFloats()
                        .fma(sc.mul(d), f0);
                e = (IntVector) ShortVector.fromMemorySegment(HALVES, s, base + 32, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0);
                sc = e.and(HALF_MAGNITUDE).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(HALF_EXPONENT_SHIFT)
                        .reinterpretAsInts().or(e.and(HALF_SIGN).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
                f1 = ((IntVector) h0.convertShape(VectorOperators.S2I, I, 1)).lanewise(VectorOperators.LSHL, shift)
                        .add((IntVector) l0.convertShape(VectorOperators.S2I, I, 1)).convert(VectorOperators.I2F, 0).reinterpretAsFloats()
                        .fma(sc.mul(d), f1);
                e = (IntVector) ShortVector.fromMemorySegment(HALVES, s, base + 64, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0);
                sc = e.and(HALF_MAGNITUDE).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(HALF_EXPONENT_SHIFT)
                        .reinterpretAsInts().or(e.and(HALF_SIGN).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
                f2 = ((IntVector) h1.convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, shift)
                        .add((IntVector) l1.convertShape(VectorOperators.S2I, I, 0)).convert(VectorOperators.I2F, 0).reinterpretAsFloats()
                        .fma(sc.mul(d), f2);
                e = (IntVector) ShortVector.fromMemorySegment(HALVES, s, base + 96, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0);
                sc = e.and(HALF_MAGNITUDE).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(HALF_EXPONENT_SHIFT)
                        .reinterpretAsInts().or(e.and(HALF_SIGN).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
                f3 = ((IntVector) h1.convertShape(VectorOperators.S2I, I, 1)).lanewise(VectorOperators.LSHL, shift)
                        .add((IntVector) l1.convertShape(VectorOperators.S2I, I, 1)).convert(VectorOperators.I2F, 0).reinterpretAsFloats()
                        .fma(sc.mul(d), f3);
            }
            int o = outOffset + TILE * t;
            f0.intoArray(out, o);
            f1.intoArray(out, o + 16);
            f2.intoArray(out, o + 32);
            f3.intoArray(out, o + 48);
        }
    }
}
