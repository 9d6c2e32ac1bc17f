/* test_variants.c - descriptors of the hand-written variants. */
#include <stddef.h>

#include "test_variants.h"

#define TV_DECLARE(V)                                                                        \
    void V##_fwd_cpu(const attn_fwd_args *, const attn_ctx *, int32_t, int32_t, int32_t);   \
    float V##_hook_scale(const attn_ctx *);                                                 \
    int32_t V##_hook_kv_ranges(int32_t, int32_t, int32_t, int32_t, const attn_ctx *,        \
                               attn_kv_range *);
TV_DECLARE(none)
TV_DECLARE(causal)
TV_DECLARE(window)
TV_DECLARE(docs)
TV_DECLARE(softcap)
TV_DECLARE(shifted)

static const char *const tv_dims[] = {"B", "H", "HKV", "Q", "KV", "D", "DV"};

static const attn_param_desc tv_window_params[] = {
    {.name = "w", .kind = ATTN_PARAM_I32, .pack_dim = -1, .has_default = 1,
     .default_value = {.u.i = 4095}},
};
static const attn_param_desc tv_docs_params[] = {
    {.name = "docs", .kind = ATTN_PARAM_PACK, .pack_dim = ATTN_DIM_KV},
};
static const attn_param_desc tv_softcap_params[] = {
    {.name = "cap", .kind = ATTN_PARAM_F32, .pack_dim = -1},
};
static const attn_param_desc tv_shifted_params[] = {
    {.name = "shift", .kind = ATTN_PARAM_I32, .pack_dim = -1},
};

#define TV_VARIANT(V, P, NP)                                                                 \
    {.name = #V, .kind = ATTN_KIND_ATTENTION, .dims = tv_dims, .ndims = 7, .params = P,     \
     .nparams = NP, .cpu_fwd = V##_fwd_cpu, .hook_scale = V##_hook_scale,                   \
     .kv_ranges = V##_hook_kv_ranges}

static const attn_variant tv_table[TV_COUNT] = {
    TV_VARIANT(none, NULL, 0),
    TV_VARIANT(causal, NULL, 0),
    TV_VARIANT(window, tv_window_params, 1),
    TV_VARIANT(docs, tv_docs_params, 1),
    TV_VARIANT(softcap, tv_softcap_params, 1),
    TV_VARIANT(shifted, tv_shifted_params, 1),
};

const attn_variant *tv_variant(tv_id id) { return &tv_table[id]; }
