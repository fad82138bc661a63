package io.llmpipe.retrieval.hnsw;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Distance kernels on the Vector API: four accumulators hide the FMA latency, then whole vectors, then
 * a scalar tail shorter than one vector (784 = 12 x 64 + 16: MNIST has no scalar tail).
 */
final class VectorKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private VectorKernels() {
    }

    static float dot(float[] a, int ao, float[] b, int bo, int dim) {
        int len = F.length();
        int i = 0;
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F), acc2 = FloatVector.zero(F), acc3 = FloatVector.zero(F);
        for (int bound = dim - 4 * len; i <= bound; i += 4 * len) {
            acc0 = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc0);
            acc1 = FloatVector.fromArray(F, a, ao + i + len).fma(FloatVector.fromArray(F, b, bo + i + len), acc1);
            acc2 = FloatVector.fromArray(F, a, ao + i + 2 * len).fma(FloatVector.fromArray(F, b, bo + i + 2 * len), acc2);
            acc3 = FloatVector.fromArray(F, a, ao + i + 3 * len).fma(FloatVector.fromArray(F, b, bo + i + 3 * len), acc3);
        }
        for (int bound = dim - len; i <= bound; i += len) {
            acc0 = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc0);
        }
        float sum = acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
        for (; i < dim; i++) {
            sum += a[ao + i] * b[bo + i];
        }
        return sum;
    }

    static float squareDistance(float[] a, int ao, float[] b, int bo, int dim) {
        return squareDistanceBounded(a, ao, b, bo, dim, Float.POSITIVE_INFINITY);
    }

    /**
     * {@link #squareDistance}, or any value above {@code bound} as soon as a partial sum (checked every
     * 256 dimensions) exceeds it: a neighbour that cannot enter the results costs only part of its
     * distance.
     */
    static float squareDistanceBounded(float[] a, int ao, float[] b, int bo, int dim, float bound) {
        int len = F.length();
        int i = 0;
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F), acc2 = FloatVector.zero(F), acc3 = FloatVector.zero(F);
        int step = 4 * len;
        int checkEvery = Math.max(step, 256 / step * step);
        int nextCheck = checkEvery;
        for (int end = dim - step; i <= end; i += step) {
            FloatVector d0 = FloatVector.fromArray(F, a, ao + i).sub(FloatVector.fromArray(F, b, bo + i));
            FloatVector d1 = FloatVector.fromArray(F, a, ao + i + len).sub(FloatVector.fromArray(F, b, bo + i + len));
            FloatVector d2 = FloatVector.fromArray(F, a, ao + i + 2 * len).sub(FloatVector.fromArray(F, b, bo + i + 2 * len));
            FloatVector d3 = FloatVector.fromArray(F, a, ao + i + 3 * len).sub(FloatVector.fromArray(F, b, bo + i + 3 * len));
            acc0 = d0.fma(d0, acc0);
            acc1 = d1.fma(d1, acc1);
            acc2 = d2.fma(d2, acc2);
            acc3 = d3.fma(d3, acc3);
            if (i + step == nextCheck && i + step < dim && bound != Float.POSITIVE_INFINITY) {
                nextCheck += checkEvery;
                float partial = acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
                if (partial > bound) {
                    return partial;
                }
            }
        }
        for (int end = dim - len; i <= end; i += len) {
            FloatVector d = FloatVector.fromArray(F, a, ao + i).sub(FloatVector.fromArray(F, b, bo + i));
            acc0 = d.fma(d, acc0);
        }
        float sum = acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
        for (; i < dim; i++) {
            float d = a[ao + i] - b[bo + i];
            sum += d * d;
        }
        return sum;
    }

    /** {@code v} scaled to unit length in place; a zero vector is refused (it has no direction). */
    static void normalize(float[] v) {
        double norm = Math.sqrt(dot(v, 0, v, 0, v.length));
        if (norm == 0 || !Double.isFinite(norm)) {
            throw new IllegalArgumentException("a zero or non-finite vector has no cosine similarity");
        }
        float inv = (float) (1.0 / norm);
        for (int i = 0; i < v.length; i++) {
            v[i] *= inv;
        }
    }
}
