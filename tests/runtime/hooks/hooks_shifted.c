/* attention shifted(shift: i32) { mask = kv + shift <= q; }
 * Rows q < shift see no key at all (out = 0, lse = -inf). */
#include "hooks_common.h"

float attn_hook_scale(const attn_ctx *ctx) { return hooks_default_scale(ctx); }

float attn_hook_score(float s, int32_t b, int32_t h, int32_t q, int32_t kv, const attn_ctx *ctx) {
    return s;
}

int32_t attn_hook_mask(int32_t b, int32_t h, int32_t q, int32_t kv, const attn_ctx *ctx) {
    return kv + ctx->params[0].u.i <= q;
}

int32_t attn_hook_kv_ranges(int32_t b, int32_t h, int32_t q0, int32_t q1, const attn_ctx *ctx,
                            attn_kv_range *out) {
    int32_t n = 0, kv = ctx->dims[ATTN_DIM_KV], shift = ctx->params[0].u.i;
    hooks_add_range(out, &n, 0, q0 - shift + 1, 1, kv);
    hooks_add_range(out, &n, q0 - shift + 1, q1 - shift, 0, kv);
    return n;
}
