/* hooks_common.h - small helpers shared by the hand-written test hooks
 * (stand-ins for what lower_*.c generates from .attn sources). */
#ifndef HOOKS_COMMON_H
#define HOOKS_COMMON_H

#include <math.h>

#include "attn_abi.h"

/* Appends [lo, hi) clipped to [0, kv_len) to out[*n] when non-empty. */
static inline void hooks_add_range(attn_kv_range *out, int32_t *n, int32_t lo, int32_t hi,
                                   int32_t full, int32_t kv_len) {
    lo = lo < 0 ? 0 : lo;
    hi = hi > kv_len ? kv_len : hi;
    if (lo < hi) {
        out[*n].lo = lo;
        out[*n].hi = hi;
        out[*n].full = full;
        (*n)++;
    }
}

static inline float hooks_default_scale(const attn_ctx *ctx) {
    return 1.0f / sqrtf((float)ctx->dims[ATTN_DIM_D]);
}

#endif
