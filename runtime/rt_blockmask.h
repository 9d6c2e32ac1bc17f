/* rt_blockmask.h - the runtime's private BlockMask entry points (the
 * public API is include/attn_blockmask.h). */
#ifndef ATTN_RT_BLOCKMASK_H
#define ATTN_RT_BLOCKMASK_H

#include "attn_blockmask.h"

/* The BlockMask a CPU launch of var uses, given its bound ctx and options:
 * opts->block_mask when set (checked against the launch's dims), else one
 * built now when var->needs_block_mask (owned by *owned: the caller frees
 * it with attn_block_mask_free after the launch), else none. On success
 * *use points at *view or is NULL. */
attn_status rt_block_mask_for_launch(const attn_variant *var, const attn_launch_opts *opts,
                                     const attn_ctx *ctx, attn_block_mask **owned,
                                     attn_block_mask_view *view, const attn_block_mask_view **use);

/* Key positions the blocks of row (b, h, qb) of view cover (an upper bound
 * on the work of that CPU work item). */
int64_t rt_block_mask_row_keys(const attn_block_mask_view *view, int32_t b, int32_t h, int32_t qb);

#endif
