/* attention packed_causal(docs: pack) { mask = docs.same(q, kv) && kv <= q; } */
#include "hooks_common.h"

float attn_hook_scale(const attn_ctx *ctx) { return hooks_default_scale(ctx); }

float attn_hook_score(float s, int32_t b, int32_t h, int32_t q, int32_t kv, const attn_ctx *ctx) {
    return s;
}

int32_t attn_hook_mask(int32_t b, int32_t h, int32_t q, int32_t kv, const attn_ctx *ctx) {
    const attn_pack_arg *p = &ctx->params[0].u.p;
    return p->seg_of[q] == p->seg_of[kv] && kv <= q;
}

/* rows [q0, q1): keys from the start of q0's document; when the block lies
 * in one document, [start, q0] is visible to all rows. */
int32_t attn_hook_kv_ranges(int32_t b, int32_t h, int32_t q0, int32_t q1, const attn_ctx *ctx,
                            attn_kv_range *out) {
    const attn_pack_arg *p = &ctx->params[0].u.p;
    int32_t n = 0, kv = ctx->dims[ATTN_DIM_KV];
    int32_t start = p->offsets[p->seg_of[q0]];
    if (p->seg_of[q0] == p->seg_of[q1 - 1]) {
        hooks_add_range(out, &n, start, q0 + 1, 1, kv);
        hooks_add_range(out, &n, q0 + 1, q1, 0, kv);
    } else {
        hooks_add_range(out, &n, start, q1, 0, kv);
    }
    return n;
}
