/* emu_hooks.c - hand-written variant hooks for the GPU template tests, in
 * plain C for the host (emulator) and NVPTX (the ptxas check). params[0].i
 * selects the variant (emu_hooks.h); params[1].i is a window, params[2].f a
 * softcap, params[3].p a pack of documents over the (shared) q/kv axis. */
#include "emu_hooks.h"

static float emu_hooks_tanh(float x)
{
#if defined(__NVPTX__)
    float y;
    __asm__("tanh.approx.f32 %0, %1;" : "=f"(y) : "f"(x));
    return y;
#else
    return __builtin_tanhf(x);
#endif
}

float attn_hook_scale(const attn_ctx *ctx)
{
    return 1.0f / __builtin_sqrtf((float)ctx->dims[ATTN_DIM_D]);
}

#if !defined(__NVPTX__)
int *emu_hooks_visits;
#endif

float attn_hook_score(float s, int32_t b, int32_t h, int32_t q, int32_t kv, const attn_ctx *ctx)
{
#if !defined(__NVPTX__)
    if (ctx->params[0].u.i == EMU_VARIANT_VISITS && emu_hooks_visits) {
        const int32_t *d = ctx->dims;
        int64_t at = (((int64_t)b * d[ATTN_DIM_H] + h) * d[ATTN_DIM_Q] + q) * d[ATTN_DIM_KV] + kv;
        __atomic_fetch_add(&emu_hooks_visits[at], 1, __ATOMIC_RELAXED);
    }
#endif
    if (ctx->params[0].u.i != EMU_VARIANT_SOFTCAP)
        return s;
    float cap = ctx->params[2].u.f;
    return cap * emu_hooks_tanh(s / cap);
}

int32_t attn_hook_score_identity(const attn_ctx *ctx)
{
    return ctx->params[0].u.i != EMU_VARIANT_SOFTCAP && ctx->params[0].u.i != EMU_VARIANT_VISITS;
}

/* The documents mask is declared heavy, so that every build evaluates it
 * before S = Q K^T (a pack lookup, by itself, is early only on the wgmma
 * path); the others are evaluated after S. */
int32_t attn_hook_mask_cost(const attn_ctx *ctx)
{
    return ctx->params[0].u.i == EMU_VARIANT_DOCS ? ATTN_MASK_COST_HEAVY : ATTN_MASK_COST_COMPARE;
}

int32_t attn_hook_mask(int32_t b, int32_t h, int32_t q, int32_t kv, const attn_ctx *ctx)
{
    const attn_param *p = ctx->params;
    switch (p[0].u.i) {
    case EMU_VARIANT_CAUSAL: return kv <= q;
    case EMU_VARIANT_WINDOW: return kv <= q && q - kv < p[1].u.i;
    case EMU_VARIANT_DOCS: return p[3].u.p.seg_of[q] == p[3].u.p.seg_of[kv];
    case EMU_VARIANT_EMPTY_ROWS: return q % 3 != 0 && kv <= q;
    default: return 1;
    }
}

/* Key ranges: one partial range (the mask decides) for masked variants,
 * whole ranges otherwise; CAUSAL also splits into a full and a partial part
 * to exercise both paths. */
int32_t attn_hook_kv_ranges(int32_t b, int32_t h, int32_t q0, int32_t q1, const attn_ctx *ctx,
                            attn_kv_range *out)
{
    const attn_param *p = ctx->params;
    int kv_len = ctx->dims[ATTN_DIM_KV];
    switch (p[0].u.i) {
    case EMU_VARIANT_CAUSAL:
        out[0] = (attn_kv_range){0, q0 < kv_len ? q0 : kv_len, 1};
        out[1] = (attn_kv_range){out[0].hi, q1 < kv_len ? q1 : kv_len, 0};
        return 2;
    case EMU_VARIANT_WINDOW: {
        int lo = q0 - p[1].u.i + 1;
        out[0] = (attn_kv_range){lo < 0 ? 0 : lo, q1 < kv_len ? q1 : kv_len, 0};
        return 1;
    }
    case EMU_VARIANT_DOCS: {
        const attn_pack_arg *pk = &p[3].u.p;
        int s0 = pk->seg_of[q0], s1 = pk->seg_of[q1 - 1];
        out[0] = (attn_kv_range){pk->offsets[s0], pk->offsets[s1 + 1], 0};
        return 1;
    }
    case EMU_VARIANT_NONE:
    case EMU_VARIANT_SOFTCAP:
        out[0] = (attn_kv_range){0, kv_len, 1};
        return 1;
    default:
        out[0] = (attn_kv_range){0, kv_len, 0};
        return 1;
    }
}
