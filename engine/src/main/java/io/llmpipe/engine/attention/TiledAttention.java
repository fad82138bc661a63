package io.llmpipe.engine.attention;

import io.llmpipe.engine.tensor.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The CPU attention kernel for prompts: one task per (query head, query block), online softmax over
 * the query block's key blocks, flash-attention style. Scores of four query rows against a key tile
 * come from a transposed copy of the keys (broadcast-FMA, no horizontal sums); the value product
 * accumulates four output rows at once. Key blocks are either all causal ones (dense) or a
 * {@link BlockSelection}'s.
 *
 * <p>Needs the head size to be a multiple of two vector lengths ({@link #supports}); callers fall
 * back to a row-at-a-time kernel otherwise (tiny models) and for a handful of query rows (decode).
 */
final class TiledAttention {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int VL = F.length();
    /** Query rows per register tile. */
    static final int ROWS = 4;

    /** Per-thread buffers, grown on demand. */
    private static final class Workspace {
        float[] q = new float[0];
        float[] o = new float[0];
        float[] s = new float[0];
        float[] m = new float[0];
        float[] l = new float[0];

        void ensure(int rows, int hs, int keyTile) {
            if (q.length < rows * hs) {
                q = new float[rows * hs];
                o = new float[rows * hs];
                m = new float[rows];
                l = new float[rows];
            }
            if (s.length < ROWS * keyTile) {
                s = new float[ROWS * keyTile];
            }
        }
    }

    private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);

    private TiledAttention() {
    }

    /** Fewer query rows than this (decode steps) run row at a time: a tile would be mostly padding. */
    static final int MIN_ROWS = 8;

    /** Whether the tiled kernel runs this head size. */
    static boolean supports(int headSize) {
        return headSize % (2 * VL) == 0;
    }

    /** Whether a call of {@code n} query rows runs here rather than row at a time. */
    static boolean takes(int n, int headSize) {
        return n >= MIN_ROWS && supports(headSize);
    }

    /** Bytes the kernel allocates for one call besides its inputs: the transposed keys and per-thread tiles. */
    static long workspaceBytes(AttentionShape shape, int positions, int blockSize, int keyBlockSize, int threads) {
        int keyTile = keyTile(keyBlockSize);
        long transposed = (long) shape.kvHeads() * shape.headSize() * paddedPositions(positions, keyTile);
        long perThread = 2L * roundUp(blockSize, ROWS) * shape.headSize() + 2L * roundUp(blockSize, ROWS) + ROWS * maxSpan(keyBlockSize);
        return 4 * (transposed + perThread * threads);
    }

    /**
     * As {@link Attention#attend}, over {@code selection}'s key blocks, or over every causal key block of
     * {@code blockSize} positions when {@code selection} is null.
     */
    static void attend(AttentionShape shape, float[] q, int qOffset, int n, int startPos,
                       float[] keys, float[] values, float[] out, int outOffset, Parallel parallel,
                       BlockSelection selection, int blockSize, int keyBlockSize) {
        int heads = shape.heads();
        int hs = shape.headSize();
        int positions = startPos + n;
        int keyTile = keyTile(keyBlockSize);
        int stride = paddedPositions(positions, keyTile);
        float[] keysT = transposeKeys(shape, keys, positions, stride, parallel);
        int firstQb = startPos / blockSize;
        int queryBlocks = (positions - 1) / blockSize - firstQb + 1;
        int[] allBlocks = selection == null ? ascending((positions - 1) / keyBlockSize + 1) : null;
        // Latest query blocks (the most keys) first, so the cheap ones even out the threads' ends.
        parallel.forChunks(queryBlocks * heads, 1, (start, end) -> {
            Workspace w = WORKSPACE.get();
            w.ensure(roundUp(blockSize, ROWS), hs, maxSpan(keyBlockSize));
            for (int job = start; job < end; job++) {
                int qb = firstQb + queryBlocks - 1 - job / heads;
                int h = job % heads;
                int[] blocks;
                int count;
                if (selection == null) {
                    blocks = allBlocks;
                    count = (qb * blockSize + blockSize - 1) / keyBlockSize + 1;
                } else {
                    blocks = selection.keyBlocks(h, qb);
                    count = blocks.length;
                }
                queryBlock(shape, q, qOffset, startPos, positions, keysT, stride, values, out, outOffset,
                        h, qb, blockSize, keyBlockSize, keyTile, blocks, count, w);
            }
        });
    }

    private static void queryBlock(AttentionShape shape, float[] q, int qOffset, int startPos, int positions,
                                   float[] keysT, int stride, float[] values, float[] out, int outOffset,
                                   int h, int qb, int blockSize, int keyBlockSize, int keyTile,
                                   int[] blocks, int count, Workspace w) {
        int hs = shape.headSize();
        int qDim = shape.queryDim();
        int kvDim = shape.kvDim();
        int g = h / shape.kvMul();
        int firstPos = Math.max(qb * blockSize, startPos);
        int lastPos = Math.min(qb * blockSize + blockSize, positions) - 1;
        int rows = lastPos - firstPos + 1;
        int paddedRows = roundUp(rows, ROWS);
        float scale = (float) (1.0 / Math.sqrt(hs));
        float[] qt = w.q;
        float[] o = w.o;
        float[] s = w.s;
        for (int r = 0; r < paddedRows; r++) {
            int src = qOffset + (Math.min(r, rows - 1) + firstPos - startPos) * qDim + h * hs;
            for (int d = 0; d < hs; d += VL) {
                FloatVector.fromArray(F, q, src + d).mul(scale).intoArray(qt, r * hs + d);
            }
        }
        java.util.Arrays.fill(o, 0, paddedRows * hs, 0f);
        java.util.Arrays.fill(w.m, 0, paddedRows, Float.NEGATIVE_INFINITY);
        java.util.Arrays.fill(w.l, 0, paddedRows, 0f);
        int keyBase = g * hs * stride;
        int valueBase = g * hs;
        int maxSpan = maxSpan(keyBlockSize);
        for (int b = 0; b < count; ) {
            // adjacent selected key blocks run as one wider tile (fewer softmax steps) when they tile exactly
            int ks = blocks[b] * keyBlockSize;
            int span = 1;
            while (keyTile == keyBlockSize && b + span < count && blocks[b + span] == blocks[b] + span
                    && (span + 1) * keyBlockSize <= maxSpan) {
                span++;
            }
            b += span;
            int width = keyTile == keyBlockSize ? span * keyBlockSize : keyTile;
            int keyEnd = Math.min(ks + span * keyBlockSize, lastPos + 1); // exclusive; no key past the block's last query
            for (int r0 = 0; r0 < paddedRows; r0 += ROWS) {
                int rowLastPos = Math.min(firstPos + r0 + ROWS - 1, lastPos);
                if (ks > rowLastPos) {
                    continue; // the whole key tile is in these rows' future
                }
                scores(qt, r0 * hs, hs, keysT, keyBase + ks, stride, width, s);
                int visible = Math.min(keyEnd, rowLastPos + 1) - ks;
                for (int r = 0; r < ROWS; r++) {
                    int pos = Math.min(firstPos + r0 + r, lastPos);
                    softmaxStep(s, r * width, width, Math.min(keyEnd, pos + 1) - ks, w, r0 + r, o, hs);
                }
                accumulate(s, width, visible, values, ks * kvDim + valueBase, kvDim, o, r0 * hs, hs);
            }
        }
        for (int r = 0; r < rows; r++) {
            float inv = 1f / w.l[r];
            int dst = outOffset + (firstPos - startPos + r) * qDim + h * hs;
            for (int d = 0; d < hs; d += VL) {
                FloatVector.fromArray(F, o, r * hs + d).mul(inv).intoArray(out, dst + d);
            }
        }
    }

    /**
     * {@code s[r * keyTile + j] = q[r] . k[j]} for four rows and {@code keyTile} keys (a multiple of two
     * vector lengths) from {@link #transposeKeys} output, two vectors of keys at a time.
     */
    static void scores(float[] qt, int qo, int hs, float[] keysT, int ko, int stride, int keyTile, float[] s) {
        for (int c = 0; c < keyTile; c += 2 * VL) {
            FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F);
            FloatVector b0 = FloatVector.zero(F), b1 = FloatVector.zero(F);
            FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F);
            FloatVector d0 = FloatVector.zero(F), d1 = FloatVector.zero(F);
            for (int d = 0, k = ko + c; d < hs; d++, k += stride) {
                FloatVector k0 = FloatVector.fromArray(F, keysT, k);
                FloatVector k1 = FloatVector.fromArray(F, keysT, k + VL);
                FloatVector x = FloatVector.broadcast(F, qt[qo + d]);
                a0 = x.fma(k0, a0);
                a1 = x.fma(k1, a1);
                x = FloatVector.broadcast(F, qt[qo + hs + d]);
                b0 = x.fma(k0, b0);
                b1 = x.fma(k1, b1);
                x = FloatVector.broadcast(F, qt[qo + 2 * hs + d]);
                c0 = x.fma(k0, c0);
                c1 = x.fma(k1, c1);
                x = FloatVector.broadcast(F, qt[qo + 3 * hs + d]);
                d0 = x.fma(k0, d0);
                d1 = x.fma(k1, d1);
            }
            a0.intoArray(s, c);
            a1.intoArray(s, c + VL);
            b0.intoArray(s, keyTile + c);
            b1.intoArray(s, keyTile + c + VL);
            c0.intoArray(s, 2 * keyTile + c);
            c1.intoArray(s, 2 * keyTile + c + VL);
            d0.intoArray(s, 3 * keyTile + c);
            d1.intoArray(s, 3 * keyTile + c + VL);
        }
    }

    /**
     * Online softmax for one row over a key tile: scores past {@code visible} are masked; the row's
     * scores become unnormalised probabilities, its running max, sum and output rescaled.
     */
    private static void softmaxStep(float[] s, int so, int keyTile, int visible, Workspace w, int row, float[] o, int hs) {
        if (visible <= 0) {
            java.util.Arrays.fill(s, so, so + keyTile, 0f);
            return;
        }
        FloatVector max = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < keyTile; j += VL) {
            FloatVector x = FloatVector.fromArray(F, s, so + j);
            if (j + VL > visible) {
                x = x.blend(Float.NEGATIVE_INFINITY, F.indexInRange(j, visible).not());
                x.intoArray(s, so + j);
            }
            max = max.max(x);
        }
        float old = w.m[row];
        float m = Math.max(old, max.reduceLanes(VectorOperators.MAX));
        FloatVector vm = FloatVector.broadcast(F, m);
        FloatVector sum = FloatVector.zero(F);
        for (int j = 0; j < keyTile; j += VL) {
            FloatVector p = FloatVector.fromArray(F, s, so + j).sub(vm).lanewise(VectorOperators.EXP);
            p.intoArray(s, so + j);
            sum = sum.add(p);
        }
        float alpha = old == Float.NEGATIVE_INFINITY ? 0f : (float) Math.exp(old - m);
        w.l[row] = w.l[row] * alpha + sum.reduceLanes(VectorOperators.ADD);
        w.m[row] = m;
        if (alpha != 1f) {
            for (int d = 0; d < hs; d += VL) {
                FloatVector.fromArray(F, o, row * hs + d).mul(alpha).intoArray(o, row * hs + d);
            }
        }
    }

    /** {@code o[r] += sum_j p[r][j] * v[j]} for four rows, two vectors of the head at a time. */
    private static void accumulate(float[] p, int keyTile, int keys, float[] values, int vo, int kvDim,
                                   float[] o, int oo, int hs) {
        for (int c = 0; c < hs; c += 2 * VL) {
            FloatVector a0 = FloatVector.fromArray(F, o, oo + c), a1 = FloatVector.fromArray(F, o, oo + c + VL);
            FloatVector b0 = FloatVector.fromArray(F, o, oo + hs + c), b1 = FloatVector.fromArray(F, o, oo + hs + c + VL);
            FloatVector c0 = FloatVector.fromArray(F, o, oo + 2 * hs + c), c1 = FloatVector.fromArray(F, o, oo + 2 * hs + c + VL);
            FloatVector d0 = FloatVector.fromArray(F, o, oo + 3 * hs + c), d1 = FloatVector.fromArray(F, o, oo + 3 * hs + c + VL);
            for (int j = 0, v = vo + c; j < keys; j++, v += kvDim) {
                FloatVector v0 = FloatVector.fromArray(F, values, v);
                FloatVector v1 = FloatVector.fromArray(F, values, v + VL);
                FloatVector x = FloatVector.broadcast(F, p[j]);
                a0 = x.fma(v0, a0);
                a1 = x.fma(v1, a1);
                x = FloatVector.broadcast(F, p[keyTile + j]);
                b0 = x.fma(v0, b0);
                b1 = x.fma(v1, b1);
                x = FloatVector.broadcast(F, p[2 * keyTile + j]);
                c0 = x.fma(v0, c0);
                c1 = x.fma(v1, c1);
                x = FloatVector.broadcast(F, p[3 * keyTile + j]);
                d0 = x.fma(v0, d0);
                d1 = x.fma(v1, d1);
            }
            a0.intoArray(o, oo + c);
            a1.intoArray(o, oo + c + VL);
            b0.intoArray(o, oo + hs + c);
            b1.intoArray(o, oo + hs + c + VL);
            c0.intoArray(o, oo + 2 * hs + c);
            c1.intoArray(o, oo + 2 * hs + c + VL);
            d0.intoArray(o, oo + 3 * hs + c);
            d1.intoArray(o, oo + 3 * hs + c + VL);
        }
    }

    /** Keys as {@code [kvHead][dim][position]}, rows {@code stride} long, zero-padded past the positions. */
    static float[] transposeKeys(AttentionShape shape, float[] keys, int positions, int stride, Parallel parallel) {
        int hs = shape.headSize();
        int kvDim = shape.kvDim();
        int kvHeads = shape.kvHeads();
        float[] t = new float[kvHeads * hs * stride];
        int tile = 64;
        int tiles = (positions + tile - 1) / tile;
        parallel.forChunks(tiles, 4, (start, end) -> {
            for (int b = start; b < end; b++) {
                int from = b * tile;
                int to = Math.min(from + tile, positions);
                for (int g = 0; g < kvHeads; g++) {
                    for (int d = 0; d < hs; d++) {
                        int dst = (g * hs + d) * stride;
                        int src = g * hs + d;
                        for (int p = from; p < to; p++) {
                            t[dst + p] = keys[p * kvDim + src];
                        }
                    }
                }
            }
        });
        return t;
    }

    /** The widest run of adjacent key blocks scored as one tile: about 128 keys. */
    private static int maxSpan(int keyBlockSize) {
        return keyTile(keyBlockSize) == keyBlockSize ? Math.max(keyBlockSize, 128 / keyBlockSize * keyBlockSize) : keyTile(keyBlockSize);
    }

    static int keyTile(int keyBlockSize) {
        return roundUp(keyBlockSize, 2 * VL);
    }

    /** The transposed keys' row length: whole key tiles past the last position. */
    static int paddedPositions(int positions, int keyTile) {
        return roundUp(positions, keyTile) + keyTile;
    }

    private static int[] ascending(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }

    static int roundUp(int x, int m) {
        return (x + m - 1) / m * m;
    }
}
