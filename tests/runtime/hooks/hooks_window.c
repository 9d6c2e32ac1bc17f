/* attention window(w: i32) { mask = kv <= q && q - kv <= w; } */
#include "hooks_common.h"

float attn_hook_scale(const attn_ctx *ctx) { return hooks_default_scale(ctx); }

float attn_hook_score(float s, int32_t b, int32_t h, int32_t q, int32_t kv, const attn_ctx *ctx) {
    return s;
}

int32_t attn_hook_mask(int32_t b, int32_t h, int32_t q, int32_t kv, const attn_ctx *ctx) {
    return kv <= q && q - kv <= ctx->params[0].u.i;
}

/* rows [q0, q1): keys [q1 - 1 - w, q0] are visible to all; the keys
 * [q0 - w, q1 - 1 - w) below and (q0, q1 - 1] above to some. */
int32_t attn_hook_kv_ranges(int32_t b, int32_t h, int32_t q0, int32_t q1, const attn_ctx *ctx,
                            attn_kv_range *out) {
    int32_t n = 0, kv = ctx->dims[ATTN_DIM_KV], w = ctx->params[0].u.i;
    int32_t full_lo = q1 - 1 - w, full_hi = q0 + 1;
    if (full_lo >= full_hi) {
        hooks_add_range(out, &n, q0 - w, q1, 0, kv);
        return n;
    }
    hooks_add_range(out, &n, q0 - w, full_lo, 0, kv);
    hooks_add_range(out, &n, full_lo, full_hi, 1, kv);
    hooks_add_range(out, &n, full_hi, q1, 0, kv);
    return n;
}
