package io.llmpipe.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/** Every tensor type: exact dequantization of hand-built blocks, fused dot vs dequantize, quantizer error bounds. */
class QuantizedTensorsTest {

    private static FloatTensor tensor(GGMLType type, byte[] bytes, long n) {
        return FloatTensor.of(type, MemorySegment.ofArray(bytes), n);
    }

    private static short h(float v) {
        return Float.floatToFloat16(v);
    }

    @Test
    void q8_0HandBuiltBlock() {
        ByteBuffer b = ByteBuffer.allocate(34).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(h(0.5f));
        for (int i = 0; i < 32; i++) {
            b.put((byte) (i - 16));
        }
        float[] out = new float[32];
        tensor(GGMLType.Q8_0, b.array(), 32).dequantize(0, out, 0, 32);
        for (int i = 0; i < 32; i++) {
            assertEquals(0.5f * (i - 16), out[i]);
        }
    }

    @Test
    void q4_0HandBuiltBlock() {
        ByteBuffer b = ByteBuffer.allocate(18).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(h(2f));
        for (int j = 0; j < 16; j++) {
            b.put((byte) ((j & 0x0F) | ((15 - j) << 4))); // element j = j, element j+16 = 15-j
        }
        float[] out = new float[32];
        tensor(GGMLType.Q4_0, b.array(), 32).dequantize(0, out, 0, 32);
        for (int j = 0; j < 16; j++) {
            assertEquals(2f * (j - 8), out[j]);
            assertEquals(2f * (15 - j - 8), out[j + 16]);
        }
    }

    @Test
    void q4_KHandBuiltBlockCoversBothScalePackings() {
        // scales sc[j] = j + 1 (j<4) and 40 + j (j>=4, needs the high-bit path); mins m[j] = 2j and 50 + j
        int[] sc = {1, 2, 3, 4, 44, 45, 46, 47};
        int[] mn = {0, 2, 4, 6, 54, 55, 56, 57};
        byte[] packed = new byte[12];
        for (int j = 0; j < 4; j++) {
            packed[j] = (byte) (sc[j] | ((sc[j + 4] >> 4) << 6));
            packed[j + 4] = (byte) (mn[j] | ((mn[j + 4] >> 4) << 6));
            packed[j + 8] = (byte) ((sc[j + 4] & 0xF) | ((mn[j + 4] & 0xF) << 4));
        }
        ByteBuffer b = ByteBuffer.allocate(144).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(h(0.25f)).putShort(h(0.125f)).put(packed);
        for (int chunk = 0; chunk < 4; chunk++) {
            for (int l = 0; l < 32; l++) {
                b.put((byte) ((l % 16) | (((l + chunk) % 16) << 4)));
            }
        }
        float[] out = new float[256];
        tensor(GGMLType.Q4_K, b.array(), 256).dequantize(0, out, 0, 256);
        for (int chunk = 0; chunk < 4; chunk++) {
            for (int l = 0; l < 32; l++) {
                int s0 = 2 * chunk, s1 = 2 * chunk + 1;
                assertEquals(0.25f * sc[s0] * (l % 16) - 0.125f * mn[s0], out[64 * chunk + l], 1e-6);
                assertEquals(0.25f * sc[s1] * ((l + chunk) % 16) - 0.125f * mn[s1], out[64 * chunk + 32 + l], 1e-6);
            }
        }
    }

    @Test
    void q6_KHandBuiltBlock() {
        // q(i) = i % 64 for element i; scales s[g] = g - 8 (signed)
        int[] q = new int[256];
        for (int i = 0; i < 256; i++) {
            q[i] = (i * 7) % 64;
        }
        byte[] block = new byte[210];
        for (int half = 0; half < 2; half++) {
            for (int l = 0; l < 32; l++) {
                int e = 128 * half;
                int q1 = q[e + l], q2 = q[e + l + 32], q3 = q[e + l + 64], q4 = q[e + l + 96];
                block[64 * half + l] = (byte) ((q1 & 0xF) | ((q3 & 0xF) << 4));
                block[64 * half + l + 32] = (byte) ((q2 & 0xF) | ((q4 & 0xF) << 4));
                block[128 + 32 * half + l] = (byte) ((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
            }
        }
        for (int g = 0; g < 16; g++) {
            block[192 + g] = (byte) (g - 8);
        }
        short d = h(0.5f);
        block[208] = (byte) d;
        block[209] = (byte) (d >> 8);
        float[] out = new float[256];
        tensor(GGMLType.Q6_K, block, 256).dequantize(0, out, 0, 256);
        for (int i = 0; i < 256; i++) {
            assertEquals(0.5f * (i / 16 - 8) * (q[i] - 32), out[i], 1e-6, "element " + i);
        }
    }

    @Test
    void bf16AndF16HandBuiltValues() {
        float[] values = {1f, -2.5f, 0.15625f, 65504f, -0f, 3.0e-5f, 1024.5f, -7f, 0.5f};
        ByteBuffer f16 = ByteBuffer.allocate(2 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer bf16 = ByteBuffer.allocate(2 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            f16.putShort(h(v));
            bf16.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
        }
        FloatTensor a = tensor(GGMLType.F16, f16.array(), values.length);
        FloatTensor b = tensor(GGMLType.BF16, bf16.array(), values.length);
        for (int i = 0; i < values.length; i++) {
            assertEquals(Float.float16ToFloat(h(values[i])), a.getFloat(i));
            assertEquals(Float.intBitsToFloat(Float.floatToRawIntBits(values[i]) & 0xFFFF0000), b.getFloat(i));
        }
    }

    @ParameterizedTest
    @EnumSource(GGMLType.class)
    void dotEqualsFloat64DotOfDequantizedRowsAndGetFloatAgrees(GGMLType type) {
        int cols = 512, rows = 6;
        Random rnd = new Random(type.ordinal());
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian();
        }
        FloatTensor t = tensor(type, Quantizer.quantize(type, w), w.length);
        float[] x = new float[cols + 5];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            t.dequantize((long) r * cols, row, 0, cols);
            double ref = 0, norm = 0;
            for (int c = 0; c < cols; c++) {
                ref += (double) row[c] * x[3 + c];
                norm += Math.abs((double) row[c] * x[3 + c]);
            }
            float dot = t.dot((long) r * cols, x, 3, cols);
            assertTrue(Math.abs(dot - ref) <= 1e-5 * norm, type + " row " + r + ": " + dot + " vs " + ref);
            for (int c = 0; c < cols; c += 37) {
                assertEquals(row[c], t.getFloat((long) r * cols + c), type + " element " + c);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(GGMLType.class)
    void quantizerRoundTripsWithinTheTypesErrorBound(GGMLType type) {
        Random rnd = new Random(11);
        float[] w = new float[1024];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian();
        }
        float[] back = new float[w.length];
        tensor(type, Quantizer.quantize(type, w), w.length).dequantize(0, back, 0, w.length);
        double err = 0, ref = 0;
        for (int i = 0; i < w.length; i++) {
            err += (w[i] - back[i]) * (w[i] - back[i]);
            ref += w[i] * w[i];
        }
        double rel = Math.sqrt(err / ref);
        double bound = switch (type) {
            case F32 -> 0;
            case F16 -> 1e-3;
            case BF16 -> 5e-3;
            case Q8_0 -> 0.01;
            case Q6_K -> 0.03;
            case Q4_0, Q4_K -> 0.15;
        };
        assertTrue(rel <= bound, type + " relative RMS error " + rel + " > " + bound);
    }

    @Test
    void q8_0AndQ4_0MatchGgmlReferenceQuantization() {
        float[] v = new float[32];
        for (int i = 0; i < 32; i++) {
            v[i] = (i - 10) * 0.1f;
        }
        // Q8_0: amax = 2.1, d = amax/127, q = round(v/d)
        byte[] q8 = Quantizer.quantize(GGMLType.Q8_0, v);
        assertEquals(Float.floatToFloat16(2.1f / 127f), (short) ((q8[0] & 0xFF) | (q8[1] << 8)));
        assertEquals(127, q8[2 + 31]);
        assertEquals(Math.round(-1.0f / (2.1f / 127f)), q8[2]);
        // Q4_0: max by magnitude = 2.1 (positive), d = -2.1/8, element 31 -> (2.1 * id + 8.5) = 0
        byte[] q4 = Quantizer.quantize(GGMLType.Q4_0, v);
        assertEquals(Float.floatToFloat16(2.1f / -8f), (short) ((q4[0] & 0xFF) | (q4[1] << 8)));
        assertEquals(0, (q4[2 + 15] >> 4) & 0x0F, "the largest value maps to q = 0 (d negative)");
        assertEquals(Math.min(15, (int) (-1.0f * (-8f / 2.1f) + 8.5f)), q4[2] & 0x0F);
    }
}
