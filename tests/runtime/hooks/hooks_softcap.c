/* attention softcap(cap: f32) { score = cap * tanh(score / cap); } */
#include "cpu_vec.h"
#include "hooks_common.h"

/* tanh through the kernel's exp2, so the hook vectorizes as a generated one
 * would: tanh|x| = (1 - e) / (1 + e), e = 2^(-2|x| log2 e); absolute error
 * below 2e-7 (relative error grows near 0, where cap * tanh(x / cap) ~ x). */
static inline float hooks_tanh(float x) {
    float ax = x < 0 ? -x : x;
    float e = cpu_exp2(-2.8853900817779268f * ax);
    float t = (1.0f - e) / (1.0f + e);
    return x < 0 ? -t : t;
}

float attn_hook_scale(const attn_ctx *ctx) { return hooks_default_scale(ctx); }

float attn_hook_score(float s, int32_t b, int32_t h, int32_t q, int32_t kv, const attn_ctx *ctx) {
    float cap = ctx->params[0].u.f;
    return cap * hooks_tanh(s / cap);
}

int32_t attn_hook_mask(int32_t b, int32_t h, int32_t q, int32_t kv, const attn_ctx *ctx) {
    return 1;
}

int32_t attn_hook_kv_ranges(int32_t b, int32_t h, int32_t q0, int32_t q1, const attn_ctx *ctx,
                            attn_kv_range *out) {
    int32_t n = 0;
    hooks_add_range(out, &n, 0, ctx->dims[ATTN_DIM_KV], 1, ctx->dims[ATTN_DIM_KV]);
    return n;
}
