package io.llmpipe.retrieval.hnsw;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Distance kernels on the Vector API: two accumulators per call so the FMA latency is hidden. */
final class VectorKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private VectorKernels() {
    }

    static float dot(float[] a, int ao, float[] b, int bo, int dim) {
        int i = 0;
        float sum = 0f;
        if (dim >= 2 * F.length()) {
            FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
            int bound = dim - dim % (2 * F.length());
            for (; i < bound; i += 2 * F.length()) {
                acc0 = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc0);
                acc1 = FloatVector.fromArray(F, a, ao + i + F.length()).fma(FloatVector.fromArray(F, b, bo + i + F.length()), acc1);
            }
            sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        }
        for (; i < dim; i++) {
            sum += a[ao + i] * b[bo + i];
        }
        return sum;
    }

    static float squareDistance(float[] a, int ao, float[] b, int bo, int dim) {
        int i = 0;
        float sum = 0f;
        if (dim >= 2 * F.length()) {
            FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
            int bound = dim - dim % (2 * F.length());
            for (; i < bound; i += 2 * F.length()) {
                FloatVector d0 = FloatVector.fromArray(F, a, ao + i).sub(FloatVector.fromArray(F, b, bo + i));
                FloatVector d1 = FloatVector.fromArray(F, a, ao + i + F.length()).sub(FloatVector.fromArray(F, b, bo + i + F.length()));
                acc0 = d0.fma(d0, acc0);
                acc1 = d1.fma(d1, acc1);
            }
            sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        }
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
