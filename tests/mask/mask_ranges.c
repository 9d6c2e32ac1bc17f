/* mask_ranges.c - the analytic key ranges (attn_hook_kv_ranges, JIT'd with
 * the probe template) against brute-force evaluation of the mask by the
 * reference interpreter, over random shapes, parameters and packs.
 *
 * usage: mask_ranges [--seed N] [--configs N] FILE.attn...
 *
 * For every attention variant and every query block:
 *   - the ranges are sorted, disjoint, inside [0, KV), at most
 *     ATTN_MAX_KV_RANGES;
 *   - soundness: keys in no range are invisible for every query of the block,
 *     keys in a full range visible for every query;
 *   - tightness, for variants whose name ends in `_t` (or `_s`: partial
 *     ranges only): every key in a range is visible for some query, and
 *     (`_t`) every key visible for all queries is in a full range. Skipped
 *     when the list hit ATTN_MAX_KV_RANGES (gaps may have been merged). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attn_probe.h"
#include "cg.h"
#include "compiler.h"
#include "interp.h"

typedef void (*probe_fn)(const attn_ctx *, attn_probe_io *);

static int failures, checks;
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

static int rng_in(int lo, int hi) { return lo + (int)(rng() % (uint32_t)(hi - lo + 1)); }

#define FAIL(...)                                                                                 \
    do {                                                                                          \
        if (failures++ < 30) {                                                                    \
            printf("FAIL ");                                                                      \
            printf(__VA_ARGS__);                                                                  \
            printf("\n");                                                                         \
        }                                                                                         \
    } while (0)

/* Random parameter values for `d` under ctx->dims; storage in *bufs. */
typedef struct Inputs {
    attn_param params[16];
    void *bufs[16];
    int32_t *offsets, *seg_of;
} Inputs;

static void inputs_free(Inputs *in)
{
    for (int i = 0; i < 16; i++)
        free(in->bufs[i]);
    free(in->offsets);
    free(in->seg_of);
    memset(in, 0, sizeof *in);
}

/* Random segment lengths summing to len, often with length-1 documents. */
static void make_pack(Inputs *in, attn_pack_arg *p, int len)
{
    in->offsets = malloc((size_t)(len + 2) * sizeof *in->offsets);
    in->seg_of = malloc((size_t)(len + 1) * sizeof *in->seg_of);
    int n = 0, pos = 0, maxlen = rng_in(1, len < 2 ? 1 : len / 2 + 1);
    in->offsets[n++] = 0;
    while (pos < len) {
        int l = rng() % 4 == 0 ? 1 : rng_in(1, maxlen);
        if (pos + l > len)
            l = len - pos;
        for (int i = pos; i < pos + l; i++)
            in->seg_of[i] = n - 1;
        pos += l;
        in->offsets[n++] = pos;
    }
    *p = (attn_pack_arg){.offsets = in->offsets, .seg_of = in->seg_of, .nseg = n - 1, .length = len};
}

static void make_inputs(const Decl *d, const attn_ctx *ctx, Inputs *in)
{
    int kv = ctx->dims[DIM_KV];
    for (int i = 0; i < d->nparams && i < 16; i++) {
        const TypeRef *ty = d->params[i]->type;
        attn_param *p = &in->params[i];
        if (ty->kind == TY_PACK) {
            make_pack(in, &p->u.p, kv);
        } else if (ty->kind == TY_SCALAR) {
            if (ty->scalar == SK_F32)
                p->u.f = 1.0f + (float)rng_in(0, 40);
            else if (ty->scalar == SK_BOOL)
                p->u.i = (int32_t)(rng() & 1);
            else
                p->u.i = rng() % 3 == 0 ? rng_in(1, 8) : rng_in(1, kv + 2);
        } else {
            attn_tensor_arg *t = &p->u.t;
            int64_t n = 1;
            t->ndim = ty->ndims;
            for (int k = ty->ndims - 1; k >= 0; k--) {
                const DimRef *dr = &ty->dims[k];
                t->shape[k] = dr->dim_id >= 0 ? ctx->dims[dr->dim_id] : dr->value;
                t->stride[k] = n;
                n *= t->shape[k];
            }
            t->dtype = ty->scalar == SK_I32 ? ATTN_I32 : ty->scalar == SK_BOOL ? ATTN_BOOL : ATTN_F32;
            in->bufs[i] = calloc((size_t)(n ? n : 1), 4);
            for (int64_t e = 0; e < n; e++) {
                if (t->dtype == ATTN_I32)
                    ((int32_t *)in->bufs[i])[e] = rng_in(0, 2);
                else if (t->dtype == ATTN_BOOL)
                    ((uint8_t *)in->bufs[i])[e] = rng() % 5 == 0;
                else
                    ((float *)in->bufs[i])[e] = (float)rng_in(-4, 4);
            }
            t->data = in->bufs[i];
        }
    }
}

/* vis[q * KV + kv] by the reference interpreter (b = h = 0, as the probe). */
static bool brute_force(const Decl *d, const attn_ctx *ctx, uint8_t *vis)
{
    char err[256];
    InterpEnv env;
    int Q = ctx->dims[DIM_Q], KV = ctx->dims[DIM_KV];
    bool ok = interp_env_init(&env, d, ctx, NULL, err, sizeof err);
    for (int q = 0; ok && q < Q; q++)
        for (int kv = 0; ok && kv < KV; kv++) {
            InterpValue v = {.tag = INTERP_BOOL, .u.b = true};
            env.var[IV_B] = env.var[IV_H] = 0;
            env.var[IV_Q] = q;
            env.var[IV_KV] = kv;
            interp_touch(&env);
            if (d->attn.mask)
                ok = interp_eval(&env, d->attn.mask, &v);
            vis[(size_t)q * KV + kv] = v.u.b;
        }
    if (!ok)
        FAIL("%s: interpreter: %s", d->name, err);
    interp_env_free(&env);
    return ok;
}

static void check_block(const Decl *d, const attn_ctx *ctx, const uint8_t *vis, const attn_probe_io *io,
                        const char *cfg)
{
    int KV = ctx->dims[DIM_KV], q0 = io->q0, q1 = io->q1, n = io->nranges;
    size_t len = strlen(d->name);
    bool tight_some = len > 2 && (!strcmp(d->name + len - 2, "_t") || !strcmp(d->name + len - 2, "_s"));
    bool tight_full = len > 2 && !strcmp(d->name + len - 2, "_t");
    checks++;
    if (n < 0 || n > ATTN_MAX_KV_RANGES) {
        FAIL("%s %s [%d,%d): %d ranges", d->name, cfg, q0, q1, n);
        return;
    }
    signed char *cls = malloc((size_t)KV + 1); /* -1 none, 0 partial, 1 full */
    memset(cls, -1, (size_t)KV + 1);
    for (int r = 0, prev = 0; r < n; r++) {
        const attn_kv_range *g = &io->ranges[r];
        if (g->lo < prev || g->hi <= g->lo || g->hi > KV) {
            FAIL("%s %s [%d,%d): range %d = [%d,%d) out of order/bounds", d->name, cfg, q0, q1, r, g->lo, g->hi);
            free(cls);
            return;
        }
        prev = g->hi;
        for (int k = g->lo; k < g->hi; k++)
            cls[k] = g->full ? 1 : 0;
    }
    for (int kv = 0; kv < KV; kv++) {
        int some = 0, all = 1;
        for (int q = q0; q < q1; q++) {
            int v = vis[(size_t)q * KV + kv];
            some |= v;
            all &= v;
        }
        if (cls[kv] < 0 && some)
            FAIL("%s %s [%d,%d): key %d skipped but visible", d->name, cfg, q0, q1, kv);
        if (cls[kv] == 1 && !all)
            FAIL("%s %s [%d,%d): key %d full but not always visible", d->name, cfg, q0, q1, kv);
        if (n < ATTN_MAX_KV_RANGES && tight_some && cls[kv] >= 0 && !some)
            FAIL("%s %s [%d,%d): key %d in a range but never visible", d->name, cfg, q0, q1, kv);
        if (n < ATTN_MAX_KV_RANGES && tight_full && all && cls[kv] != 1)
            FAIL("%s %s [%d,%d): key %d always visible but not full", d->name, cfg, q0, q1, kv);
    }
    free(cls);
}

static void test_variant(CgJit *jit, const Decl *d, int nconfigs)
{
    char err[CG_ERR_LEN];
    probe_fn probe = (probe_fn)cg_jit_lookup(jit, d->name, "attn_probe", err);
    if (!probe) {
        FAIL("%s: %s", d->name, err);
        return;
    }
    bool packed = false;
    for (int i = 0; i < d->nparams; i++)
        packed |= d->params[i]->type->kind == TY_PACK;
    for (int c = 0; c < nconfigs; c++) {
        attn_ctx ctx = {.dims = {1, 2, 2, 0, 0, 8, 8}};
        for (int i = DIM_STANDARD_COUNT; i < ATTN_MAX_VARIANT_DIMS; i++)
            ctx.dims[i] = 8;
        int KV = rng() % 4 == 0 ? rng_in(1, 12) : rng_in(1, 150);
        int Q = packed || rng() % 2 ? KV : rng_in(1, KV);
        ctx.dims[DIM_Q] = Q;
        ctx.dims[DIM_KV] = KV;
        Inputs in = {0};
        make_inputs(d, &ctx, &in);
        ctx.params = in.params;
        uint8_t *vis = malloc((size_t)Q * KV);
        char cfg[256];
        int len = snprintf(cfg, sizeof cfg, "(Q=%d KV=%d cfg %d", Q, KV, c);
        for (int i = 0; i < d->nparams && len < (int)sizeof cfg - 40; i++)
            if (d->params[i]->type->kind == TY_SCALAR && d->params[i]->type->scalar == SK_I32)
                len += snprintf(cfg + len, sizeof cfg - (size_t)len, " %s=%d", d->params[i]->name,
                                (int)in.params[i].u.i);
        snprintf(cfg + len, sizeof cfg - (size_t)len, ")");
        if (brute_force(d, &ctx, vis)) {
            static const int blocks[] = {1, 3, 16, 64};
            for (int bi = 0; bi < 4; bi++)
                for (int q0 = 0; q0 < Q; q0 += blocks[bi]) {
                    attn_probe_io io = {.q0 = q0, .q1 = q0 + blocks[bi] < Q ? q0 + blocks[bi] : Q};
                    probe(&ctx, &io);
                    check_block(d, &ctx, vis, &io, cfg);
                }
        }
        free(vis);
        inputs_free(&in);
    }
}

int main(int argc, char **argv)
{
    int nconfigs = 12, nfiles = 0;
    const char *files[16];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            rng_state ^= strtoull(argv[++i], NULL, 10) * 0x2545F4914F6CDD1Dull;
        else if (!strcmp(argv[i], "--configs") && i + 1 < argc)
            nconfigs = atoi(argv[++i]);
        else if (nfiles < 16)
            files[nfiles++] = argv[i];
    }
    int nvariants = 0;
    for (int fi = 0; fi < nfiles; fi++) {
        Compilation c;
        compilation_init(&c, stderr);
        Module *m = compile_file(&c, files[fi]);
        if (!m || c.diags.errors) {
            FAIL("%s does not compile", files[fi]);
            compilation_free(&c);
            continue;
        }
        PtrVec decls = {0};
        for (int i = 0; i < m->ndecls; i++)
            if (m->decls[i]->kind == DECL_ATTENTION)
                ptrvec_push(&c.arena, &decls, m->decls[i]);
        char err[CG_ERR_LEN];
        CgJit *jit = cg_jit_create(&c.arena, (Decl *const *)decls.items, decls.len, "attn_probe", err);
        if (!jit) {
            FAIL("%s: JIT: %s", files[fi], err);
        } else {
            for (int i = 0; i < decls.len; i++)
                test_variant(jit, decls.items[i], nconfigs);
            nvariants += decls.len;
        }
        cg_jit_free(jit);
        compilation_free(&c);
    }
    printf("mask_ranges: %d variants, %d blocks checked, %d failures\n", nvariants, checks, failures);
    return failures != 0;
}
