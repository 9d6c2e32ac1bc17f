/* bm_masks.h - mask hooks and variant descriptors for the BlockMask tests
 * and benchmark: two kernel variants with data-dependent masks
 * (variant_bm_*.c) and plain C masks used by the builder tests. */
#ifndef BM_MASKS_H
#define BM_MASKS_H

#include "attn_blockmask.h"

/* doc_causal(doc: i32[KV]): doc[q] == doc[kv] && kv <= q (any b, h). */
const attn_variant *bm_docs_variant(void);
/* table_mask(keep: bool[H, Q, KV]): keep[h, q, kv] (depends on h). */
const attn_variant *bm_table_variant(void);

int32_t bmdocs_hook_mask(int32_t b, int32_t h, int32_t q, int32_t kv, const attn_ctx *ctx);
int32_t bmtable_hook_mask(int32_t b, int32_t h, int32_t q, int32_t kv, const attn_ctx *ctx);

/* NATTEN-like 2D neighbourhood on a W x W grid (q and kv are row-major
 * cells): the window of kernel size dims[7] (odd) around q's centre,
 * clamped to stay inside the grid; W = dims[8]. Independent of b, h. */
int32_t bm_natten_mask(int32_t b, int32_t h, int32_t q, int32_t kv, const attn_ctx *ctx);
/* A mask on b, h, q and kv together: (q * 7 + kv * 3 + b * 5 + h) % 11 < 4
 * within a band |q - kv| < 40; and its sound key ranges (the band). */
int32_t bm_bh_mask(int32_t b, int32_t h, int32_t q, int32_t kv, const attn_ctx *ctx);
/* Causal (kv <= q) and its exact analytic ranges. */
int32_t bm_causal_mask(int32_t b, int32_t h, int32_t q, int32_t kv, const attn_ctx *ctx);
int32_t bm_causal_ranges(int32_t b, int32_t h, int32_t q0, int32_t q1, const attn_ctx *ctx,
                         attn_kv_range *out);

#endif
