package io.llmpipe.engine.kv;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The inner loops of attention over KIVI codes, for one head's packed row ({@code headBytes} bytes,
 * byte {@code j} holding channels {@code j + k * headBytes} at bit {@code k * bits}). With 16 bytes per
 * step the codes of 16 channels widen to a float vector with one shift and mask each; other shapes run
 * the scalar loop.
 */
final class KiviKernels {
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Integer> I16 = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> F16 = FloatVector.SPECIES_512;
    /** Whether this machine runs 16-lane float vectors natively. */
    private static final boolean WIDE = FloatVector.SPECIES_PREFERRED.length() >= 16;

    private KiviKernels() {
    }

    /** Whether {@link #dot} and {@link #accumulate} take the vector path for these shapes. */
    static boolean vectorized(int headBytes, int valueGroupSize) {
        return WIDE && headBytes % 16 == 0 && valueGroupSize % 16 == 0;
    }

    /** {@code sum_c weights[c] * code(c)} over the head's channels. */
    static float dot(float[] weights, byte[] codes, int rowOff, int headBytes, int bits, boolean vector) {
        int mask = (1 << bits) - 1;
        int perByte = 8 / bits;
        if (vector) {
            FloatVector acc = FloatVector.zero(F16);
            for (int j = 0; j < headBytes; j += 16) {
                IntVector packed = (IntVector) ByteVector.fromArray(B16, codes, rowOff + j).convertShape(VectorOperators.B2I, I16, 0);
                for (int k = 0, shift = 0; k < perByte; k++, shift += bits) {
                    FloatVector code = (FloatVector) packed.lanewise(VectorOperators.ASHR, shift).and(mask)
                            .convert(VectorOperators.I2F, 0);
                    acc = code.fma(FloatVector.fromArray(F16, weights, k * headBytes + j), acc);
                }
            }
            return acc.reduceLanes(VectorOperators.ADD);
        }
        float dot = 0f;
        for (int k = 0, shift = 0; k < perByte; k++, shift += bits) {
            int base = k * headBytes;
            for (int j = 0; j < headBytes; j++) {
                dot += weights[base + j] * ((codes[rowOff + j] >> shift) & mask);
            }
        }
        return dot;
    }

    /**
     * {@code acc[c] += groupWeight[channelGroup[c]] * code(c)} over the head's channels. On the vector
     * path 16 consecutive channels share a group (the value group size is a multiple of 16).
     */
    static void accumulate(float[] acc, float[] groupWeight, int[] channelGroup, byte[] codes, int rowOff, int headBytes,
                           int bits, boolean vector) {
        int mask = (1 << bits) - 1;
        int perByte = 8 / bits;
        if (vector) {
            for (int j = 0; j < headBytes; j += 16) {
                IntVector packed = (IntVector) ByteVector.fromArray(B16, codes, rowOff + j).convertShape(VectorOperators.B2I, I16, 0);
                for (int k = 0, shift = 0; k < perByte; k++, shift += bits) {
                    int c = k * headBytes + j;
                    FloatVector code = (FloatVector) packed.lanewise(VectorOperators.ASHR, shift).and(mask)
                            .convert(VectorOperators.I2F, 0);
                    code.fma(FloatVector.broadcast(F16, groupWeight[channelGroup[c]]), FloatVector.fromArray(F16, acc, c)).intoArray(acc, c);
                }
            }
            return;
        }
        for (int k = 0, shift = 0; k < perByte; k++, shift += bits) {
            int base = k * headBytes;
            for (int j = 0; j < headBytes; j++) {
                acc[base + j] += groupWeight[channelGroup[base + j]] * ((codes[rowOff + j] >> shift) & mask);
            }
        }
    }
}
