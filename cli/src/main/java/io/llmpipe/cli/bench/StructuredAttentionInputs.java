package io.llmpipe.cli.bench;

import io.llmpipe.engine.attention.AttentionShape;
import java.util.Random;

/**
 * Q/K/V for the attention bench whose attention has the structure long-context LLM heads show
 * (FlexPrefill, figures 1-2; DHSA, section 3), built so that each part's logit is set exactly:
 *
 * <ul>
 *   <li>an attention sink at position 0 (every head); heads play one of four roles by KV head:
 *       local/slash, retrieval, content and vertical;</li>
 *   <li>a local window: a Fejér-kernel position code (16 harmonics of a period P), so a query's
 *       logit peaks at its own position and falls to zero P/16 positions back; the period repeats
 *       as slash lines every P positions;</li>
 *   <li>vertical stripes (every 512th key, like separators; strongest on vertical heads) and a
 *       needle key that the last 128 queries of retrieval heads seek (a question about one fact);</li>
 *   <li>on content heads, content attention: the prompt is cut into segments of 256-2048
 *       tokens, each of one of 16 topics, and each query block asks about one topic, its own or an
 *       earlier one (a query-aware pattern);</li>
 *   <li>small Gaussian noise on every logit; values Gaussian.</li>
 * </ul>
 *
 * Heads of one KV group share their KV head's pattern. Needs a head size of at least 64.
 */
final class StructuredAttentionInputs {
    private static final int HARMONICS = 16;
    private static final int TOPICS = 16;

    record Inputs(float[] q, float[] k, float[] v) {
    }

    private StructuredAttentionInputs() {
    }

    static Inputs generate(AttentionShape shape, int n, long seed) {
        int hs = shape.headSize();
        if (hs < 64) {
            throw new IllegalArgumentException("structured inputs need a head size of at least 64, got " + hs);
        }
        Random r = new Random(seed);
        float[] q = new float[n * shape.queryDim()];
        float[] k = new float[n * shape.kvDim()];
        float[] v = new float[n * shape.kvDim()];
        float root = (float) Math.sqrt(hs); // queries carry it so q.k / sqrt(hs) is the planted logit
        int needle = n / 3;
        int[] topicOf = segmentTopics(r, n);
        int local = 0;                       // dims [0, 32): the position code
        int sink = 2 * HARMONICS;            // 32
        int stripe = sink + 1;
        int needleDim = sink + 2;
        int topic = sink + 3;                // dims [35, 51)
        int noise = topic + TOPICS;          // the rest
        for (int kh = 0; kh < shape.kvHeads(); kh++) {
            int period = (4000 << (kh % 4)) + 37 * kh;          // ~4K..32K, never a power of two: local windows 240..1900 wide
            int role = kh % 4;                                   // 0 local/slash, 1 retrieval, 2 content, 3 vertical
            boolean content = role == 2;
            float localLogit = content ? 3f : 9f + (kh % 2);
            float sinkLogit = content ? 5f : 11f;
            float topicLogit = content ? 9f : 0f;
            float stripeLogit = content ? 0f : role == 3 ? 8f : 6f;
            float needleLogit = role == 1 ? 14f : 0f;
            float[] weights = new float[HARMONICS];
            float norm = 0;
            for (int j = 0; j < HARMONICS; j++) {
                weights[j] = 1f - (float) (j + 1) / (HARMONICS + 1);
                norm += weights[j];
            }
            int[] askedTopic = new int[(n + 127) / 128];
            for (int b = 0; b < askedTopic.length; b++) {
                int earlier = r.nextInt(b * 128 + 1);
                askedTopic[b] = r.nextBoolean() ? topicOf[Math.min(n - 1, b * 128)] : topicOf[earlier];
            }
            for (int p = 0; p < n; p++) {
                int ko = p * shape.kvDim() + kh * hs;
                for (int j = 0; j < HARMONICS && p > 0; j++) { // the sink carries no position: a constant logit
                    double angle = 2 * Math.PI * (j + 1) * (double) p / period;
                    float a = (float) Math.sqrt(weights[j] / norm);
                    k[ko + local + 2 * j] = a * (float) Math.cos(angle);
                    k[ko + local + 2 * j + 1] = a * (float) Math.sin(angle);
                }
                k[ko + sink] = p == 0 ? 1f : 0f;
                k[ko + stripe] = p % 512 == 100 ? 1f : 0f;
                k[ko + needleDim] = p == needle ? 1f : 0f;
                k[ko + topic + topicOf[p]] = 1f;
                for (int d = noise; d < hs; d++) {
                    k[ko + d] = (float) (r.nextGaussian() * 0.5);
                }
                for (int d = 0; d < hs; d++) {
                    v[ko + d] = (float) r.nextGaussian();
                }
                for (int h = kh * shape.kvMul(); h < (kh + 1) * shape.kvMul(); h++) {
                    int qo = p * shape.queryDim() + h * hs;
                    for (int d = 0; d < 2 * HARMONICS; d++) {
                        q[qo + local + d] = k[ko + local + d] * localLogit * root;
                    }
                    q[qo + sink] = sinkLogit * root;
                    q[qo + stripe] = stripeLogit * root;
                    q[qo + needleDim] = p >= n - 128 ? needleLogit * root : 0f;
                    q[qo + topic + askedTopic[p / 128]] = topicLogit * root;
                    for (int d = noise; d < hs; d++) {
                        q[qo + d] = (float) (r.nextGaussian() * 0.5);
                    }
                }
            }
        }
        return new Inputs(q, k, v);
    }

    /** Each position's topic: segments of 1024..4096 tokens, each of a random one of the topics. */
    private static int[] segmentTopics(Random r, int n) {
        int[] topicOf = new int[n];
        int p = 0;
        while (p < n) {
            int length = 1024 + r.nextInt(3073);
            int t = r.nextInt(TOPICS);
            for (int i = p; i < Math.min(n, p + length); i++) {
                topicOf[i] = t;
            }
            p += length;
        }
        return topicOf;
    }
}
