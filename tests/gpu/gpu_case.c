/* gpu_case.c - random attention problems and their reference answers
 * (gpu_case.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "gpu_case.h"
#include "gpu_dev_emu.h"
#include "interp.h"

uint16_t gpu_case_to_half(int dtype, float f)
{
    return dtype == ATTN_BF16 ? emu_f32_to_bf16(f) : emu_f32_to_f16(f);
}

float gpu_case_from_half(int dtype, uint16_t h)
{
    return dtype == ATTN_BF16 ? emu_bf16_to_f32(h) : emu_f16_to_f32(h);
}

static uint32_t gpu_rand(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u;
    return *state >> 8;
}

static float gpu_uniform(uint32_t *state) { return (float)gpu_rand(state) / 8388608.0f - 1.0f; }

static uint16_t *gpu_half_tensor(Arena *a, int dtype, size_t n, uint32_t *state)
{
    uint16_t *t = arena_alloc(a, n * 2 + 16);
    t = (uint16_t *)(((uintptr_t)t + 15) & ~(uintptr_t)15); /* cp.async: 16-byte aligned */
    for (size_t i = 0; i < n; i++)
        t[i] = gpu_case_to_half(dtype, gpu_uniform(state));
    return t;
}

/* The literal value of a default (`50.0`, `4095`, `-1`, `true`); false if
 * it is not a literal. */
static bool gpu_literal(const Expr *e, ScalarKind k, attn_param *slot)
{
    double sign = 1, v;
    if (e->kind == EX_UNARY && e->op == OP_NEG) {
        sign = -1;
        e = e->a;
    }
    if (e->kind == EX_INT || e->kind == EX_BOOL)
        v = (double)e->ival;
    else if (e->kind == EX_FLOAT)
        v = e->fval;
    else
        return false;
    if (k == SK_F32)
        slot->u.f = (float)(sign * v);
    else
        slot->u.i = (int32_t)(sign * v);
    return true;
}

static bool gpu_scalar(const Decl *d, const Param *p, const GpuSetting *settings, int nsettings,
                       attn_param *slot)
{
    ScalarKind k = p->type->scalar;
    for (int i = 0; i < nsettings; i++)
        if (strcmp(settings[i].variant, d->name) == 0 && strcmp(settings[i].name, p->name) == 0) {
            if (k == SK_F32)
                slot->u.f = strtof(settings[i].value, NULL);
            else
                slot->u.i = (int32_t)strtol(settings[i].value, NULL, 0);
            return true;
        }
    if (p->init && gpu_literal(p->init, k, slot))
        return true;
    fprintf(stderr, "%s: parameter '%s' needs a value (%s.%s=VALUE)\n", d->name, p->name, d->name,
            p->name);
    return false;
}

/* A tensor parameter: f32 uniform in [-1, 1], bool random, i32 sorted ids
 * in [0, 4) (document ids, table indices). Free dimensions are 8. */
static void gpu_tensor(Arena *a, const Param *p, const int32_t *dims, uint32_t *state,
                       attn_tensor_arg *t)
{
    const TypeRef *ty = p->type;
    t->ndim = ty->ndims;
    int64_t n = 1;
    for (int i = ty->ndims - 1; i >= 0; i--) {
        const DimRef *r = &ty->dims[i];
        t->shape[i] = r->dim_id < 0 ? r->value : r->dim_id < ATTN_DIM_STANDARD_COUNT ? dims[r->dim_id] : 8;
        t->stride[i] = n;
        n *= t->shape[i];
    }
    ScalarKind k = ty->scalar;
    t->dtype = k == SK_F32 ? ATTN_F32 : k == SK_BOOL ? ATTN_BOOL : k == SK_I32 ? ATTN_I32
               : k == SK_F16 ? ATTN_F16 : ATTN_BF16;
    if (k == SK_F32) {
        float *f = arena_alloc(a, (size_t)n * 4 + 4);
        for (int64_t i = 0; i < n; i++)
            f[i] = gpu_uniform(state);
        t->data = f;
    } else if (k == SK_I32) {
        int32_t *v = arena_alloc(a, (size_t)n * 4 + 4), id = 0;
        for (int64_t i = 0; i < n; i++) {
            id += gpu_rand(state) % 23 == 0 && id < 3;
            v[i] = id;
        }
        t->data = v;
    } else if (k == SK_BOOL) {
        uint8_t *v = arena_alloc(a, (size_t)n + 1);
        for (int64_t i = 0; i < n; i++)
            v[i] = gpu_rand(state) % 5 == 0;
        t->data = v;
    } else {
        t->data = gpu_half_tensor(a, t->dtype, (size_t)n, state);
    }
}

/* A pack over `len` positions: segments of random lengths 1..len/2+1. */
static void gpu_pack(Arena *a, int32_t len, uint32_t *state, attn_pack_arg *p)
{
    int32_t *off = arena_alloc(a, (size_t)(len + 2) * 4), *seg = arena_alloc(a, (size_t)len * 4 + 4);
    int n = 0;
    off[0] = 0;
    while (off[n] < len) {
        int32_t step = 1 + (int32_t)(gpu_rand(state) % (uint32_t)(len / 2 + 1));
        off[n + 1] = off[n] + step > len ? len : off[n] + step;
        n++;
    }
    for (int s = 0; s < n; s++)
        for (int32_t i = off[s]; i < off[s + 1]; i++)
            seg[i] = s;
    *p = (attn_pack_arg){.offsets = off, .seg_of = seg, .nseg = n, .length = len};
}

bool gpu_case_build(Arena *arena, const Decl *d, const GpuShape *s, const GpuSetting *settings,
                    int nsettings, uint32_t seed, GpuCase *out)
{
    memset(out, 0, sizeof *out);
    out->s = *s;
    const int32_t dims[ATTN_DIM_STANDARD_COUNT] = {s->B, s->H, s->HKV, s->Q, s->KV, s->D, s->DV};
    for (int i = 0; i < ATTN_DIM_STANDARD_COUNT; i++)
        out->ctx.dims[i] = dims[i];
    for (int i = ATTN_DIM_STANDARD_COUNT; i < d->ndims && i < ATTN_MAX_VARIANT_DIMS; i++)
        out->ctx.dims[i] = 8;
    uint32_t state = seed;
    out->params = arena_alloc(arena, (size_t)(d->nparams + 1) * sizeof *out->params);
    for (int i = 0; i < d->nparams; i++) {
        const Param *p = d->params[i];
        attn_param *slot = &out->params[i];
        if (p->type->kind == TY_PACK)
            gpu_pack(arena, s->Q, &state, &slot->u.p);
        else if (p->type->kind == TY_TENSOR)
            gpu_tensor(arena, p, out->ctx.dims, &state, &slot->u.t);
        else if (!gpu_scalar(d, p, settings, nsettings, slot))
            return false;
    }
    out->ctx.params = out->params;
    size_t nq = (size_t)s->B * s->H * s->Q, nk = (size_t)s->B * s->HKV * s->KV;
    out->q = gpu_half_tensor(arena, s->dtype, nq * s->D, &state);
    out->k = gpu_half_tensor(arena, s->dtype, nk * s->D, &state);
    out->v = gpu_half_tensor(arena, s->dtype, nk * s->DV, &state);
    out->ref_out = arena_alloc(arena, nq * s->DV * sizeof(double) + 8);
    out->ref_lse = arena_alloc(arena, nq * sizeof(double) + 8);
    attn_tensor_arg tq = {.data = out->q, .shape = {s->B, s->H, s->Q, s->D},
                          .stride = {(int64_t)s->H * s->Q * s->D, (int64_t)s->Q * s->D, s->D, 1},
                          .ndim = 4, .dtype = s->dtype};
    attn_tensor_arg tk = {.data = out->k, .shape = {s->B, s->HKV, s->KV, s->D},
                          .stride = {(int64_t)s->HKV * s->KV * s->D, (int64_t)s->KV * s->D, s->D, 1},
                          .ndim = 4, .dtype = s->dtype};
    attn_tensor_arg tv = {.data = out->v, .shape = {s->B, s->HKV, s->KV, s->DV},
                          .stride = {(int64_t)s->HKV * s->KV * s->DV, (int64_t)s->KV * s->DV, s->DV, 1},
                          .ndim = 4, .dtype = s->dtype};
    char err[512];
    if (!interp_attention(d, &out->ctx, &tq, &tk, &tv, out->ref_out, out->ref_lse, err, sizeof err)) {
        fprintf(stderr, "%s: interpreter: %s\n", d->name, err);
        return false;
    }
    return true;
}

bool gpu_case_compare(const char *what, const GpuCase *c, const uint16_t *out, const float *lse)
{
    const GpuShape *s = &c->s;
    double tol = s->dtype == ATTN_BF16 ? 2e-2 : 4e-3;
    size_t rows = (size_t)s->B * s->H * s->Q;
    for (size_t r = 0; r < rows; r++) {
        double rl = c->ref_lse[r];
        bool lse_ok = isinf(rl) ? isinf(lse[r]) && lse[r] < 0 : fabs(lse[r] - rl) <= 1e-3 * (1 + fabs(rl));
        if (!lse_ok) {
            printf("FAIL %s: lse[row %zu] = %g, reference %g\n", what, r, lse[r], rl);
            return false;
        }
        for (int j = 0; j < s->DV; j++) {
            double ref = c->ref_out[r * s->DV + j], got = gpu_case_from_half(s->dtype, out[r * s->DV + j]);
            if (!(fabs(got - ref) <= tol * (1 + fabs(ref)))) {
                printf("FAIL %s: out[row %zu][%d] = %g, reference %g\n", what, r, j, got, ref);
                return false;
            }
        }
    }
    return true;
}

bool gpu_case_parse_settings(Arena *a, int argc, char **argv, GpuSetting *settings)
{
    for (int i = 0; i < argc; i++) {
        char *s = arena_strdup(a, argv[i]), *dot = strchr(s, '.'), *eq = strchr(s, '=');
        if (!dot || !eq || eq < dot) {
            fprintf(stderr, "bad setting '%s' (VARIANT.PARAM=VALUE)\n", argv[i]);
            return false;
        }
        *dot = *eq = 0;
        settings[i] = (GpuSetting){s, dot + 1, eq + 1};
    }
    return true;
}

bool gpu_case_attentions(Compilation *c, const char *path, PtrVec *out)
{
    Module *m = compile_file(c, path);
    for (int i = 0; m && !c->diags.errors && i < m->ndecls; i++)
        if (m->decls[i]->kind == DECL_ATTENTION)
            ptrvec_push(&c->arena, out, m->decls[i]);
    return m && !c->diags.errors && out->len;
}

GpuShape gpu_case_fit(const Decl *d, const GpuShape *s)
{
    GpuShape f = *s;
    for (int i = 0; i < d->nparams; i++) {
        const TypeRef *t = d->params[i]->type;
        if (t->kind == TY_PACK)
            f.KV = f.Q;
        for (int k = 0; t->kind == TY_TENSOR && k < t->ndims; k++)
            if (t->dims[k].dim_id == DIM_KV && f.Q > f.KV)
                f.Q = f.KV; /* a tensor over KV may be read at q (doc[q] == doc[kv]) */
    }
    return f;
}

const char *gpu_case_what(Arena *a, const Decl *d, const GpuShape *s)
{
    return arena_printf(a, "%s %s B=%d H=%d HKV=%d Q=%d KV=%d D=%d DV=%d", d->name,
                        s->dtype == ATTN_BF16 ? "bf16" : "f16", s->B, s->H, s->HKV, s->Q, s->KV,
                        s->D, s->DV);
}
