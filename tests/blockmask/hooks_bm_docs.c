/* attention doc_causal(doc: i32[KV]) { mask = doc[q] == doc[kv] && kv <= q; }
 * A data-dependent mask: the analysis cannot bound it, so its key ranges
 * are one partial range over all keys (what the compiler generates for a
 * variant that needs a BlockMask). Independent of b and h. Needs Q <= KV. */
#include "hooks_common.h"

float attn_hook_scale(const attn_ctx *ctx) { return hooks_default_scale(ctx); }

float attn_hook_score(float s, int32_t b, int32_t h, int32_t q, int32_t kv, const attn_ctx *ctx) {
    return s;
}

int32_t attn_hook_mask(int32_t b, int32_t h, int32_t q, int32_t kv, const attn_ctx *ctx) {
    const int32_t *doc = ctx->params[0].u.t.data;
    int64_t st = ctx->params[0].u.t.stride[0];
    return doc[q * st] == doc[kv * st] && kv <= q;
}

int32_t attn_hook_kv_ranges(int32_t b, int32_t h, int32_t q0, int32_t q1, const attn_ctx *ctx,
                            attn_kv_range *out) {
    int32_t n = 0;
    hooks_add_range(out, &n, 0, ctx->dims[ATTN_DIM_KV], 0, ctx->dims[ATTN_DIM_KV]);
    return n;
}
