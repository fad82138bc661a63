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

// FlexPrefill's estimate for every head: the attention of the call's last `rows` query rows (q_last:
// [rows][heads * head_size], row r at position last_pos0 + r), averaged over the rows, summed per key
// (vertical[h][k]) and per diagonal offset (slash[h][pos - k]). Work-groups take tiles of `tile` keys of one
// head, the keys transposed in local memory; a work-item takes a query row and scores it along the tile
// (innermost loop over keys: a plain vector update, as in block_sparse_attention):
//   last_block_tile_stats   per tile and row: max and normaliser of the row's scaled scores in the tile
//   last_block_row_stats    per row: the tiles' statistics combined
//   last_block_tile_mass    per tile: probabilities; column sums -> vertical, diagonal sums -> partial slash
//   last_block_slash_sum    per diagonal: the partial sums of the (about rows / tile + 2) tiles it crosses
// Each q.k product is computed twice (statistics, then probabilities), no atomics.
// local: k_tile [head_size][tile], p_tile [rows][tile]; global (tiles * local size, heads)

// the tile's keys of this head into k_tile, transposed; returns how many keys the tile has
inline int load_key_tile(__global const float* keys, __local float* k_tile, const int heads, const int kv_heads,
        const int head_size, const int positions, const int tile) {
    const int h = get_group_id(1);
    const int k0 = get_group_id(0) * tile;
    const int count = min(tile, positions - k0);
    const int kv_dim = kv_heads * head_size;
    const int kvo = (h / (heads / kv_heads)) * head_size;
    for (int e = get_local_id(0); e < count * head_size; e += get_local_size(0)) {
        const int j = e / head_size;
        const int d = e - j * head_size;
        k_tile[d * tile + j] = keys[(k0 + j) * kv_dim + kvo + d];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    return count;
}

// row r's scaled scores against the tile into s; -inf where the key is after the row's position
inline void row_scores(__global const float* q_last, __local const float* k_tile, float* s, const int heads,
        const int head_size, const int r, const int last_pos0, const int tile, const int count, const float scale) {
    __global const float* qr = q_last + r * heads * head_size + get_group_id(1) * head_size;
    for (int j = 0; j < count; j++) {
        s[j] = 0.0f;
    }
    for (int d = 0; d < head_size; d++) {
        const float qd = qr[d];
        for (int j = 0; j < count; j++) {
            s[j] += qd * k_tile[d * tile + j];
        }
    }
    const int visible = min(count, last_pos0 + r - (int) get_group_id(0) * tile + 1);
    for (int j = 0; j < count; j++) {
        s[j] = j < visible ? s[j] * scale : -INFINITY;
    }
}

__kernel void last_block_tile_stats(
        __global const float* q_last, __global const float* keys, __global float* tile_stats,
        const int heads, const int kv_heads, const int head_size, const int rows, const int last_pos0,
        const int positions, const int tile, const float scale, __local float* k_tile) {
    const int count = load_key_tile(keys, k_tile, heads, kv_heads, head_size, positions, tile);
    const int h = get_group_id(1);
    const int t = get_group_id(0);
    const int tiles = get_num_groups(0);
    float s[MAX_TILE];
    for (int r = get_local_id(0); r < rows; r += get_local_size(0)) {
        row_scores(q_last, k_tile, s, heads, head_size, r, last_pos0, tile, count, scale);
        float m = -INFINITY;
        for (int j = 0; j < count; j++) {
            m = fmax(m, s[j]);
        }
        float l = 0.0f;
        if (m > -INFINITY) {
            for (int j = 0; j < count; j++) {
                l += exp(s[j] - m);
            }
        }
        tile_stats[((h * tiles + t) * rows + r) * 2] = m;
        tile_stats[((h * tiles + t) * rows + r) * 2 + 1] = l;
    }
}

// stats[h][r] = (max, normaliser) over all tiles; global (rows rounded up, heads)
__kernel void last_block_row_stats(__global const float* tile_stats, __global float* stats, const int rows, const int tiles) {
    const int r = get_global_id(0);
    const int h = get_global_id(1);
    if (r >= rows) {
        return;
    }
    float m = -INFINITY;
    for (int t = 0; t < tiles; t++) {
        m = fmax(m, tile_stats[((h * tiles + t) * rows + r) * 2]);
    }
    float l = 0.0f;
    for (int t = 0; t < tiles; t++) {
        const float mt = tile_stats[((h * tiles + t) * rows + r) * 2];
        if (mt > -INFINITY) {
            l += tile_stats[((h * tiles + t) * rows + r) * 2 + 1] * exp(mt - m);
        }
    }
    stats[(h * rows + r) * 2] = m;
    stats[(h * rows + r) * 2 + 1] = l;
}

// vertical[h][k] (complete) and partial_slash[h][t][j], j = r - (k - k0) + tile - 1 (diagonal
// last_pos0 - k0 + j - tile + 1)
__kernel void last_block_tile_mass(
        __global const float* q_last, __global const float* keys, __global const float* stats, __global float* vertical,
        __global float* partial_slash, const int heads, const int kv_heads, const int head_size, const int rows,
        const int last_pos0, const int positions, const int tile, const float scale,
        __local float* k_tile, __local float* p_tile) {
    const int count = load_key_tile(keys, k_tile, heads, kv_heads, head_size, positions, tile);
    const int h = get_group_id(1);
    const int t = get_group_id(0);
    const int tiles = get_num_groups(0);
    const int k0 = t * tile;
    float s[MAX_TILE];
    for (int r = get_local_id(0); r < rows; r += get_local_size(0)) {
        row_scores(q_last, k_tile, s, heads, head_size, r, last_pos0, tile, count, scale);
        const float m = stats[(h * rows + r) * 2];
        const float inv = 1.0f / stats[(h * rows + r) * 2 + 1];
        for (int j = 0; j < count; j++) {
            p_tile[r * tile + j] = exp(s[j] - m) * inv; // exp(-inf) = 0 where the key is not visible
        }
        for (int j = count; j < tile; j++) {
            p_tile[r * tile + j] = 0.0f;
        }
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int j = get_local_id(0); j < count; j += get_local_size(0)) {
        float column = 0.0f;
        for (int r = 0; r < rows; r++) {
            column += p_tile[r * tile + j];
        }
        vertical[h * positions + k0 + j] = column / rows;
    }
    const int diagonals = rows + tile - 1;
    for (int j = get_local_id(0); j < diagonals; j += get_local_size(0)) {
        float sum = 0.0f;
        for (int r = max(0, j - tile + 1); r <= min(rows - 1, j); r++) {
            sum += p_tile[r * tile + r - j + tile - 1];
        }
        partial_slash[(h * tiles + t) * diagonals + j] = sum;
    }
}

// slash[h][d]: the tiles' partial sums for diagonal d; global (positions rounded up, heads)
__kernel void last_block_slash_sum(__global const float* partial_slash, __global float* slash, const int rows,
        const int last_pos0, const int positions, const int tile, const int tiles) {
    const int d = get_global_id(0);
    const int h = get_global_id(1);
    if (d >= positions) {
        return;
    }
    const int diagonals = rows + tile - 1;
    // j = d - last_pos0 + t * tile + tile - 1 must lie in [0, diagonals)
    const int lo = last_pos0 - d - tile + 1;
    const int t0 = max(0, lo <= 0 ? 0 : (lo + tile - 1) / tile);
    float sum = 0.0f;
    for (int t = t0; t < tiles; t++) {
        const int j = d - last_pos0 + t * tile + tile - 1;
        if (j >= diagonals) {
            break;
        }
        if (j >= 0) {
            sum += partial_slash[(h * tiles + t) * diagonals + j];
        }
    }
    slash[h * positions + d] = sum / rows;
}
