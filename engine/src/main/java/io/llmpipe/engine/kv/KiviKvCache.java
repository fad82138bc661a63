package io.llmpipe.engine.kv;

import io.llmpipe.engine.attention.Attention;
import io.llmpipe.engine.attention.AttentionShape;
import io.llmpipe.engine.tensor.Parallel;
import io.llmpipe.engine.tensor.VectorMath;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A KV cache held the KIVI way ({@link KiviCodec}): per layer, quantized keys (codes plus a scale and
 * minimum per channel per group of tokens), quantized values (codes plus a scale and minimum per group
 * of channels per token), and the recent tokens in full precision. Attention reads the codes directly:
 * scores of a key group are {@code dot(q * scale, codes) + dot(q, min)}, values accumulate
 * {@code p * scale * code} per group and add {@code sum(p * min)} once; nothing is dequantized to a
 * full-precision copy.
 *
 * <p>Append-only. As in KIVI, a token is attended at full precision in the step that writes it; the
 * next write first moves what has outgrown the residual into the quantized part (keys a whole residual
 * at a time, values token by token). Always exact attention: the sparse prefill modes need a
 * full-precision cache, so prefill runs on a {@link FloatKvCache} and the result is quantized for the
 * handoff.
 *
 * <p>Owned by one sequence and used by one thread at a time ({@link #attend} spreads one call over the
 * {@link Parallel} pool).
 */
public final class KiviKvCache implements KvCache {
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private final int layers;
    private final int kvHeads;
    private final int headSize;
    private final int kvDim;
    private final int maxPositions;
    private final KiviCodec codec;
    private final int bits;
    private final int mask;
    private final int groupSize;
    private final int residualLength;
    private final int rowBytes;
    private final int headBytes;
    private final int valueGroupSize;
    private final int valueGroupsPerHead;
    private final int valueGroups;
    private final boolean vectorized;
    private final int[] bitAddress; // per channel: byte offset in a packed row * 8 + shift
    private final Layer[] data;

    public KiviKvCache(int layers, int kvHeads, int headSize, int maxPositions, KiviCodec codec) {
        codec.checkHeadSize(headSize);
        this.layers = layers;
        this.kvHeads = kvHeads;
        this.headSize = headSize;
        this.kvDim = kvHeads * headSize;
        this.maxPositions = maxPositions;
        this.codec = codec;
        this.bits = codec.bits();
        this.mask = (1 << bits) - 1;
        this.groupSize = codec.groupSize();
        this.residualLength = codec.residualLength();
        this.rowBytes = codec.rowBytes(kvHeads, headSize);
        this.headBytes = headSize * bits / 8;
        this.valueGroupSize = codec.valueGroupSize(headSize);
        this.valueGroupsPerHead = (headSize + valueGroupSize - 1) / valueGroupSize;
        this.valueGroups = codec.valueGroups(kvHeads, headSize);
        this.vectorized = KiviKernels.vectorized(headBytes, valueGroupSize);
        this.bitAddress = new int[kvDim];
        for (int c = 0; c < kvDim; c++) {
            int head = c / headSize, j = c % headSize;
            bitAddress[c] = (head * headBytes + j % headBytes) * 8 + j / headBytes * bits;
        }
        this.data = new Layer[layers];
        for (int l = 0; l < layers; l++) {
            data[l] = new Layer(kvDim);
        }
    }

    /** The first {@code positions} positions of {@code source}, quantized as a handoff leaves them. */
    public static KiviKvCache quantize(FloatKvCache source, int positions, KiviCodec codec) {
        KiviKvCache cache = new KiviKvCache(source.layers(), source.kvHeads(), source.headSize(), source.maxPositions(), codec);
        for (int l = 0; l < source.layers(); l++) {
            cache.write(l, 0, source.keys(l), source.values(l), 0, positions);
            cache.compact(cache.data[l]);
        }
        return cache;
    }

    public KiviCodec codec() {
        return codec;
    }

    @Override
    public int layers() {
        return layers;
    }

    @Override
    public int kvHeads() {
        return kvHeads;
    }

    @Override
    public int headSize() {
        return headSize;
    }

    @Override
    public int kvDim() {
        return kvDim;
    }

    @Override
    public int maxPositions() {
        return maxPositions;
    }

    /** Positions held by {@code layer}. */
    public int length(int layer) {
        return data[layer].length;
    }

    @Override
    public long bytes() {
        long total = 0;
        for (Layer d : data) {
            total += d.keyCodes.length + d.valueCodes.length
                    + 4L * (d.keyScale.length + d.keyMin.length + d.valueScale.length + d.valueMin.length
                    + d.keyResidual.rows.length + d.valueResidual.rows.length);
        }
        return total;
    }

    @Override
    public void write(int layer, int startPos, float[] k, float[] v, int offset, int rows) {
        Layer d = data[layer];
        if (startPos != d.length) {
            throw new IllegalArgumentException("a KIVI cache only appends: layer " + layer + " holds " + d.length
                    + " positions, write starts at " + startPos);
        }
        if (startPos + rows > maxPositions) {
            throw new IllegalArgumentException("position " + (startPos + rows - 1) + " is beyond the context length " + maxPositions);
        }
        compact(d);
        d.keyResidual.append(k, offset, rows);
        d.valueResidual.append(v, offset, rows);
        d.length += rows;
    }

    /** Moves what has outgrown the full-precision window into the quantized part. */
    private void compact(Layer d) {
        while (d.length - d.quantizedKeys >= residualLength) {
            d.ensureKeyRoom(d.quantizedKeys + residualLength, rowBytes, kvDim, groupSize, maxPositions);
            for (int g = 0; g < residualLength / groupSize; g++) {
                int first = d.quantizedKeys + g * groupSize;
                quantizeKeyGroup(d.keyResidual.rows, d.keyResidual.offset(g * groupSize), d, first);
            }
            d.keyResidual.dropFirst(residualLength);
            d.quantizedKeys += residualLength;
        }
        int leaving = d.length - d.quantizedValues - residualLength;
        if (leaving > 0) {
            d.ensureValueRoom(d.quantizedValues + leaving, rowBytes, valueGroups, maxPositions);
            for (int i = 0; i < leaving; i++) {
                quantizeValueRow(d.valueResidual.rows, d.valueResidual.offset(i), d, d.quantizedValues + i);
            }
            d.valueResidual.dropFirst(leaving);
            d.quantizedValues += leaving;
        }
    }

    /** Keys of positions {@code first ..} (groupSize rows of {@code src} from {@code off}), per channel. */
    private void quantizeKeyGroup(float[] src, int off, Layer d, int first) {
        int so = first / groupSize * kvDim;
        for (int c = 0; c < kvDim; c++) {
            float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
            for (int t = 0; t < groupSize; t++) {
                float x = src[off + t * kvDim + c];
                min = Math.min(min, x);
                max = Math.max(max, x);
            }
            float mn = fp16(min);
            float scale = fp16((max - mn) / mask);
            d.keyMin[so + c] = mn;
            d.keyScale[so + c] = scale;
        }
        for (int t = 0; t < groupSize; t++) {
            int rowOff = (first + t) * rowBytes;
            Arrays.fill(d.keyCodes, rowOff, rowOff + rowBytes, (byte) 0);
            for (int c = 0; c < kvDim; c++) {
                pack(d.keyCodes, rowOff, c, code(src[off + t * kvDim + c], d.keyMin[so + c], d.keyScale[so + c]));
            }
        }
    }

    /** The values of {@code position} (a row of {@code src} at {@code off}), per group of channels. */
    private void quantizeValueRow(float[] src, int off, Layer d, int position) {
        int so = position * valueGroups;
        int rowOff = position * rowBytes;
        Arrays.fill(d.valueCodes, rowOff, rowOff + rowBytes, (byte) 0);
        for (int g = 0; g < valueGroups; g++) {
            int head = g / valueGroupsPerHead;
            int c0 = head * headSize + g % valueGroupsPerHead * valueGroupSize;
            int c1 = Math.min((head + 1) * headSize, c0 + valueGroupSize);
            float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
            for (int c = c0; c < c1; c++) {
                min = Math.min(min, src[off + c]);
                max = Math.max(max, src[off + c]);
            }
            float mn = fp16(min);
            float scale = fp16((max - mn) / mask);
            d.valueMin[so + g] = mn;
            d.valueScale[so + g] = scale;
            for (int c = c0; c < c1; c++) {
                pack(d.valueCodes, rowOff, c, code(src[off + c], mn, scale));
            }
        }
    }

    /** The value scale group of channel {@code c}. */
    private int valueGroup(int c) {
        return c / headSize * valueGroupsPerHead + c % headSize / valueGroupSize;
    }

    private int code(float x, float min, float scale) {
        if (scale == 0f) {
            return 0;
        }
        return Math.clamp(Math.round((x - min) / scale), 0, mask);
    }

    private void pack(byte[] codes, int rowOff, int c, int q) {
        int a = bitAddress[c];
        codes[rowOff + (a >>> 3)] |= (byte) (q << (a & 7));
    }

    private int unpack(byte[] codes, int rowOff, int c) {
        int a = bitAddress[c];
        return (codes[rowOff + (a >>> 3)] >> (a & 7)) & mask;
    }

    /** fp16 rounding, within fp16's range: KIVI keeps scales and minimums in half precision. */
    static float fp16(float x) {
        return Float.float16ToFloat(Float.floatToFloat16(Math.clamp(x, -65504f, 65504f)));
    }

    /**
     * The keys and values of {@code layer} as the attention sees them ({@code [position][kvDim]}, codes
     * times scale plus minimum where quantized), for measuring the quantization error.
     */
    public void dequantize(int layer, float[] keys, float[] values) {
        Layer d = data[layer];
        for (int p = 0; p < d.length; p++) {
            for (int c = 0; c < kvDim; c++) {
                int o = p * kvDim + c;
                if (p < d.quantizedKeys) {
                    int so = p / groupSize * kvDim + c;
                    keys[o] = unpack(d.keyCodes, p * rowBytes, c) * d.keyScale[so] + d.keyMin[so];
                } else {
                    keys[o] = d.keyResidual.rows[d.keyResidual.offset(p - d.quantizedKeys) + c];
                }
                if (p < d.quantizedValues) {
                    int so = p * valueGroups + valueGroup(c);
                    values[o] = unpack(d.valueCodes, p * rowBytes, c) * d.valueScale[so] + d.valueMin[so];
                } else {
                    values[o] = d.valueResidual.rows[d.valueResidual.offset(p - d.quantizedValues) + c];
                }
            }
        }
    }

    @Override
    public void attend(int layer, AttentionShape shape, Attention attention, float[] q, int qOffset, int rows, int startPos,
                       float[] out, int outOffset, Parallel parallel) {
        Layer d = data[layer];
        if (startPos + rows > d.length) {
            throw new IllegalArgumentException("rows up to position " + (startPos + rows - 1) + " are not in the cache ("
                    + d.length + " positions)");
        }
        int heads = shape.heads();
        parallel.forChunks(rows * heads, 1, (start, end) -> {
            Scratch s = SCRATCH.get();
            s.ensure(startPos + rows, headSize);
            for (int job = start; job < end; job++) {
                int i = job / heads, h = job % heads;
                attendRow(d, shape, q, qOffset + i * shape.queryDim() + h * headSize, startPos + i, h / shape.kvMul(),
                        out, outOffset + i * shape.queryDim() + h * headSize, s);
            }
        });
    }

    /** One query head at {@code position} over positions 0..position of KV head {@code kh}. */
    private void attendRow(Layer d, AttentionShape shape, float[] q, int qo, int position, int kh, float[] out, int oo,
                           Scratch s) {
        int hs = headSize;
        int kvo = kh * hs;
        int headOff = kh * headBytes;
        float scale = (float) (1.0 / Math.sqrt(hs));
        float[] scores = s.scores, qs = s.qs, acc = s.acc;
        int positions = position + 1;
        int quantizedKeys = Math.min(d.quantizedKeys, positions);

        // quantized keys, a group at a time: dot(q, code * scale + min) = dot(q * scale, code) + dot(q, min)
        float max = Float.NEGATIVE_INFINITY;
        for (int first = 0; first < quantizedKeys; first += groupSize) {
            int so = first / groupSize * kvDim + kvo;
            float bias = 0f;
            for (int c = 0; c < hs; c++) {
                qs[c] = q[qo + c] * d.keyScale[so + c];
                bias += q[qo + c] * d.keyMin[so + c];
            }
            for (int p = first; p < first + groupSize; p++) {
                float dot = bias + KiviKernels.dot(qs, d.keyCodes, p * rowBytes + headOff, headBytes, bits, vectorized);
                float sc = dot * scale;
                scores[p] = sc;
                max = Math.max(max, sc);
            }
        }
        for (int p = quantizedKeys; p < positions; p++) {
            float sc = VectorMath.dot(q, qo, d.keyResidual.rows, d.keyResidual.offset(p - d.quantizedKeys) + kvo, hs) * scale;
            scores[p] = sc;
            max = Math.max(max, sc);
        }
        float sum = 0f;
        for (int p = 0; p < positions; p++) {
            float e = (float) Math.exp(scores[p] - max);
            scores[p] = e;
            sum += e;
        }

        // quantized values: per token, p * scale per channel group times the codes, and sum(p * min) once
        Arrays.fill(acc, 0, hs, 0f);
        int firstGroup = kh * valueGroupsPerHead;
        int groupsHere = valueGroupsPerHead;
        int[] channelGroup = s.channelGroup;
        for (int c = 0; c < hs; c++) {
            channelGroup[c] = c / valueGroupSize;
        }
        float[] weight = s.groupWeight, minSum = s.groupMinSum;
        Arrays.fill(minSum, 0, groupsHere, 0f);
        int quantizedValues = Math.min(d.quantizedValues, positions);
        for (int p = 0; p < quantizedValues; p++) {
            float pr = scores[p];
            int so = p * valueGroups + firstGroup;
            for (int g = 0; g < groupsHere; g++) {
                weight[g] = pr * d.valueScale[so + g];
                minSum[g] += pr * d.valueMin[so + g];
            }
            KiviKernels.accumulate(acc, weight, channelGroup, d.valueCodes, p * rowBytes + headOff, headBytes, bits, vectorized);
        }
        for (int c = 0; c < hs; c++) {
            acc[c] += minSum[channelGroup[c]];
        }
        for (int p = quantizedValues; p < positions; p++) {
            VectorMath.axpy(scores[p], d.valueResidual.rows, d.valueResidual.offset(p - d.quantizedValues) + kvo, acc, 0, hs);
        }
        float inv = 1f / sum;
        for (int c = 0; c < hs; c++) {
            out[oo + c] = acc[c] * inv;
        }
    }

    /** Writes the first {@code positions} positions in {@link KiviCodec}'s payload layout. */
    void writeTo(ByteBuffer out, int positions) {
        ByteBuffer b = out.order(ByteOrder.LITTLE_ENDIAN);
        for (int l = 0; l < layers; l++) {
            Layer d = data[l];
            if (d.length != positions) {
                throw new IllegalArgumentException("layer " + l + " holds " + d.length + " positions, not " + positions);
            }
            compact(d);
            for (int first = 0; first < d.quantizedKeys; first += groupSize) {
                int so = first / groupSize * kvDim;
                putHalves(b, d.keyScale, so, kvDim);
                putHalves(b, d.keyMin, so, kvDim);
                b.put(d.keyCodes, first * rowBytes, groupSize * rowBytes);
            }
            putHalves(b, d.keyResidual.rows, d.keyResidual.offset(0), (positions - d.quantizedKeys) * kvDim);
            for (int p = 0; p < d.quantizedValues; p++) {
                putHalves(b, d.valueScale, p * valueGroups, valueGroups);
                putHalves(b, d.valueMin, p * valueGroups, valueGroups);
                b.put(d.valueCodes, p * rowBytes, rowBytes);
            }
            putHalves(b, d.valueResidual.rows, d.valueResidual.offset(0), (positions - d.quantizedValues) * kvDim);
        }
    }

    static KiviKvCache readFrom(ByteBuffer in, int layers, int kvHeads, int headSize, int positions, int maxPositions,
                                KiviCodec codec) {
        if (positions > maxPositions) {
            throw new IllegalArgumentException(positions + " positions exceed the context length " + maxPositions);
        }
        KiviKvCache cache = new KiviKvCache(layers, kvHeads, headSize, maxPositions, codec);
        ByteBuffer b = in.order(ByteOrder.LITTLE_ENDIAN);
        int kvDim = cache.kvDim, rowBytes = cache.rowBytes, groupSize = cache.groupSize, valueGroups = cache.valueGroups;
        int quantizedKeys = codec.quantizedKeys(positions), quantizedValues = codec.quantizedValues(positions);
        for (int l = 0; l < layers; l++) {
            Layer d = cache.data[l];
            d.ensureKeyRoom(quantizedKeys, rowBytes, kvDim, groupSize, maxPositions);
            for (int first = 0; first < quantizedKeys; first += groupSize) {
                int so = first / groupSize * kvDim;
                getHalves(b, d.keyScale, so, kvDim);
                getHalves(b, d.keyMin, so, kvDim);
                b.get(d.keyCodes, first * rowBytes, groupSize * rowBytes);
            }
            d.keyResidual.appendHalves(b, positions - quantizedKeys);
            d.ensureValueRoom(quantizedValues, rowBytes, valueGroups, maxPositions);
            for (int p = 0; p < quantizedValues; p++) {
                getHalves(b, d.valueScale, p * valueGroups, valueGroups);
                getHalves(b, d.valueMin, p * valueGroups, valueGroups);
                b.get(d.valueCodes, p * rowBytes, rowBytes);
            }
            d.valueResidual.appendHalves(b, positions - quantizedValues);
            d.quantizedKeys = quantizedKeys;
            d.quantizedValues = quantizedValues;
            d.length = positions;
        }
        return cache;
    }

    private static void putHalves(ByteBuffer b, float[] src, int off, int n) {
        for (int i = 0; i < n; i++) {
            b.putShort(Float.floatToFloat16(src[off + i]));
        }
    }

    private static void getHalves(ByteBuffer b, float[] dst, int off, int n) {
        for (int i = 0; i < n; i++) {
            dst[off + i] = Float.float16ToFloat(b.getShort());
        }
    }

    /** One layer's state. */
    private static final class Layer {
        int length;
        int quantizedKeys;   // a multiple of the residual length
        int quantizedValues;
        byte[] keyCodes = new byte[0];   // [position][rowBytes]
        float[] keyScale = new float[0]; // [position / groupSize][kvDim]
        float[] keyMin = new float[0];
        byte[] valueCodes = new byte[0];   // [position][rowBytes]
        float[] valueScale = new float[0]; // [position][valueGroups]
        float[] valueMin = new float[0];
        final ResidualRows keyResidual;   // positions quantizedKeys .. length-1
        final ResidualRows valueResidual; // positions quantizedValues .. length-1

        Layer(int kvDim) {
            keyResidual = new ResidualRows(kvDim);
            valueResidual = new ResidualRows(kvDim);
        }

        void ensureKeyRoom(int positions, int rowBytes, int kvDim, int groupSize, int maxPositions) {
            if (keyCodes.length >= positions * rowBytes) {
                return;
            }
            int capacity = grown(keyCodes.length / Math.max(1, rowBytes), positions, maxPositions);
            capacity = (capacity + groupSize - 1) / groupSize * groupSize;
            keyCodes = Arrays.copyOf(keyCodes, capacity * rowBytes);
            keyScale = Arrays.copyOf(keyScale, capacity / groupSize * kvDim);
            keyMin = Arrays.copyOf(keyMin, capacity / groupSize * kvDim);
        }

        void ensureValueRoom(int positions, int rowBytes, int valueGroups, int maxPositions) {
            if (valueCodes.length >= positions * rowBytes) {
                return;
            }
            int capacity = grown(valueCodes.length / Math.max(1, rowBytes), positions, maxPositions);
            valueCodes = Arrays.copyOf(valueCodes, capacity * rowBytes);
            valueScale = Arrays.copyOf(valueScale, capacity * valueGroups);
            valueMin = Arrays.copyOf(valueMin, capacity * valueGroups);
        }

        private static int grown(int capacity, int needed, int maxPositions) {
            long c = Math.max(64, capacity);
            while (c < needed) {
                c *= 2;
            }
            return (int) Math.max(needed, Math.min(c, maxPositions));
        }
    }

    /** Full-precision rows, oldest first; dropping from the front is O(1), the room is reused. */
    private static final class ResidualRows {
        final int width;
        float[] rows = new float[0];
        int start; // first live row
        int count;

        ResidualRows(int width) {
            this.width = width;
        }

        int offset(int i) {
            return (start + i) * width;
        }

        void append(float[] src, int off, int n) {
            makeRoom(n);
            System.arraycopy(src, off, rows, (start + count) * width, n * width);
            count += n;
        }

        void appendHalves(ByteBuffer b, int n) {
            makeRoom(n);
            getHalves(b, rows, (start + count) * width, n * width);
            count += n;
        }

        void dropFirst(int n) {
            start += n;
            count -= n;
            if (count == 0) {
                start = 0;
            }
        }

        private void makeRoom(int n) {
            int needed = count + n;
            if ((start + needed) * width <= rows.length) {
                return;
            }
            // Twice what is needed, so a steady window shifts once every window-length of appends.
            float[] target = needed * width > rows.length / 2 ? new float[Math.max(16, 2 * needed) * width] : rows;
            System.arraycopy(rows, start * width, target, 0, count * width);
            rows = target;
            start = 0;
        }
    }

    /** Per-thread buffers of {@link #attendRow}. */
    private static final class Scratch {
        float[] scores = new float[0];
        float[] qs = new float[0];
        float[] acc = new float[0];
        float[] groupWeight = new float[0];
        float[] groupMinSum = new float[0];
        int[] channelGroup = new int[0];

        void ensure(int positions, int headSize) {
            if (scores.length < positions) {
                scores = new float[Math.max(positions, 2 * scores.length)];
            }
            if (qs.length < headSize) {
                qs = new float[headSize];
                acc = new float[headSize];
                groupWeight = new float[headSize + 1];
                groupMinSum = new float[headSize + 1];
                channelGroup = new int[headSize];
            }
        }
    }
}
