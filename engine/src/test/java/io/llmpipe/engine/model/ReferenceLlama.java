package io.llmpipe.engine.model;

/**
 * An independent, deliberately plain float64 Llama forward pass for tests: no KV cache (every
 * position recomputed), no vectors, no threads, weights as double[rows][cols]. It shares no code
 * with the engine, so agreement between the two means something.
 */
final class ReferenceLlama {

    /** Weights in float64, shapes [rows][cols] as in the engine's Weights. */
    static final class Params {
        int dim, hidden, layers, heads, kvHeads, headSize, vocab, ropeDims;
        double eps = 1e-5, theta = 10000, linearScale = 1;
        boolean neox;
        double[][] embedding;         // [vocab][dim]
        double[][] attnNorm, ffnNorm; // [layers][dim]
        double[][][] wq, wk, wv, wo, w1, w2, w3;
        double[][] bq, bk, bv;        // may be null
        double[] outputNorm;
        double[][] output;            // [vocab][dim]
        double[] ropeFreqFactors;     // may be null
    }

    private ReferenceLlama() {
    }

    /** Logits after the last of {@code tokens}. */
    static double[] lastLogits(Params p, int[] tokens) {
        int n = tokens.length;
        double[][] x = new double[n][];
        for (int t = 0; t < n; t++) {
            x[t] = p.embedding[tokens[t]].clone();
        }
        int kvMul = p.heads / p.kvHeads;
        for (int l = 0; l < p.layers; l++) {
            double[][] q = new double[n][], k = new double[n][], v = new double[n][];
            for (int t = 0; t < n; t++) {
                double[] h = rmsnorm(x[t], p.attnNorm[l], p.eps);
                q[t] = matvec(p.wq[l], h, p.bq == null ? null : p.bq[l]);
                k[t] = matvec(p.wk[l], h, p.bk == null ? null : p.bk[l]);
                v[t] = matvec(p.wv[l], h, p.bv == null ? null : p.bv[l]);
                rope(p, q[t], p.heads, t);
                rope(p, k[t], p.kvHeads, t);
            }
            for (int t = 0; t < n; t++) {
                double[] att = new double[p.heads * p.headSize];
                for (int h = 0; h < p.heads; h++) {
                    int kh = h / kvMul;
                    double[] s = new double[t + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int u = 0; u <= t; u++) {
                        double d = 0;
                        for (int i = 0; i < p.headSize; i++) {
                            d += q[t][h * p.headSize + i] * k[u][kh * p.headSize + i];
                        }
                        s[u] = d / Math.sqrt(p.headSize);
                        max = Math.max(max, s[u]);
                    }
                    double sum = 0;
                    for (int u = 0; u <= t; u++) {
                        s[u] = Math.exp(s[u] - max);
                        sum += s[u];
                    }
                    for (int u = 0; u <= t; u++) {
                        for (int i = 0; i < p.headSize; i++) {
                            att[h * p.headSize + i] += s[u] / sum * v[u][kh * p.headSize + i];
                        }
                    }
                }
                add(x[t], matvec(p.wo[l], att, null));
            }
            for (int t = 0; t < n; t++) {
                double[] h = rmsnorm(x[t], p.ffnNorm[l], p.eps);
                double[] g = matvec(p.w1[l], h, null);
                double[] up = matvec(p.w3[l], h, null);
                for (int i = 0; i < g.length; i++) {
                    g[i] = g[i] / (1 + Math.exp(-g[i])) * up[i];
                }
                add(x[t], matvec(p.w2[l], g, null));
            }
        }
        return matvec(p.output, rmsnorm(x[n - 1], p.outputNorm, p.eps), null);
    }

    private static void rope(Params p, double[] t, int headCount, int pos) {
        int pairs = p.ropeDims / 2;
        for (int h = 0; h < headCount; h++) {
            int base = h * p.headSize;
            for (int i = 0; i < pairs; i++) {
                double freq = Math.pow(p.theta, -2.0 * i / p.ropeDims);
                if (p.ropeFreqFactors != null) {
                    freq /= p.ropeFreqFactors[i];
                }
                double angle = pos / p.linearScale * freq;
                int a = p.neox ? base + i : base + 2 * i;
                int b = p.neox ? base + i + pairs : base + 2 * i + 1;
                double x0 = t[a], x1 = t[b];
                t[a] = x0 * Math.cos(angle) - x1 * Math.sin(angle);
                t[b] = x0 * Math.sin(angle) + x1 * Math.cos(angle);
            }
        }
    }

    private static double[] rmsnorm(double[] x, double[] w, double eps) {
        double ss = 0;
        for (double v : x) {
            ss += v * v;
        }
        double inv = 1 / Math.sqrt(ss / x.length + eps);
        double[] r = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            r[i] = w[i] * x[i] * inv;
        }
        return r;
    }

    private static double[] matvec(double[][] w, double[] x, double[] bias) {
        double[] r = new double[w.length];
        for (int i = 0; i < w.length; i++) {
            double s = bias == null ? 0 : bias[i];
            for (int j = 0; j < x.length; j++) {
                s += w[i][j] * x[j];
            }
            r[i] = s;
        }
        return r;
    }

    private static void add(double[] acc, double[] d) {
        for (int i = 0; i < acc.length; i++) {
            acc[i] += d[i];
        }
    }
}
