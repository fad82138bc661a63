// Causal attention restricted to selected key blocks, flash-attention style: a work-group takes up to
// get_local_size(0) consecutive query rows of one query block and one head (one work-item per row);
// for each selected key block it loads tiles of tile_keys keys (transposed) and values into local memory,
// then every row scores the tile, updates its online softmax once per tile and accumulates the values.
// Plain OpenCL C 1.2, sized from the device's limits by the host: runs on PoCL (CPU) and GPU drivers.
//
// q:      [n][heads * head_size]            query rows of this call, row i at position start_pos + i
// keys:   [positions][kv_heads * head_size]
// values: same layout as keys
// offsets/blocks: for head h and query block qb - first_qb, the key blocks are
//         blocks[offsets[idx] .. offsets[idx + 1]) with idx = h * query_blocks + (qb - first_qb)
// out:    [n][heads * head_size]
// global: (query_blocks * parts * local size, heads), parts = ceil(block_size / local size)
#define MAX_HEAD_SIZE 256
#define MAX_TILE 64

__kernel void block_sparse_attention(
        __global const float* q, __global const float* keys, __global const float* values,
        __global const int* offsets, __global const int* blocks, __global float* out,
        const int n, const int start_pos, const int heads, const int kv_heads, const int head_size,
        const int block_size, const int key_block_size, const int first_qb, const int query_blocks, const float scale,
        const int tile_keys, __local float* k_tile, __local float* v_tile) {
    const int h = get_group_id(1);
    const int wg = get_local_size(0);
    const int lid = get_local_id(0);
    const int parts = (block_size + wg - 1) / wg;
    const int qb = first_qb + get_group_id(0) / parts;
    const int row0 = qb * block_size + (get_group_id(0) % parts) * wg;
    const int end_pos = min(min(qb * block_size + block_size, start_pos + n), row0 + wg); // exclusive
    const int first_pos = max(row0, start_pos);
    if (first_pos >= end_pos) {
        return; // the same for the whole group: no barrier is skipped by some work-items only
    }
    const int pos = row0 + lid;
    const bool active = pos >= first_pos && pos < end_pos;
    const int q_dim = heads * head_size;
    const int kv_dim = kv_heads * head_size;
    const int kvo = (h / (heads / kv_heads)) * head_size;
    float qr[MAX_HEAD_SIZE];
    float acc[MAX_HEAD_SIZE];
    float s[MAX_TILE];
    for (int d = 0; d < head_size; d++) {
        qr[d] = active ? q[(pos - start_pos) * q_dim + h * head_size + d] * scale : 0.0f;
        acc[d] = 0.0f;
    }
    float m = -INFINITY;
    float l = 0.0f;
    const int idx = h * query_blocks + (qb - first_qb);
    for (int b = offsets[idx]; b < offsets[idx + 1]; b++) {
        const int ks = blocks[b] * key_block_size;
        const int ke = min(ks + key_block_size, end_pos);
        for (int t0 = ks; t0 < ke; t0 += tile_keys) {
            const int count = min(tile_keys, ke - t0);
            barrier(CLK_LOCAL_MEM_FENCE);
            for (int e = lid; e < count * head_size; e += wg) {
                const int j = e / head_size;
                const int d = e - j * head_size;
                const int g = (t0 + j) * kv_dim + kvo + d;
                k_tile[d * tile_keys + j] = keys[g]; // transposed: the score loop runs along keys
                v_tile[e] = values[g];
            }
            barrier(CLK_LOCAL_MEM_FENCE);
            if (active && t0 <= pos) {
                const int visible = min(count, pos - t0 + 1);
                // loops ordered so the innermost one is a plain vector update (no reduction), which
                // CPU drivers vectorise; on a GPU every work-item reads the same local word (a broadcast)
                for (int j = 0; j < visible; j++) {
                    s[j] = 0.0f;
                }
                for (int d = 0; d < head_size; d++) {
                    const float qd = qr[d];
                    for (int j = 0; j < visible; j++) {
                        s[j] += qd * k_tile[d * tile_keys + j];
                    }
                }
                float tile_max = -INFINITY;
                for (int j = 0; j < visible; j++) {
                    tile_max = fmax(tile_max, s[j]);
                }
                const float m_new = fmax(m, tile_max);
                const float correction = exp(m - m_new);
                float sum = 0.0f;
                for (int j = 0; j < visible; j++) {
                    s[j] = exp(s[j] - m_new);
                    sum += s[j];
                }
                l = l * correction + sum;
                for (int d = 0; d < head_size; d++) {
                    acc[d] *= correction;
                }
                for (int j = 0; j < visible; j++) {
                    const float p = s[j];
                    for (int d = 0; d < head_size; d++) {
                        acc[d] += p * v_tile[j * head_size + d];
                    }
                }
                m = m_new;
            }
        }
    }
    if (active) {
        const float inv = 1.0f / l;
        for (int d = 0; d < head_size; d++) {
            out[(pos - start_pos) * q_dim + h * head_size + d] = acc[d] * inv;
        }
    }
}
