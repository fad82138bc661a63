package io.llmpipe.engine.model;

import java.util.Random;

/**
 * Random tiny Llama-family models for tests: each variant (GQA, RoPE scaling, Q/K/V bias, separate
 * output matrix...) as float64 parameters for {@link ReferenceLlama}; {@link TinyGGUF} writes them as
 * a GGUF file with a chosen tensor type.
 */
final class TinyModels {

    /** The knobs a variant turns. */
    record Spec(String name, String architecture, int dim, int hidden, int layers, int heads, int kvHeads, int vocab,
                double theta, boolean llama3RopeScaling, double linearScale, boolean qkvBias, boolean separateOutput) {
    }

    static Spec base(String name) {
        return new Spec(name, "llama", 64, 96, 2, 4, 4, 300, 10000, false, 1, false, false);
    }

    private TinyModels() {
    }

    static ReferenceLlama.Params random(Spec s, long seed) {
        Random rnd = new Random(seed);
        ReferenceLlama.Params p = new ReferenceLlama.Params();
        p.dim = s.dim();
        p.hidden = s.hidden();
        p.layers = s.layers();
        p.heads = s.heads();
        p.kvHeads = s.kvHeads();
        p.headSize = s.dim() / s.heads();
        p.vocab = s.vocab();
        p.ropeDims = p.headSize;
        p.theta = s.theta();
        p.linearScale = s.linearScale();
        p.neox = s.architecture().equals("qwen2");
        int qDim = p.heads * p.headSize, kvDim = p.kvHeads * p.headSize;
        double scale = 1 / Math.sqrt(s.dim());
        p.embedding = matrix(rnd, s.vocab(), s.dim(), 1.0);
        p.attnNorm = new double[s.layers()][];
        p.ffnNorm = new double[s.layers()][];
        p.wq = new double[s.layers()][][];
        p.wk = new double[s.layers()][][];
        p.wv = new double[s.layers()][][];
        p.wo = new double[s.layers()][][];
        p.w1 = new double[s.layers()][][];
        p.w2 = new double[s.layers()][][];
        p.w3 = new double[s.layers()][][];
        if (s.qkvBias()) {
            p.bq = new double[s.layers()][];
            p.bk = new double[s.layers()][];
            p.bv = new double[s.layers()][];
        }
        for (int l = 0; l < s.layers(); l++) {
            p.attnNorm[l] = norm(rnd, s.dim());
            p.ffnNorm[l] = norm(rnd, s.dim());
            p.wq[l] = matrix(rnd, qDim, s.dim(), scale);
            p.wk[l] = matrix(rnd, kvDim, s.dim(), scale);
            p.wv[l] = matrix(rnd, kvDim, s.dim(), scale);
            p.wo[l] = matrix(rnd, s.dim(), qDim, 1 / Math.sqrt(qDim));
            p.w1[l] = matrix(rnd, s.hidden(), s.dim(), scale);
            p.w2[l] = matrix(rnd, s.dim(), s.hidden(), 1 / Math.sqrt(s.hidden()));
            p.w3[l] = matrix(rnd, s.hidden(), s.dim(), scale);
            if (s.qkvBias()) {
                p.bq[l] = vector(rnd, qDim, 0.5);
                p.bk[l] = vector(rnd, kvDim, 0.5);
                p.bv[l] = vector(rnd, kvDim, 0.5);
            }
        }
        p.outputNorm = norm(rnd, s.dim());
        p.output = s.separateOutput() ? matrix(rnd, s.vocab(), s.dim(), scale) : p.embedding;
        if (s.llama3RopeScaling()) {
            p.ropeFreqFactors = llama3FreqFactors(p.ropeDims, s.theta(), 8.0, 1.0, 4.0, 64);
        }
        return p;
    }

    /**
     * Llama 3.1 RoPE scaling as llama.cpp's converter bakes it into rope_freqs.weight: wavelengths
     * longer than original_context/low_freq_factor are divided by factor, short ones kept, smooth between.
     */
    static double[] llama3FreqFactors(int ropeDims, double theta, double factor, double lowFreqFactor,
                                      double highFreqFactor, int originalContext) {
        double lowWavelen = originalContext / lowFreqFactor;
        double highWavelen = originalContext / highFreqFactor;
        double[] f = new double[ropeDims / 2];
        for (int i = 0; i < f.length; i++) {
            double freq = 1 / Math.pow(theta, 2.0 * i / ropeDims);
            double wavelen = 2 * Math.PI / freq;
            if (wavelen < highWavelen) {
                f[i] = 1;
            } else if (wavelen > lowWavelen) {
                f[i] = factor;
            } else {
                double smooth = (originalContext / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                f[i] = 1 / ((1 - smooth) / factor + smooth);
            }
        }
        return f;
    }

    private static double[][] matrix(Random rnd, int rows, int cols, double scale) {
        double[][] m = new double[rows][cols];
        for (double[] row : m) {
            for (int j = 0; j < cols; j++) {
                row[j] = rnd.nextGaussian() * scale;
            }
        }
        return m;
    }

    private static double[] vector(Random rnd, int n, double scale) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = rnd.nextGaussian() * scale;
        }
        return v;
    }

    private static double[] norm(Random rnd, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = 0.8 + 0.4 * rnd.nextDouble();
        }
        return v;
    }
}
