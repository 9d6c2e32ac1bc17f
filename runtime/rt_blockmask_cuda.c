/* rt_blockmask_cuda.c - attn_block_mask_to_cuda (attn_gpu.h): a BlockMask's
 * key-side tables copied into CUDA device memory once, so that GPU launches
 * reusing it read them in place instead of copying them per launch. */
#include <stdlib.h>

#include "attn_cuda.h"
#include "attn_gpu.h"
#include "rt_blockmask.h"

attn_status attn_block_mask_to_cuda(const attn_block_mask *m, attn_block_mask **out) {
    if (!out)
        return rt_fail(ATTN_ERR_INVALID_ARG, "attn_block_mask_to_cuda: out is NULL");
    *out = NULL;
    if (!m)
        return rt_fail(ATTN_ERR_INVALID_ARG, "attn_block_mask_to_cuda: the BlockMask is NULL");
    if (m->device != ATTN_BLOCK_MASK_HOST)
        return rt_fail(ATTN_ERR_INVALID_ARG,
                       "attn_block_mask_to_cuda: the BlockMask is in device memory already");
    int64_t rows, cells;
    if (!rt_bm_kv_sizes(m, &rows, &cells))
        return rt_fail(ATTN_ERR_SHAPE, "attn_block_mask_to_cuda: %d x %d heads of %d x %d blocks "
                       "is not a valid BlockMask", (int)m->B, (int)m->H, (int)m->nqb, (int)m->nkvb);
    const size_t bytes = (size_t)(2 * (rows + cells)) * sizeof(int32_t);
    attn_block_mask *d = malloc(sizeof *d);
    void *t = NULL;
    attn_status s = d ? attn_cuda_malloc(bytes > 0 ? bytes : sizeof(int32_t), &t)
                      : rt_fail(ATTN_ERR_NO_MEMORY, "attn_block_mask_to_cuda: out of memory");
    if (s != ATTN_OK) {
        free(d);
        return s;
    }
    *d = *m;
    rt_bm_device_layout(d, t, rows, cells);
    const int32_t *src[4] = {m->kv_num_blocks, m->full_kv_num_blocks, m->kv_indices,
                             m->full_kv_indices};
    int32_t *dst[4] = {d->kv_num_blocks, d->full_kv_num_blocks, d->kv_indices, d->full_kv_indices};
    const int64_t n[4] = {rows, rows, cells, cells};
    for (int i = 0; i < 4 && s == ATTN_OK; i++)
        if (n[i] > 0)
            s = attn_cuda_memcpy_htod(dst[i], src[i], (size_t)n[i] * sizeof(int32_t));
    if (s != ATTN_OK) {
        attn_cuda_free(t);
        free(d);
        return s;
    }
    *out = d;
    return ATTN_OK;
}
