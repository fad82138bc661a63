package io.llmpipe.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Vector API kernels over float arrays. Stateless; any thread. */
public final class VectorMath {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private VectorMath() {
    }

    public static float dot(float[] a, int aOffset, float[] b, int bOffset, int n) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int step = F.length();
        int upper = n - n % (2 * step);
        int i = 0;
        for (; i < upper; i += 2 * step) {
            acc0 = FloatVector.fromArray(F, a, aOffset + i).fma(FloatVector.fromArray(F, b, bOffset + i), acc0);
            acc1 = FloatVector.fromArray(F, a, aOffset + i + step).fma(FloatVector.fromArray(F, b, bOffset + i + step), acc1);
        }
        float result = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            result += a[aOffset + i] * b[bOffset + i];
        }
        return result;
    }

    /** {@code y[yOffset + i] += alpha * x[xOffset + i]}. */
    public static void axpy(float alpha, float[] x, int xOffset, float[] y, int yOffset, int n) {
        int step = F.length();
        int upper = n - n % step;
        int i = 0;
        FloatVector va = FloatVector.broadcast(F, alpha);
        for (; i < upper; i += step) {
            FloatVector.fromArray(F, x, xOffset + i).fma(va, FloatVector.fromArray(F, y, yOffset + i)).intoArray(y, yOffset + i);
        }
        for (; i < n; i++) {
            y[yOffset + i] += alpha * x[xOffset + i];
        }
    }

    /** {@code x[offset + i] *= s}. */
    public static void scale(float[] x, int offset, int n, float s) {
        int step = F.length();
        int upper = n - n % step;
        int i = 0;
        for (; i < upper; i += step) {
            FloatVector.fromArray(F, x, offset + i).mul(s).intoArray(x, offset + i);
        }
        for (; i < n; i++) {
            x[offset + i] *= s;
        }
    }

    /** {@code x[offset + i] = exp(x[offset + i] - max)} for {@code i < n}; returns their sum. */
    public static float expSubtract(float[] x, int offset, int n, float max) {
        int step = F.length();
        int upper = n - n % step;
        FloatVector vm = FloatVector.broadcast(F, max);
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i < upper; i += step) {
            FloatVector e = FloatVector.fromArray(F, x, offset + i).sub(vm).lanewise(VectorOperators.EXP);
            e.intoArray(x, offset + i);
            acc = acc.add(e);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            x[offset + i] = (float) Math.exp(x[offset + i] - max);
            sum += x[offset + i];
        }
        return sum;
    }

    /** {@code gate[i] = silu(gate[i]) * up[i]} for {@code i} in {@code [offset, offset + n)}: SwiGLU's gating. */
    public static void swiglu(float[] gate, float[] up, int offset, int n) {
        int step = F.length();
        int upper = n - n % step;
        int i = 0;
        for (; i < upper; i += step) {
            FloatVector g = FloatVector.fromArray(F, gate, offset + i);
            g.div(g.neg().lanewise(VectorOperators.EXP).add(1f)).mul(FloatVector.fromArray(F, up, offset + i)).intoArray(gate, offset + i);
        }
        for (; i < n; i++) {
            float g = gate[offset + i];
            gate[offset + i] = g / (1f + (float) Math.exp(-g)) * up[offset + i];
        }
    }

    public static float sumOfSquares(float[] x, int offset, int n) {
        return dot(x, offset, x, offset, n);
    }
}
