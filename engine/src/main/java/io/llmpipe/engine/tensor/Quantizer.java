package io.llmpipe.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Float values to the byte layout of each tensor type. Q8_0 and Q4_0 follow ggml's reference
 * quantizers; Q4_K and Q6_K use a plain min-max / abs-max choice of scales (valid blocks, without
 * ggml's error-minimising search), which is enough for test models and benchmarks. Stateless.
 */
public final class Quantizer {
    private Quantizer() {
    }

    /** Quantizes {@code src[srcOffset .. srcOffset + n)} into {@code dst} at {@code dstOffset}; n is whole blocks. */
    public static void quantize(GGMLType type, float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset) {
        if (n % type.blockSize() != 0) {
            throw new IllegalArgumentException(n + " values are not whole " + type + " blocks of " + type.blockSize());
        }
        switch (type) {
            case F32 -> MemorySegment.copy(src, srcOffset, dst, Layouts.LE_FLOAT, dstOffset, n);
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    dst.set(Layouts.LE_SHORT, dstOffset + 2L * i, Float.floatToFloat16(src[srcOffset + i]));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    dst.set(Layouts.LE_SHORT, dstOffset + 2L * i, toBf16(src[srcOffset + i]));
                }
            }
            case Q8_0 -> {
                for (int b = 0; b < n / 32; b++) {
                    q8_0(src, srcOffset + 32 * b, dst, dstOffset + 34L * b);
                }
            }
            case Q4_0 -> {
                for (int b = 0; b < n / 32; b++) {
                    q4_0(src, srcOffset + 32 * b, dst, dstOffset + 18L * b);
                }
            }
            case Q4_K -> {
                for (int b = 0; b < n / 256; b++) {
                    q4_k(src, srcOffset + 256 * b, dst, dstOffset + 144L * b);
                }
            }
            case Q6_K -> {
                for (int b = 0; b < n / 256; b++) {
                    q6_k(src, srcOffset + 256 * b, dst, dstOffset + 210L * b);
                }
            }
        }
    }

    public static byte[] quantize(GGMLType type, float[] src) {
        byte[] out = new byte[Math.toIntExact(type.byteSize(src.length))];
        quantize(type, src, 0, src.length, MemorySegment.ofArray(out), 0);
        return out;
    }

    /** Round to nearest even, as ggml's fp32 -> bf16 does (NaN kept quiet). */
    static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 64);
        }
        return (short) ((bits + (0x7fff + ((bits >>> 16) & 1))) >>> 16);
    }

    private static void putF16(MemorySegment dst, long off, float v) {
        dst.set(Layouts.LE_SHORT, off, Float.floatToFloat16(v));
    }

    private static void q8_0(float[] x, int o, MemorySegment dst, long bo) {
        float amax = 0;
        for (int i = 0; i < 32; i++) {
            amax = Math.max(amax, Math.abs(x[o + i]));
        }
        float d = amax / 127f;
        float id = d != 0 ? 1f / d : 0f;
        putF16(dst, bo, d);
        for (int i = 0; i < 32; i++) {
            dst.set(ValueLayout.JAVA_BYTE, bo + 2 + i, (byte) Math.round(x[o + i] * id));
        }
    }

    private static void q4_0(float[] x, int o, MemorySegment dst, long bo) {
        float amax = 0, max = 0;
        for (int i = 0; i < 32; i++) {
            float v = x[o + i];
            if (Math.abs(v) > amax) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -8f;
        float id = d != 0 ? 1f / d : 0f;
        putF16(dst, bo, d);
        for (int j = 0; j < 16; j++) {
            int q0 = Math.min(15, (int) (x[o + j] * id + 8.5f));
            int q1 = Math.min(15, (int) (x[o + 16 + j] * id + 8.5f));
            dst.set(ValueLayout.JAVA_BYTE, bo + 2 + j, (byte) (q0 | (q1 << 4)));
        }
    }

    private static void q4_k(float[] x, int o, MemorySegment dst, long bo) {
        float[] scales = new float[8], mins = new float[8];
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 8; j++) {
            float lo = Float.MAX_VALUE, hi = -Float.MAX_VALUE;
            for (int l = 0; l < 32; l++) {
                lo = Math.min(lo, x[o + 32 * j + l]);
                hi = Math.max(hi, x[o + 32 * j + l]);
            }
            lo = Math.min(lo, 0f); // x = scale*q - min with min >= 0, as ggml
            scales[j] = (hi - lo) / 15f;
            mins[j] = -lo;
            maxScale = Math.max(maxScale, scales[j]);
            maxMin = Math.max(maxMin, mins[j]);
        }
        float d = maxScale / 63f, dmin = maxMin / 63f;
        putF16(dst, bo, d);
        putF16(dst, bo + 2, dmin);
        // what the fp16 round trip actually stores
        d = Float.float16ToFloat(Float.floatToFloat16(d));
        dmin = Float.float16ToFloat(Float.floatToFloat16(dmin));
        int[] sc = new int[8], mn = new int[8];
        for (int j = 0; j < 8; j++) {
            sc[j] = d > 0 ? Math.min(63, Math.round(scales[j] / d)) : 0;
            mn[j] = dmin > 0 ? Math.min(63, Math.round(mins[j] / dmin)) : 0;
        }
        byte[] packed = new byte[12];
        for (int j = 0; j < 4; j++) {
            packed[j] = (byte) ((sc[j] & 63) | ((sc[j + 4] >>> 4) << 6));
            packed[j + 4] = (byte) ((mn[j] & 63) | ((mn[j + 4] >>> 4) << 6));
            packed[j + 8] = (byte) ((sc[j + 4] & 0x0F) | ((mn[j + 4] & 0x0F) << 4));
        }
        MemorySegment.copy(packed, 0, dst, ValueLayout.JAVA_BYTE, bo + 4, 12);
        for (int chunk = 0; chunk < 4; chunk++) {
            for (int l = 0; l < 32; l++) {
                int lo = q4(x[o + 64 * chunk + l], d * sc[2 * chunk], dmin * mn[2 * chunk]);
                int hi = q4(x[o + 64 * chunk + 32 + l], d * sc[2 * chunk + 1], dmin * mn[2 * chunk + 1]);
                dst.set(ValueLayout.JAVA_BYTE, bo + 16 + 32L * chunk + l, (byte) (lo | (hi << 4)));
            }
        }
    }

    private static int q4(float v, float scale, float min) {
        if (scale == 0) {
            return 0;
        }
        return Math.max(0, Math.min(15, Math.round((v + min) / scale)));
    }

    private static void q6_k(float[] x, int o, MemorySegment dst, long bo) {
        float[] scales = new float[16];
        float maxScale = 0;
        for (int g = 0; g < 16; g++) {
            float amax = 0;
            for (int l = 0; l < 16; l++) {
                amax = Math.max(amax, Math.abs(x[o + 16 * g + l]));
            }
            scales[g] = amax / 31f;
            maxScale = Math.max(maxScale, scales[g]);
        }
        float d = maxScale / 127f;
        putF16(dst, bo + 208, d);
        d = Float.float16ToFloat(Float.floatToFloat16(d));
        int[] sc = new int[16];
        for (int g = 0; g < 16; g++) {
            sc[g] = d > 0 ? Math.min(127, Math.round(scales[g] / d)) : 0;
            dst.set(ValueLayout.JAVA_BYTE, bo + 192 + g, (byte) sc[g]);
        }
        int[] q = new int[256];
        for (int i = 0; i < 256; i++) {
            float s = d * sc[i / 16];
            q[i] = s == 0 ? 32 : Math.max(0, Math.min(63, Math.round(x[o + i] / s) + 32));
        }
        // inverse of the dequantize layout: element l, l+32, l+64, l+96 of each half
        for (int half = 0; half < 2; half++) {
            int e = 128 * half;
            for (int l = 0; l < 32; l++) {
                int q1 = q[e + l], q2 = q[e + l + 32], q3 = q[e + l + 64], q4 = q[e + l + 96];
                dst.set(ValueLayout.JAVA_BYTE, bo + 64L * half + l, (byte) ((q1 & 0x0F) | ((q3 & 0x0F) << 4)));
                dst.set(ValueLayout.JAVA_BYTE, bo + 64L * half + l + 32, (byte) ((q2 & 0x0F) | ((q4 & 0x0F) << 4)));
                dst.set(ValueLayout.JAVA_BYTE, bo + 128 + 32L * half + l,
                        (byte) ((q1 >>> 4) | ((q2 >>> 4) << 2) | ((q3 >>> 4) << 4) | ((q4 >>> 4) << 6)));
            }
        }
    }
}
