// Causal attention restricted to selected key blocks, one work-item per (query row, head), with an
// online softmax so no score buffer is needed. Plain OpenCL C 1.2: runs on PoCL (CPU) and GPU drivers.
//
// q:      [n][heads * head_size]            query rows of this call, row i at position start_pos + i
// keys:   [positions][kv_heads * head_size]
// values: same layout as keys
// offsets/blocks: for head h and query block qb - first_qb, the key blocks are
//         blocks[offsets[idx] .. offsets[idx + 1]) with idx = h * query_blocks + (qb - first_qb)
// out:    [n][heads * head_size]
#define MAX_HEAD_SIZE 256

__kernel void block_sparse_attention(
        __global const float* q, __global const float* keys, __global const float* values,
        __global const int* offsets, __global const int* blocks, __global float* out,
        const int n, const int start_pos, const int heads, const int kv_heads, const int head_size,
        const int block_size, const int key_block_size, const int first_qb, const int query_blocks, const float scale) {
    int gid = get_global_id(0);
    if (gid >= n * heads) {
        return;
    }
    int i = gid / heads;
    int h = gid % heads;
    int pos = start_pos + i;
    int q_dim = heads * head_size;
    int kv_dim = kv_heads * head_size;
    int kvo = (h / (heads / kv_heads)) * head_size;
    __global const float* qr = q + i * q_dim + h * head_size;
    float acc[MAX_HEAD_SIZE];
    for (int d = 0; d < head_size; d++) {
        acc[d] = 0.0f;
    }
    float m = -INFINITY;
    float l = 0.0f;
    int idx = h * query_blocks + (pos / block_size - first_qb);
    for (int b = offsets[idx]; b < offsets[idx + 1]; b++) {
        int kb = blocks[b];
        int last = min(kb * key_block_size + key_block_size - 1, pos);
        for (int p = kb * key_block_size; p <= last; p++) {
            __global const float* kr = keys + p * kv_dim + kvo;
            float s = 0.0f;
            for (int d = 0; d < head_size; d++) {
                s += qr[d] * kr[d];
            }
            s *= scale;
            float m_new = fmax(m, s);
            float correction = exp(m - m_new);
            float e = exp(s - m_new);
            l = l * correction + e;
            __global const float* vr = values + p * kv_dim + kvo;
            for (int d = 0; d < head_size; d++) {
                acc[d] = acc[d] * correction + e * vr[d];
            }
            m = m_new;
        }
    }
    __global float* o = out + i * q_dim + h * head_size;
    float inv = 1.0f / l;
    for (int d = 0; d < head_size; d++) {
        o[d] = acc[d] * inv;
    }
}
