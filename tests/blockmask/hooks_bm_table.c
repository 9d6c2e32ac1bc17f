/* attention table_mask(keep: bool[H, Q, KV]) { mask = keep[h, q, kv]; }
 * A boolean table per head: depends on h, not on b; dense key ranges. */
#include "hooks_common.h"

float attn_hook_scale(const attn_ctx *ctx) { return hooks_default_scale(ctx); }

float attn_hook_score(float s, int32_t b, int32_t h, int32_t q, int32_t kv, const attn_ctx *ctx) {
    return s;
}

int32_t attn_hook_mask(int32_t b, int32_t h, int32_t q, int32_t kv, const attn_ctx *ctx) {
    const attn_tensor_arg *t = &ctx->params[0].u.t;
    const uint8_t *keep = t->data;
    return keep[h * t->stride[0] + q * t->stride[1] + kv * t->stride[2]] != 0;
}

int32_t attn_hook_kv_ranges(int32_t b, int32_t h, int32_t q0, int32_t q1, const attn_ctx *ctx,
                            attn_kv_range *out) {
    int32_t n = 0;
    hooks_add_range(out, &n, 0, ctx->dims[ATTN_DIM_KV], 0, ctx->dims[ATTN_DIM_KV]);
    return n;
}
