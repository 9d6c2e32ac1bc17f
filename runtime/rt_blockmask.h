/* rt_blockmask.h - the runtime's private BlockMask entry points (the
 * public API is include/attn_blockmask.h). */
#ifndef ATTN_RT_BLOCKMASK_H
#define ATTN_RT_BLOCKMASK_H

#include <stdbool.h>

#include "attn_blockmask.h"
#include "rt_internal.h"

/* The BlockMask a CPU launch of var uses, given its bound ctx and options:
 * opts->block_mask when set (checked against the launch's dims), else one
 * built now when var->needs_block_mask (owned by *owned: the caller frees
 * it with attn_block_mask_free after the launch), else none. On success
 * *use points at *view or is NULL. */
attn_status rt_block_mask_for_launch(const attn_variant *var, const attn_launch_opts *opts,
                                     const attn_ctx *ctx, attn_block_mask **owned,
                                     attn_block_mask_view *view, const attn_block_mask_view **use);

/* Requires BlockMask m to cover a launch of dims (ctx.dims order): the same
 * Q and KV, B and H equal or 1 (shared). */
attn_status rt_bm_check_dims(const attn_block_mask *m, const int32_t *dims);

/* Validates ctx's dims and the options' block sizes and fills m's shape
 * fields (block sizes, stored B and H, lengths, block counts). */
attn_status rt_bm_shape(const attn_ctx *ctx, const attn_block_mask_opts *o, attn_block_mask *m);

/* Allocates m's eight tables (shape set) in one zeroed block that
 * m->kv_num_blocks owns; fails cleanly when their size overflows. */
attn_status rt_bm_alloc_tables(attn_block_mask *m);

/* Options for var's mask: its b/h independence and key ranges over opts'
 * (NULL: defaults). */
attn_block_mask_opts rt_bm_variant_opts(const attn_variant *var, const attn_block_mask_opts *opts);

/* The standard dims of the public builders, which are given only B, H, Q
 * and KV (HKV = H, D = DV = 0), into std; refuses (naming fn) a variant
 * whose mask reads HKV, D or DV (mask_reads_launch_dims). */
attn_status rt_bm_public_dims(const attn_variant *var, const char *fn, int64_t B, int64_t H,
                              int64_t Q, int64_t KV, int64_t std[ATTN_DIM_STANDARD_COUNT]);

/* Checks var (an attention variant carrying a mask hook) and binds its
 * arguments as attn_block_mask_build does: ctx gets the standard dims std
 * (B, H, HKV, Q, KV, D, DV: the public builders know B, H, Q and KV, and
 * give HKV = H, D = DV = 0; a launch gives its own) and the bound slots of
 * *bound (free with rt_bound_free on success). */
attn_status rt_bm_variant_ctx(const attn_variant *var, const int64_t std[ATTN_DIM_STANDARD_COUNT],
                              const attn_arg *args, int32_t nargs, attn_ctx *ctx, rt_bound *bound);

/* The lengths in int32s of m's key-side tables: *rows for kv_num_blocks and
 * full_kv_num_blocks (B * H * nqb), *cells for kv_indices and
 * full_kv_indices (rows * nkvb); false when a size is negative or overflows. */
bool rt_bm_kv_sizes(const attn_block_mask *m, int64_t *rows, int64_t *cells);

/* Makes m a CUDA BlockMask whose key-side tables lie in the one device
 * allocation base, in the host order (kv_num_blocks, full_kv_num_blocks,
 * kv_indices, full_kv_indices; rows and cells as rt_bm_kv_sizes), the
 * query side NULL: attn_block_mask_free frees base. Its device_id is the
 * current context's device (where base was allocated). */
void rt_bm_device_layout(attn_block_mask *m, int32_t *base, int64_t rows, int64_t cells);

/* Key positions the blocks of row (b, h, qb) of view cover (an upper bound
 * on the work of that CPU work item). */
int64_t rt_block_mask_row_keys(const attn_block_mask_view *view, int32_t b, int32_t h, int32_t qb);

#endif
