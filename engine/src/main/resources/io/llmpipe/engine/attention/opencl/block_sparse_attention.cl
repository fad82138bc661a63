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

// FlexPrefill's estimate for every head in one pass: the attention of the call's last `rows` query
// rows (q_last: [rows][heads * head_size], row r at position last_pos0 + r), averaged over the rows,
// summed per key (vertical[h][k]) and per diagonal offset (slash[h][pos - k]). Three kernels so that
// no work-item needs atomics: row statistics, then one work-item per key, then one per diagonal.

// a . b over n floats, 16 at a time (one vector register on CPU drivers, plain loads on GPUs)
inline float dot_row(__global const float* a, __global const float* b, const int n) {
    float16 acc = (float16)(0.0f);
    int d = 0;
    for (; d + 16 <= n; d += 16) {
        acc = fma(vload16(0, a + d), vload16(0, b + d), acc);
    }
    float8 h8 = acc.lo + acc.hi;
    float4 h4 = h8.lo + h8.hi;
    float s = h4.x + h4.y + h4.z + h4.w;
    for (; d < n; d++) {
        s += a[d] * b[d];
    }
    return s;
}

// stats[h][r] = (max, normaliser) of row r's scaled scores over its causal keys
__kernel void last_block_stats(
        __global const float* q_last, __global const float* keys, __global float* stats,
        const int heads, const int kv_heads, const int head_size, const int rows, const int last_pos0, const float scale) {
    const int r = get_global_id(0);
    const int h = get_global_id(1);
    if (r >= rows) {
        return;
    }
    const int kv_dim = kv_heads * head_size;
    const int kvo = (h / (heads / kv_heads)) * head_size;
    __global const float* qr = q_last + r * heads * head_size + h * head_size;
    float m = -INFINITY;
    float l = 0.0f;
    for (int k = 0; k <= last_pos0 + r; k++) {
        const float s = dot_row(qr, keys + k * kv_dim + kvo, head_size) * scale;
        if (s > m) {
            l = l * exp(m - s) + 1.0f;
            m = s;
        } else {
            l += exp(s - m);
        }
    }
    stats[(h * rows + r) * 2] = m;
    stats[(h * rows + r) * 2 + 1] = l;
}

// probability of key k for row r (given its statistics)
inline float row_probability(__global const float* q_last, __global const float* keys, __global const float* stats,
        const int heads, const int kv_heads, const int head_size, const int rows, const int h, const int r, const int k,
        const float scale) {
    const int kv_dim = kv_heads * head_size;
    const int kvo = (h / (heads / kv_heads)) * head_size;
    __global const float* qr = q_last + r * heads * head_size + h * head_size;
    const float s = dot_row(qr, keys + k * kv_dim + kvo, head_size);
    return exp(s * scale - stats[(h * rows + r) * 2]) / stats[(h * rows + r) * 2 + 1];
}

__kernel void last_block_vertical(
        __global const float* q_last, __global const float* keys, __global const float* stats, __global float* vertical,
        const int heads, const int kv_heads, const int head_size, const int rows, const int last_pos0, const int positions,
        const float scale) {
    const int k = get_global_id(0);
    const int h = get_global_id(1);
    if (k >= positions) {
        return;
    }
    float sum = 0.0f;
    for (int r = max(0, k - last_pos0); r < rows; r++) { // rows at or after key k
        sum += row_probability(q_last, keys, stats, heads, kv_heads, head_size, rows, h, r, k, scale);
    }
    vertical[h * positions + k] = sum / rows;
}

__kernel void last_block_slash(
        __global const float* q_last, __global const float* keys, __global const float* stats, __global float* slash,
        const int heads, const int kv_heads, const int head_size, const int rows, const int last_pos0, const int positions,
        const float scale) {
    const int d = get_global_id(0);
    const int h = get_global_id(1);
    if (d >= positions) {
        return;
    }
    float sum = 0.0f;
    for (int r = max(0, d - last_pos0); r < rows; r++) { // rows whose key pos - d exists
        sum += row_probability(q_last, keys, stats, heads, kv_heads, head_size, rows, h, r, last_pos0 + r - d, scale);
    }
    slash[h * positions + d] = sum / rows;
}
