/* rt_blockmask_variant.c - BlockMasks of attention variants: built from a
 * variant and its arguments (attn_block_mask_build), and chosen or built for
 * one CPU launch (rt_block_mask_for_launch). */
#include "rt_internal.h"
#include "rt_blockmask.h"

attn_block_mask_opts rt_bm_variant_opts(const attn_variant *var, const attn_block_mask_opts *opts) {
    attn_block_mask_opts o = {0};
    if (opts)
        o = *opts;
    o.independent_of_b = var->mask_independent_of_b;
    o.independent_of_h = var->mask_independent_of_h;
    o.kv_ranges = var->kv_ranges;
    return o;
}

/* var must be an attention variant and, when need_mask, carry its mask hook. */
static attn_status rt_bm_check_variant(const attn_variant *var, int need_mask) {
    if (!var)
        return rt_fail(ATTN_ERR_INVALID_ARG, "block mask: variant is NULL");
    if (var->kind != ATTN_KIND_ATTENTION)
        return rt_fail(ATTN_ERR_INVALID_ARG, "block mask: %s is a scan, not an attention variant",
                       var->name);
    if (need_mask && !var->mask_fn)
        return rt_fail(ATTN_ERR_UNSUPPORTED, "block mask: %s carries no mask hook", var->name);
    return ATTN_OK;
}

attn_status rt_bm_public_dims(const attn_variant *var, const char *fn, int64_t B, int64_t H,
                              int64_t Q, int64_t KV, int64_t std[ATTN_DIM_STANDARD_COUNT]) {
    const int64_t dims[ATTN_DIM_STANDARD_COUNT] = {B, H, H, Q, KV, 0, 0};
    for (int i = 0; i < ATTN_DIM_STANDARD_COUNT; i++)
        std[i] = dims[i];
    if (var && var->mask_reads_launch_dims)
        return rt_fail(ATTN_ERR_UNSUPPORTED, "%s: the mask of %s reads HKV, D or DV, which this "
                       "builder is not given (only B, H, Q and KV); give the launch no BlockMask "
                       "and it builds one with its dims, or use attn_block_mask_build_ctx",
                       fn, var->name);
    return ATTN_OK;
}

attn_status rt_bm_variant_ctx(const attn_variant *var, const int64_t std[ATTN_DIM_STANDARD_COUNT],
                              const attn_arg *args, int32_t nargs, attn_ctx *ctx, rt_bound *bound) {
    attn_status s = rt_bm_check_variant(var, 0);
    if (s != ATTN_OK)
        return s;
    static const char *const names[ATTN_DIM_STANDARD_COUNT] = {"B", "H", "HKV", "Q", "KV", "D", "DV"};
    *ctx = (attn_ctx){{0}, NULL};
    for (int32_t i = 0; i < ATTN_DIM_STANDARD_COUNT; i++) {
        if (std[i] < 0 || std[i] > INT32_MAX)
            return rt_fail(ATTN_ERR_SHAPE, "block mask: %s = %lld is outside [0, 2^31)",
                           names[i], (long long)std[i]);
        ctx->dims[i] = (int32_t)std[i];
    }
    if ((s = rt_bind_args(var, args, nargs, ctx->dims, bound)) != ATTN_OK)
        return s;
    ctx->params = bound->slots;
    return ATTN_OK;
}

attn_status attn_block_mask_build(const attn_variant *var, int64_t B, int64_t H, int64_t Q,
                                  int64_t KV, const attn_arg *args, int32_t nargs,
                                  const attn_block_mask_opts *opts, attn_block_mask **out) {
    if (!out)
        return rt_fail(ATTN_ERR_INVALID_ARG, "attn_block_mask_build: out is NULL");
    *out = NULL;
    attn_ctx ctx;
    rt_bound bound;
    int64_t std[ATTN_DIM_STANDARD_COUNT];
    attn_status s = rt_bm_check_variant(var, 1);
    if (s == ATTN_OK)
        s = rt_bm_public_dims(var, "attn_block_mask_build", B, H, Q, KV, std);
    if (s == ATTN_OK)
        s = rt_bm_variant_ctx(var, std, args, nargs, &ctx, &bound);
    if (s != ATTN_OK)
        return s;
    attn_block_mask_opts o = rt_bm_variant_opts(var, opts);
    s = attn_block_mask_build_ctx(var->mask_fn, &ctx, &o, out);
    rt_bound_free(&bound);
    return s;
}

attn_status rt_bm_check_dims(const attn_block_mask *m, const int32_t *dims) {
    if (m->q_len != dims[ATTN_DIM_Q] || m->kv_len != dims[ATTN_DIM_KV])
        return rt_fail(ATTN_ERR_SHAPE, "block mask: built for Q=%d KV=%d, launch has Q=%d KV=%d",
                       (int)m->q_len, (int)m->kv_len, (int)dims[ATTN_DIM_Q],
                       (int)dims[ATTN_DIM_KV]);
    if ((m->B != dims[ATTN_DIM_B] && m->B != 1) || (m->H != dims[ATTN_DIM_H] && m->H != 1))
        return rt_fail(ATTN_ERR_SHAPE, "block mask: built for B=%d H=%d, launch has B=%d H=%d",
                       (int)m->B, (int)m->H, (int)dims[ATTN_DIM_B], (int)dims[ATTN_DIM_H]);
    return ATTN_OK;
}

/* Requires a caller's BlockMask to match a CPU launch (dims as in ctx). */
static attn_status rt_bm_check_launch(const attn_block_mask *m, const int32_t *dims) {
    if (m->device != ATTN_BLOCK_MASK_HOST)
        return rt_fail(ATTN_ERR_UNSUPPORTED, "block mask: in CUDA device memory; CPU launches read "
                       "host BlockMasks (attn_block_mask_build, attn_block_mask_build_gpu)");
    if (m->block_q != ATTN_CPU_BLOCK_Q)
        return rt_fail(ATTN_ERR_SHAPE, "block mask: query blocks of %d rows, the CPU kernel needs %d",
                       (int)m->block_q, ATTN_CPU_BLOCK_Q);
    return rt_bm_check_dims(m, dims);
}

attn_status rt_block_mask_for_launch(const attn_variant *var, const attn_launch_opts *opts,
                                     const attn_ctx *ctx, attn_block_mask **owned,
                                     attn_block_mask_view *view, const attn_block_mask_view **use) {
    *owned = NULL;
    *use = NULL;
    const attn_block_mask *m = opts->block_mask;
    attn_status s;
    if (m) {
        if ((s = rt_bm_check_launch(m, ctx->dims)) != ATTN_OK)
            return s;
    } else if (var->needs_block_mask && var->mask_fn) {
        attn_block_mask_opts base = {.pool = opts->pool, .num_threads = opts->num_threads};
        attn_block_mask_opts o = rt_bm_variant_opts(var, &base);
        if ((s = attn_block_mask_build_ctx(var->mask_fn, ctx, &o, owned)) != ATTN_OK)
            return s;
        m = *owned;
    } else {
        return ATTN_OK;
    }
    *view = attn_block_mask_view_of(m);
    *use = view;
    return ATTN_OK;
}
