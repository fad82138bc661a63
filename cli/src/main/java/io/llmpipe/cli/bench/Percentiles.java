package io.llmpipe.cli.bench;

import java.util.Arrays;
import java.util.List;

/** Nearest-rank percentiles of bench samples (p 0 is the smallest, p 100 the largest). */
final class Percentiles {
    private Percentiles() {
    }

    static double of(double[] values, double p) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] v = values.clone();
        Arrays.sort(v);
        int i = (int) Math.ceil(p / 100.0 * v.length) - 1;
        return v[Math.max(0, Math.min(v.length - 1, i))];
    }

    static double of(List<Double> values, double p) {
        return of(values.stream().mapToDouble(Double::doubleValue).toArray(), p);
    }

    static double median(double[] values) {
        return of(values, 50);
    }

    static double median(List<Double> values) {
        return of(values, 50);
    }
}
