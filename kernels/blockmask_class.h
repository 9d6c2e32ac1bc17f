/* blockmask_class.h - what the CPU BlockMask builder (runtime/rt_blockmask_build.c)
 * and the GPU one (kernels/blockmask_gpu.c) share: block classes, the blocks'
 * bounds, the classification by key ranges and the compaction of a row or
 * column of classes into FlexAttention's count + ascending index list.
 * Plain C, static inline: compiled into the runtime by gcc and into the GPU
 * template by clang-19 (NVPTX and the emulator). */
#ifndef ATTN_BLOCKMASK_CLASS_H
#define ATTN_BLOCKMASK_CLASS_H

#include "attn_abi.h"

enum { ATTN_BM_EMPTY, ATTN_BM_PARTIAL, ATTN_BM_FULL };

/* The positions [*lo, *hi) of block i of `size` positions along an axis of
 * `len` (the last block may be short). */
static inline void attn_bm_block_bounds(int32_t i, int32_t size, int32_t len, int32_t *lo,
                                        int32_t *hi)
{
    *lo = i * size;
    *hi = len - *lo < size ? len : *lo + size;
}

/* Row index -> the (b, h) it is evaluated at and its query block, for
 * tables of H heads (stored) and nqb query blocks per head. */
static inline void attn_bm_row(int64_t row, int32_t H, int32_t nqb, int32_t *b, int32_t *h,
                               int32_t *qb)
{
    *qb = (int32_t)(row % nqb);
    *h = (int32_t)(row / nqb % H);
    *b = (int32_t)(row / nqb / H);
}

/* What sound key ranges r[0..nr) say about keys [k0, k1): ATTN_BM_EMPTY when
 * no range meets them, ATTN_BM_FULL when one full range covers them, else
 * ATTN_BM_PARTIAL (the mask must be evaluated). */
static inline uint8_t attn_bm_range_class(const attn_kv_range *r, int32_t nr, int32_t k0,
                                          int32_t k1)
{
    uint8_t c = ATTN_BM_EMPTY;
    for (int32_t i = 0; i < nr; i++) {
        if (r[i].hi <= k0 || r[i].lo >= k1)
            continue;
        if (r[i].full && r[i].lo <= k0 && k1 <= r[i].hi)
            return ATTN_BM_FULL;
        c = ATTN_BM_PARTIAL;
    }
    return c;
}

/* Compacts the n classes cls[0], cls[stride], ... into the ascending
 * indices of the partial ones (part[0 .. *np)) and of the full ones
 * (full[0 .. *nf)). Entries past the counts are left alone. */
static inline void attn_bm_compact(const uint8_t *cls, int64_t stride, int32_t n, int32_t *part,
                                   int32_t *full, int32_t *np, int32_t *nf)
{
    int32_t p = 0, f = 0;
    for (int32_t i = 0; i < n; i++) {
        uint8_t c = cls[i * stride];
        if (c == ATTN_BM_PARTIAL)
            part[p++] = i;
        else if (c == ATTN_BM_FULL)
            full[f++] = i;
    }
    *np = p;
    *nf = f;
}

#endif
