/* rt_blockmask.c - BlockMask ownership, size, sparsity and the kernels'
 * view (building: rt_blockmask_build.c). */
#include <stdint.h>
#include <stdlib.h>

#include "attn_cuda.h"
#include "rt_blockmask.h"
#include "rt_cuda.h"

void attn_block_mask_free(attn_block_mask *m) {
    if (!m)
        return;
    /* kv_num_blocks: the one allocation holding every table */
    if (m->device == ATTN_BLOCK_MASK_CUDA)
        attn_cuda_free(m->kv_num_blocks);
    else
        free(m->kv_num_blocks);
    free(m);
}

int64_t attn_block_mask_bytes(const attn_block_mask *m) {
    if (!m)
        return 0;
    int64_t bh = (int64_t)m->B * m->H;
    int64_t ints = 2 * bh * m->nqb + 2 * bh * m->nqb * m->nkvb; /* key side */
    if (m->device != ATTN_BLOCK_MASK_CUDA)
        ints += 2 * bh * m->nkvb + 2 * bh * m->nqb * m->nkvb;
    return ints * (int64_t)sizeof(int32_t) + (int64_t)sizeof *m;
}

attn_block_mask_stats attn_block_mask_sparsity(const attn_block_mask *m) {
    attn_block_mask_stats st = {0, 0, 0, 0.0};
    if (!m || m->device == ATTN_BLOCK_MASK_CUDA)
        return st;
    int64_t rows = (int64_t)m->B * m->H * m->nqb;
    for (int64_t r = 0; r < rows; r++) {
        st.partial += m->kv_num_blocks[r];
        st.full += m->full_kv_num_blocks[r];
    }
    int64_t total = rows * m->nkvb;
    st.empty = total - st.partial - st.full;
    st.visible_fraction = total > 0 ? (double)(st.partial + st.full) / (double)total : 0.0;
    return st;
}

attn_block_mask_view attn_block_mask_view_of(const attn_block_mask *m) {
    attn_block_mask_view v = {m->kv_num_blocks, m->kv_indices, m->full_kv_num_blocks,
                              m->full_kv_indices, m->B > 1 ? (int64_t)m->H * m->nqb : 0,
                              m->H > 1 ? m->nqb : 0, m->nkvb, m->block_q, m->block_kv};
    return v;
}

bool rt_bm_kv_sizes(const attn_block_mask *m, int64_t *rows, int64_t *cells) {
    return m->B >= 0 && m->H >= 0 && m->nqb >= 0 && m->nkvb >= 0 &&
           !__builtin_mul_overflow((int64_t)m->B * m->H, (int64_t)m->nqb, rows) &&
           !__builtin_mul_overflow(*rows, (int64_t)m->nkvb, cells) &&
           *cells <= INT64_MAX / 8 - *rows;
}

void rt_bm_device_layout(attn_block_mask *m, int32_t *base, int64_t rows, int64_t cells) {
    int ordinal = 0; /* base was just allocated in the current context */
    rt_cuda_context_ordinal(&ordinal);
    m->device = ATTN_BLOCK_MASK_CUDA;
    m->device_id = ordinal;
    m->kv_num_blocks = base;
    m->full_kv_num_blocks = base + rows;
    m->kv_indices = base + 2 * rows;
    m->full_kv_indices = base + 2 * rows + cells;
    m->q_num_blocks = m->q_indices = m->full_q_num_blocks = m->full_q_indices = NULL;
}

int64_t rt_block_mask_row_keys(const attn_block_mask_view *v, int32_t b, int32_t h, int32_t qb) {
    int64_t row = b * v->row_stride_b + h * v->row_stride_h + qb;
    return ((int64_t)v->kv_num_blocks[row] + v->full_kv_num_blocks[row]) * v->block_kv;
}
