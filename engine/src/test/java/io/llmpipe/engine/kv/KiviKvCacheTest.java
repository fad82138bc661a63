package io.llmpipe.engine.kv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmpipe.engine.attention.AttentionShape;
import io.llmpipe.engine.attention.DenseAttention;
import io.llmpipe.engine.tensor.Parallel;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KiviKvCacheTest {
    private static final Parallel PARALLEL = new Parallel(2);

    @AfterAll
    static void close() {
        PARALLEL.close();
    }

    /** A full-precision cache of {@code positions} rows from {@code keys} and {@code values}. */
    private static FloatKvCache floats(int layers, int kvHeads, int hs, int positions, float[] keys, float[] values) {
        FloatKvCache c = new FloatKvCache(layers, kvHeads, hs, 4096);
        for (int l = 0; l < layers; l++) {
            c.write(l, 0, keys, values, 0, positions);
        }
        return c;
    }

    private static float[] gaussian(Random r, int n, float sigma) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian() * sigma;
        }
        return x;
    }

    @ParameterizedTest
    @CsvSource({"2, 4", "4, 16"})
    void valuesOnTheQuantizationGridComeBackExactly(int bits, int groupSize) {
        int kvHeads = 2, hs = 16, kvDim = kvHeads * hs, levels = (1 << bits) - 1;
        KiviCodec codec = new KiviCodec(bits, groupSize, 2 * groupSize);
        int positions = 5 * groupSize; // keys: 4 groups quantized, values: 3 groups' worth of tokens
        float[] keys = new float[positions * kvDim], values = new float[positions * kvDim];
        for (int t = 0; t < positions; t++) {
            for (int c = 0; c < kvDim; c++) {
                // per channel (keys) and per token (values) grids with fp16-exact minimums and steps;
                // every group holds both ends of its grid, so min-max finds it exactly
                keys[t * kvDim + c] = -2f + 0.25f * (c % 5) + (0.125f + c % 3 * 0.5f) * ((3 * t + c) % (levels + 1));
                values[t * kvDim + c] = 1f - 0.5f * (t % 7) + (0.0625f + t % 4 * 0.25f) * ((t + 5 * c) % (levels + 1));
            }
        }
        KiviKvCache kivi = KiviKvCache.quantize(floats(1, kvHeads, hs, positions, keys, values), positions, codec);
        float[] k = new float[positions * kvDim], v = new float[positions * kvDim];
        kivi.dequantize(0, k, v);
        assertArrayEquals(keys, k);
        assertArrayEquals(values, v);
    }

    @Test
    void packedRowsHoldEachHeadsChannelsInterleaved() {
        // 2 bits, head size 8: a head's 8 codes in 2 bytes, byte j holding channels j, j+2, j+4, j+6
        KiviCodec codec = new KiviCodec(2, 4, 4);
        int kvHeads = 2, hs = 8, kvDim = 16;
        float[] keys = new float[4 * kvDim], values = new float[5 * kvDim];
        int[] codes = {3, 1, 2, 0, 1, 3, 0, 2}; // head 0's codes for token 0; head 1 reversed
        for (int t = 0; t < 4; t++) {
            for (int c = 0; c < kvDim; c++) {
                int code = c < hs ? codes[c] : codes[hs - 1 - (c - hs)];
                keys[t * kvDim + c] = t == 0 ? code : (t == 1 ? 0 : 3); // grid 0..3 with step 1
            }
        }
        byte[] payload = codec.encode(floats(1, kvHeads, hs, 4, keys, values), 4);
        ByteBuffer b = ByteBuffer.wrap(payload).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int row0 = 2 * kvDim * 2; // after the group's scales and minimums (fp16)
        int head0byte0 = codes[0] | codes[2] << 2 | codes[4] << 4 | codes[6] << 6;
        int head0byte1 = codes[1] | codes[3] << 2 | codes[5] << 4 | codes[7] << 6;
        assertEquals((byte) head0byte0, b.get(row0));
        assertEquals((byte) head0byte1, b.get(row0 + 1));
        int head1byte0 = codes[7] | codes[5] << 2 | codes[3] << 4 | codes[1] << 6;
        assertEquals((byte) head1byte0, b.get(row0 + 2));
        assertEquals(Float.floatToFloat16(1f), b.getShort(0), "channel 0's scale");
        assertEquals(payload.length, codec.encodedSize(1, kvHeads, hs, 4));
    }

    @ParameterizedTest
    @CsvSource({"2, 32, 128, 8", "4, 32, 128, 8", "2, 32, 64, 64", "4, 16, 32, 128"})
    void roundTripStaysWithinHalfAStepAndTheResidualIsKept(int bits, int groupSize, int residual, int hs) {
        Random r = new Random(bits * 31L + hs);
        int kvHeads = 2, kvDim = kvHeads * hs, positions = 3 * residual + 17;
        float[] keys = gaussian(r, positions * kvDim, 1.5f), values = gaussian(r, positions * kvDim, 0.7f);
        KiviCodec codec = new KiviCodec(bits, groupSize, residual);
        FloatKvCache source = floats(2, kvHeads, hs, positions, keys, values);
        KiviKvCache kivi = (KiviKvCache) codec.handOff(source, positions);
        float[] k = new float[positions * kvDim], v = new float[positions * kvDim];
        kivi.dequantize(1, k, v);
        int levels = (1 << bits) - 1;
        int quantizedKeys = codec.quantizedKeys(positions), quantizedValues = codec.quantizedValues(positions);
        assertEquals(3 * residual, quantizedKeys);
        assertEquals(positions - residual, quantizedValues);
        for (int p = 0; p < positions; p++) {
            for (int c = 0; c < kvDim; c++) {
                int i = p * kvDim + c;
                if (p < quantizedKeys) {
                    int g0 = p / groupSize * groupSize;
                    assertTrue(Math.abs(keys[i] - k[i]) <= halfStep(keys, g0, groupSize, kvDim, c, 1, levels), "key " + p + "," + c);
                } else {
                    assertEquals(KiviKvCache.fp16(keys[i]), k[i], "residual key " + p + "," + c);
                }
                if (p < quantizedValues) {
                    int width = codec.valueGroupSize(hs); // groups stay within a head
                    int c0 = c / hs * hs + c % hs / width * width;
                    assertTrue(Math.abs(values[i] - v[i]) <= halfStep(values, p * kvDim + c0, 1, 1, 0,
                            Math.min(width, c / hs * hs + hs - c0), levels), "value " + p + "," + c);
                } else {
                    assertEquals(KiviKvCache.fp16(values[i]), v[i], "residual value " + p + "," + c);
                }
            }
        }
        // what decode received encodes to the same bytes again
        assertArrayEquals(codec.encode(source, positions), codec.encode(kivi, positions));
    }

    /** Half a quantization step of the group (plus fp16 rounding of its minimum and scale). */
    private static float halfStep(float[] x, int first, int tokens, int stride, int c, int width, int levels) {
        float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
        for (int t = 0; t < tokens; t++) {
            for (int w = 0; w < width; w++) {
                float e = x[(first + t) * stride + c + w];
                min = Math.min(min, e);
                max = Math.max(max, e);
            }
        }
        float step = (max - min) / levels;
        return step / 2 * 1.01f + Math.max(Math.abs(min), Math.abs(max)) * 2e-3f;
    }

    @ParameterizedTest
    @CsvSource({"2, 8", "4, 8", "2, 64", "4, 128"})
    void attentionOverTheCodesEqualsDenseAttentionOverTheDequantizedCacheAcrossDecodeSteps(int bits, int hs) {
        Random r = new Random(hs * 7L + bits);
        int heads = 8, kvHeads = 2, kvDim = kvHeads * hs, qDim = heads * hs;
        AttentionShape shape = new AttentionShape(heads, kvHeads, hs);
        KiviCodec codec = new KiviCodec(bits, 32, 64);
        int prompt = 150, steps = 90;
        float[] keys = gaussian(r, (prompt + steps) * kvDim, 1f), values = gaussian(r, (prompt + steps) * kvDim, 1f);
        for (int i = 0; i < keys.length; i += kvDim) {
            keys[i] += 4f; // a strong channel, as real keys have
        }
        KiviKvCache kivi = (KiviKvCache) codec.handOff(floats(1, kvHeads, hs, prompt, keys, values), prompt);
        float[] out = new float[qDim], expected = new float[qDim];
        for (int pos = prompt; pos < prompt + steps; pos++) {
            kivi.write(0, pos, keys, values, pos * kvDim, 1);
            float[] q = gaussian(r, qDim, 1f);
            kivi.attend(0, shape, DenseAttention.INSTANCE, q, 0, 1, pos, out, 0, PARALLEL);
            float[] k = new float[(pos + 1) * kvDim], v = new float[(pos + 1) * kvDim];
            kivi.dequantize(0, k, v);
            DenseAttention.INSTANCE.attend(shape, q, 0, 1, pos, k, v, expected, 0, PARALLEL);
            for (int i = 0; i < qDim; i++) {
                assertEquals(expected[i], out[i], 1e-4f * Math.max(1f, Math.abs(expected[i])), "step " + pos + " element " + i);
            }
        }
        // the steps went through the residual into the quantized part, as KIVI does it
        assertEquals(prompt + steps, kivi.length(0));
    }

    @Test
    void bytesPerTokenAt8kWithTwoBitsAreAFifthOfHalfPrecision() {
        // the 1B-shaped model: 8 KV heads of 64
        double ratio = (double) new KiviCodec(2, 32, 128).layerBytes(8, 64, 8192) / KvCodec.FP16.layerBytes(8, 64, 8192);
        assertTrue(ratio <= 0.20, "kivi2 / fp16 = " + ratio);
        double four = (double) new KiviCodec(4, 32, 128).layerBytes(8, 64, 8192) / KvCodec.FP16.layerBytes(8, 64, 8192);
        assertTrue(four < 0.35, "kivi4 / fp16 = " + four);
    }

    @Test
    void badParametersAndPayloadsAreRefusedWithAReason() {
        assertThrows(IllegalArgumentException.class, () -> new KiviCodec(3, 32, 128));
        var e = assertThrows(IllegalArgumentException.class, () -> new KiviCodec(2, 32, 100));
        assertTrue(e.getMessage().contains("multiple of the group size"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new KiviCodec(2, 32, 16));
        assertThrows(IllegalArgumentException.class, () -> new KiviKvCache(1, 1, 6, 64, KiviCodec.of(2)));
        KiviCodec codec = KiviCodec.of(2);
        byte[] payload = codec.encode(floats(1, 1, 8, 10, new float[80], new float[80]), 10);
        var wrong = assertThrows(IllegalArgumentException.class,
                () -> codec.decode(ByteBuffer.wrap(payload, 1, payload.length - 1), 1, 1, 8, 10, 64));
        assertTrue(wrong.getMessage().contains("expected"), wrong.getMessage());
        KiviKvCache k = codec.decode(ByteBuffer.wrap(payload), 1, 1, 8, 10, 64);
        assertThrows(IllegalArgumentException.class, () -> k.write(0, 3, new float[8], new float[8], 0, 1), "append only");
        assertEquals("kivi2", KvCodec.fromWireName("kivi2").wireName());
        assertThrows(IllegalArgumentException.class, () -> KvCodec.fromWireName("kivi3"));
    }
}
