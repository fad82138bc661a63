// DHSA's selection on the device (DhsaAttention, ChunkBoundaries.SimilarityDrops), step for step as the
// CPU does it, so that the block list never leaves the device before the block-sparse kernel reads it:
//   dhsa_boundary_scores  1 - cos(mean of the `window` keys before t, mean of those from t), per KV head
//   dhsa_cuts             candidates (window maxima), the best chunks - 1 of them in position order
//   dhsa_chunk_repr       each chunk's keys summed / sqrt(length) (= mean x sqrt(length))
//   dhsa_query_repr       each query block's rows of each head, the same
//   dhsa_select_blocks    per (head, query block): key block scores (best overlapping chunk), top-k
//                         within the budget, plus the sink, the recent window and the block itself
// Top-k: the k-th largest score by bisection on its bits (32 work-group counts), then an ordered
// compaction, ties taken in position order as the CPU takes them. Plain OpenCL C 1.2.
#pragma OPENCL FP_CONTRACT OFF

// floats as unsigned ints in the same order; 0 stays below every float: "not a candidate"
inline uint ordered(const float x) {
    const uint b = as_uint(x + 0.0f); // no negative zero
    return max((b & 0x80000000u) ? ~b : (b | 0x80000000u), 1u);
}

// red: get_local_size(0) + 1 ints of local memory. Returns the sum of v over the work-items before this
// one and sets *total to the sum over all of them.
inline int wg_scan(const int v, __local int* red, int* total) {
    const int lid = get_local_id(0);
    const int wg = get_local_size(0);
    red[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    if (lid == 0) {
        int s = 0;
        for (int i = 0; i < wg; i++) {
            const int x = red[i];
            red[i] = s;
            s += x;
        }
        red[wg] = s;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    const int before = red[lid];
    *total = red[wg];
    barrier(CLK_LOCAL_MEM_FENCE); // red is reused at once
    return before;
}

// the sum of v over the work-group, for every work-item
inline int wg_sum(const int v, __local int* red) {
    int total;
    wg_scan(v, red, &total);
    return total;
}

// KTH_LARGEST: the largest t with |{i : keys[i] >= t}| >= k, i.e. the k-th largest key (1 <= k < n).
// KEEP_IN_ORDER: writes i + value_offset for every i with keys[i] > t and for the first `ties` with
// keys[i] == t, ascending, to out; returns how many. Each work-item walks one contiguous segment.
#define TOP_K(SPACE, SUFFIX) \
inline uint kth_largest_##SUFFIX(SPACE const uint* keys, const int n, const int k, __local int* red) { \
    uint t = 0; \
    for (int bit = 31; bit >= 0; bit--) { \
        const uint c = t | (1u << bit); \
        int count = 0; \
        for (int i = get_local_id(0); i < n; i += get_local_size(0)) { \
            count += keys[i] >= c; \
        } \
        if (wg_sum(count, red) >= k) { \
            t = c; \
        } \
    } \
    return t; \
} \
inline int count_above_##SUFFIX(SPACE const uint* keys, const int n, const uint t, __local int* red) { \
    int count = 0; \
    for (int i = get_local_id(0); i < n; i += get_local_size(0)) { \
        count += keys[i] > t; \
    } \
    return wg_sum(count, red); \
} \
inline int keep_in_order_##SUFFIX(SPACE const uint* keys, const int n, const uint t, const int ties, \
        __global int* out, const int value_offset, __local int* red) { \
    const int seg = (n + get_local_size(0) - 1) / get_local_size(0); \
    const int from = min(n, (int) get_local_id(0) * seg); \
    const int to = min(n, from + seg); \
    int equal = 0; \
    for (int i = from; i < to; i++) { \
        equal += keys[i] == t; \
    } \
    int total; \
    const int equal_before = wg_scan(equal, red, &total); \
    int kept = 0; \
    for (int i = from, e = equal_before; i < to; i++) { \
        kept += keys[i] > t || (keys[i] == t && e++ < ties); \
    } \
    int o = wg_scan(kept, red, &total); \
    for (int i = from, e = equal_before; i < to; i++) { \
        if (keys[i] > t || (keys[i] == t && e++ < ties)) { \
            out[o++] = i + value_offset; \
        } \
    } \
    return total; \
}
TOP_K(__global, global)
TOP_K(__local, local)

// score[g][t], t >= 1; global (positions rounded up, kv_heads)
__kernel void dhsa_boundary_scores(__global const float* keys, __global float* score,
        const int positions, const int kv_heads, const int head_size, const int window) {
    const int t = get_global_id(0);
    const int g = get_global_id(1);
    if (t < 1 || t >= positions) {
        return;
    }
    const int kv_dim = kv_heads * head_size;
    const int lf = max(0, t - window);
    const int rt = min(positions, t + window);
    float dot = 0.0f, nl = 0.0f, nr = 0.0f;
    for (int d = 0; d < head_size; d++) {
        float l = 0.0f, r = 0.0f;
        for (int p = lf; p < t; p++) {
            l += keys[p * kv_dim + g * head_size + d];
        }
        for (int p = t; p < rt; p++) {
            r += keys[p * kv_dim + g * head_size + d];
        }
        l /= (float) (t - lf);
        r /= (float) (rt - t);
        dot += l * r;
        nl += l * l;
        nr += r * r;
    }
    score[g * positions + t] = 1.0f - dot / sqrt(fmax(nl * nr, 1e-30f));
}

// one work-group per KV head (global (local size, kv_heads)): starts[g][0 .. chunk_count[g]), starts[g][0] = 0
__kernel void dhsa_cuts(__global const float* score, __global uint* cand_keys, __global int* starts,
        __global int* chunk_count, const int positions, const int suppression, const int max_chunks,
        __local int* red) {
    const int g = get_group_id(1);
    __global const float* s = score + g * positions;
    __global uint* keys = cand_keys + g * positions;
    int candidates = 0;
    for (int t = get_local_id(0); t < positions; t += get_local_size(0)) {
        bool candidate = t >= 1;
        for (int u = max(1, t - suppression + 1); candidate && u < t; u++) {
            candidate = s[t] > s[u];
        }
        for (int u = t + 1; candidate && u < min(positions, t + suppression); u++) {
            candidate = s[t] >= s[u];
        }
        keys[t] = candidate ? ordered(s[t]) : 0u;
        candidates += candidate;
    }
    barrier(CLK_GLOBAL_MEM_FENCE);
    candidates = wg_sum(candidates, red);
    const int wanted = max_chunks - 1;
    uint t = 0; // take every candidate
    int ties = 0;
    if (candidates > wanted) {
        if (wanted == 0) {
            t = 0xFFFFFFFFu;
        } else {
            t = kth_largest_global(keys, positions, wanted, red);
            ties = wanted - count_above_global(keys, positions, t, red);
        }
    }
    if (get_local_id(0) == 0) {
        starts[g * max_chunks] = 0;
    }
    const int cuts = keep_in_order_global(keys, positions, t, ties, starts + g * max_chunks + 1, 0, red);
    if (get_local_id(0) == 0) {
        chunk_count[g] = cuts + 1;
    }
}

// repr[g][c][d]; global (head_size, max_chunks, kv_heads)
__kernel void dhsa_chunk_repr(__global const float* keys, __global const int* starts, __global const int* chunk_count,
        __global float* repr, const int positions, const int kv_heads, const int head_size, const int max_chunks) {
    const int d = get_global_id(0);
    const int c = get_global_id(1);
    const int g = get_global_id(2);
    const int count = chunk_count[g];
    if (d >= head_size || c >= count) {
        return;
    }
    const int s = starts[g * max_chunks + c];
    const int e = c + 1 < count ? starts[g * max_chunks + c + 1] : positions;
    const float w = 1.0f / sqrt((float) (e - s));
    float acc = 0.0f;
    for (int p = s; p < e; p++) {
        acc += w * keys[p * kv_heads * head_size + g * head_size + d];
    }
    repr[(g * max_chunks + c) * head_size + d] = acc;
}

// qrepr[h][b][d] over the query block's rows of this call; global (head_size, query_blocks, heads)
__kernel void dhsa_query_repr(__global const float* q, __global float* qrepr, const int n, const int start_pos,
        const int heads, const int head_size, const int query_block, const int first_qb, const int query_blocks) {
    const int d = get_global_id(0);
    const int b = get_global_id(1);
    const int h = get_global_id(2);
    if (d >= head_size) {
        return;
    }
    const int qb = first_qb + b;
    const int qs = max(qb * query_block, start_pos);
    const int qe = min(qb * query_block + query_block - 1, start_pos + n - 1);
    const float w = 1.0f / sqrt((float) (qe - qs + 1));
    float acc = 0.0f;
    for (int pos = qs; pos <= qe; pos++) {
        acc += w * q[(pos - start_pos) * heads * head_size + h * head_size + d];
    }
    qrepr[(h * query_blocks + b) * head_size + d] = acc;
}

// the chunk holding position p: the last c with starts[c] <= p
inline int chunk_of(__global const int* starts, const int count, const int p) {
    int lo = 0, hi = count - 1;
    while (lo < hi) {
        const int mid = (lo + hi + 1) / 2;
        if (starts[mid] <= p) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    return lo;
}

inline float dot_vec(__global const float* a, __global const float* b, const int n) {
    float s = 0.0f;
    for (int d = 0; d < n; d++) {
        s += a[d] * b[d];
    }
    return s;
}

// one work-group per (query block, head): global (local size * query_blocks, heads). The host sized
// offsets from the same rule (1 + min(candidates, top_k) + forced blocks per list), block_keys to the
// largest candidate count and chunk_score to max_chunks.
__kernel void dhsa_select_blocks(__global const float* qrepr, __global const float* repr, __global const int* starts,
        __global const int* chunk_count, __global const int* offsets, __global int* blocks,
        const int n, const int start_pos, const int heads, const int kv_heads, const int head_size,
        const int query_block, const int key_block, const int first_qb, const int query_blocks, const int max_chunks,
        const int recent, const int top_k, __local uint* block_keys, __local float* chunk_score, __local int* red) {
    const int b = get_group_id(0);
    const int h = get_group_id(1);
    const int g = h / (heads / kv_heads);
    const int qb = first_qb + b;
    const int qs = max(qb * query_block, start_pos);
    const int qe = min(qb * query_block + query_block - 1, start_pos + n - 1);
    const int last_block = qe / key_block;
    const int recent_from = max(0, min(qs, qe - recent + 1));
    const int forced_from = recent_from / key_block;
    const int count = chunk_count[g];
    __global const int* st = starts + g * max_chunks;
    __global const float* qr = qrepr + (h * query_blocks + b) * head_size;
    const int candidates = max(0, forced_from - 1); // key blocks 1 .. forced_from - 1, at index kb - 1
    // each chunk the candidates overlap scored once (a chunk may span several key blocks)
    const int scored = candidates > 0 ? chunk_of(st, count, forced_from * key_block - 1) + 1 : 0;
    for (int c = get_local_id(0); c < scored; c += get_local_size(0)) {
        chunk_score[c] = dot_vec(qr, repr + (g * max_chunks + c) * head_size, head_size);
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int i = get_local_id(0); i < candidates; i += get_local_size(0)) {
        const int p0 = (i + 1) * key_block;
        float best = -INFINITY;
        for (int c = chunk_of(st, count, p0); c <= chunk_of(st, count, p0 + key_block - 1); c++) {
            best = fmax(best, chunk_score[c]);
        }
        block_keys[i] = ordered(best);
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    __global int* out = blocks + offsets[h * query_blocks + b];
    uint t = 0;
    int ties = 0;
    if (candidates > top_k) {
        t = kth_largest_local(block_keys, candidates, top_k, red);
        ties = top_k - count_above_local(block_keys, candidates, t, red);
    }
    if (get_local_id(0) == 0) {
        out[0] = 0; // the sink
    }
    const int kept = keep_in_order_local(block_keys, candidates, t, ties, out + 1, 1, red);
    const int forced0 = max(1, forced_from);
    for (int kb = forced0 + get_local_id(0); kb <= last_block; kb += get_local_size(0)) {
        out[1 + kept + kb - forced0] = kb;
    }
}
