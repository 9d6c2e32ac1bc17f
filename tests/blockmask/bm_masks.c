/* bm_masks.c - see bm_masks.h. */
#include <stdlib.h>

#include "bm_masks.h"

#define BM_DECLARE(V)                                                                       \
    void V##_fwd_cpu(const attn_fwd_args *, const attn_ctx *, int32_t, int32_t, int32_t);  \
    float V##_hook_scale(const attn_ctx *);                                                \
    int32_t V##_hook_kv_ranges(int32_t, int32_t, int32_t, int32_t, const attn_ctx *,       \
                               attn_kv_range *);
BM_DECLARE(bmdocs)
BM_DECLARE(bmtable)

static const char *const bm_dims[] = {"B", "H", "HKV", "Q", "KV", "D", "DV"};

static const attn_param_desc bm_docs_params[] = {
    {.name = "doc", .kind = ATTN_PARAM_TENSOR, .dtype = ATTN_I32, .rank = 1,
     .dim_id = {ATTN_DIM_KV}, .pack_dim = -1},
};
static const attn_param_desc bm_table_params[] = {
    {.name = "keep", .kind = ATTN_PARAM_TENSOR, .dtype = ATTN_BOOL, .rank = 3,
     .dim_id = {ATTN_DIM_H, ATTN_DIM_Q, ATTN_DIM_KV}, .pack_dim = -1},
};

static const attn_variant bm_docs = {
    .name = "doc_causal", .kind = ATTN_KIND_ATTENTION, .dims = bm_dims, .ndims = 7,
    .params = bm_docs_params, .nparams = 1, .cpu_fwd = bmdocs_fwd_cpu,
    .hook_scale = bmdocs_hook_scale, .kv_ranges = bmdocs_hook_kv_ranges,
    .mask_fn = bmdocs_hook_mask, .needs_block_mask = 1, .mask_independent_of_b = 1,
    .mask_independent_of_h = 1};
static const attn_variant bm_table = {
    .name = "table_mask", .kind = ATTN_KIND_ATTENTION, .dims = bm_dims, .ndims = 7,
    .params = bm_table_params, .nparams = 1, .cpu_fwd = bmtable_fwd_cpu,
    .hook_scale = bmtable_hook_scale, .kv_ranges = bmtable_hook_kv_ranges,
    .mask_fn = bmtable_hook_mask, .needs_block_mask = 1, .mask_independent_of_b = 1};

const attn_variant *bm_docs_variant(void) { return &bm_docs; }
const attn_variant *bm_table_variant(void) { return &bm_table; }

static int32_t bm_clamp(int32_t x, int32_t lo, int32_t hi) { return x < lo ? lo : x > hi ? hi : x; }

int32_t bm_natten_mask(int32_t b, int32_t h, int32_t q, int32_t kv, const attn_ctx *ctx) {
    int32_t k = ctx->dims[7], w = ctx->dims[8], r = k / 2;
    int32_t cx = bm_clamp(q % w, r, w - 1 - r), cy = bm_clamp(q / w, r, w - 1 - r);
    return abs(cx - kv % w) <= r && abs(cy - kv / w) <= r;
}

int32_t bm_bh_mask(int32_t b, int32_t h, int32_t q, int32_t kv, const attn_ctx *ctx) {
    return abs(q - kv) < 40 && (q * 7 + kv * 3 + b * 5 + h) % 11 < 4;
}

int32_t bm_causal_mask(int32_t b, int32_t h, int32_t q, int32_t kv, const attn_ctx *ctx) {
    return kv <= q;
}

/* rows [q0, q1): keys [0, q0] are full, (q0, q1) partial. */
int32_t bm_causal_ranges(int32_t b, int32_t h, int32_t q0, int32_t q1, const attn_ctx *ctx,
                         attn_kv_range *out) {
    int32_t n = 0, kv = ctx->dims[ATTN_DIM_KV];
    if (q0 + 1 <= kv) {
        out[n++] = (attn_kv_range){0, q0 + 1, 1};
        if (q0 + 1 < q1 && q0 + 1 < kv)
            out[n++] = (attn_kv_range){q0 + 1, q1 < kv ? q1 : kv, 0};
    } else if (kv > 0) {
        out[n++] = (attn_kv_range){0, kv, 1};
    }
    return n;
}
