/* interp_smoke.c - runs the reference interpreter over every attention and
 * scan declaration of the .attn files named on the command line, with small
 * random shapes, parameters and inputs (f32/f16/bf16 data, out-of-range i32
 * indices, random packs), in normal and checked mode. It asserts only that
 * each run either succeeds or fails with a user-level message: together with the
 * sanitizer build this shows the interpreter never crashes, hangs or leaks
 * on any accepted program.
 *
 *   interp_smoke [-v] [--seeds N] FILE.attn...     exit 1 on a failure */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "interp.h"

static unsigned rng_state = 12345;
static bool verbose; /* -v: print every run's error message */

static unsigned rnd(unsigned n)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return (rng_state >> 8) % n;
}

/* Everything one launch owns: freed together. */
typedef struct Launch {
    attn_ctx ctx;
    attn_param *params;
    void *bufs[64];
    int nbufs;
} Launch;

static void *launch_alloc(Launch *l, size_t bytes)
{
    void *p = calloc(1, bytes ? bytes : 1);
    if (!p || l->nbufs == 64) {
        fprintf(stderr, "interp_smoke: out of memory\n");
        exit(2);
    }
    l->bufs[l->nbufs++] = p;
    return p;
}

static void launch_free(Launch *l)
{
    for (int i = 0; i < l->nbufs; i++)
        free(l->bufs[i]);
    free(l->params);
}

/* Random bits of a finite 16-bit float of dtype dt, or an f32 value. */
static void random_elem(void *data, int64_t i, attn_dtype dt)
{
    float f = (float)((int)rnd(257) - 128) / 32.0f;
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    switch (dt) {
    case ATTN_F32: ((float *)data)[i] = f; break;
    case ATTN_BF16: ((uint16_t *)data)[i] = (uint16_t)(bits >> 16); break;
    case ATTN_F16: /* exponent 9..17: finite, about 2^-6 .. 2^3 */
        ((uint16_t *)data)[i] = (uint16_t)(rnd(2) << 15 | (9 + rnd(9)) << 10 | rnd(1024));
        break;
    case ATTN_I32: ((int32_t *)data)[i] = (int32_t)rnd(12) - 2; break;
    default: ((uint8_t *)data)[i] = (uint8_t)rnd(2); break;
    }
}

static attn_tensor_arg random_tensor(Launch *l, int ndim, const int64_t *shape, attn_dtype dt)
{
    attn_tensor_arg t = {.ndim = ndim, .dtype = dt};
    int64_t n = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        t.shape[i] = shape[i];
        t.stride[i] = n;
        n *= shape[i];
    }
    size_t esize = dt == ATTN_F32 || dt == ATTN_I32 ? 4 : dt == ATTN_BOOL ? 1 : 2;
    void *data = launch_alloc(l, (size_t)n * esize);
    for (int64_t i = 0; i < n; i++)
        random_elem(data, i, dt);
    t.data = data;
    return t;
}

static attn_pack_arg random_pack(Launch *l, int32_t length)
{
    int32_t *offs = launch_alloc(l, ((size_t)length + 1) * sizeof *offs);
    int32_t nseg = 0;
    offs[0] = 0;
    for (int32_t i = 1; i <= length; i++)
        if (i == length || rnd(3) == 0)
            offs[++nseg] = i;
    return (attn_pack_arg){.offsets = offs, .nseg = nseg, .length = length};
}

/* Random dims for d: attention standard dims with H a multiple of HKV and
 * Q == KV when a pack is present; free dims 1..4. */
static void random_dims(const Decl *d, attn_ctx *ctx)
{
    for (int i = 0; i < ATTN_MAX_VARIANT_DIMS; i++)
        ctx->dims[i] = 1 + (int32_t)rnd(4);
    if (d->kind != DECL_ATTENTION)
        return;
    ctx->dims[DIM_HKV] = 1 + (int32_t)rnd(2);
    ctx->dims[DIM_H] = ctx->dims[DIM_HKV] * (1 + (int32_t)rnd(2));
    ctx->dims[DIM_Q] = 1 + (int32_t)rnd(6);
    ctx->dims[DIM_KV] = 1 + (int32_t)rnd(6);
    for (int i = 0; i < d->nparams; i++)
        if (d->params[i]->type && d->params[i]->type->kind == TY_PACK)
            ctx->dims[DIM_KV] = ctx->dims[DIM_Q];
}

static void random_params(const Decl *d, Launch *l)
{
    l->params = calloc((size_t)d->nparams + 1, sizeof *l->params);
    int32_t pack_len = d->kind == DECL_SCAN ? l->ctx.dims[d->scan.axis_dim_id] : l->ctx.dims[DIM_Q];
    for (int i = 0; i < d->nparams; i++) {
        const TypeRef *ty = d->params[i]->type;
        attn_param *p = &l->params[i];
        if (ty->kind == TY_PACK) {
            p->u.p = random_pack(l, pack_len);
        } else if (ty->kind == TY_TENSOR) {
            int64_t shape[ATTN_MAX_RANK];
            for (int k = 0; k < ty->ndims && k < ATTN_MAX_RANK; k++)
                shape[k] = ty->dims[k].dim_id < 0 ? ty->dims[k].value : l->ctx.dims[ty->dims[k].dim_id];
            attn_dtype dt = ty->scalar == SK_I32 ? ATTN_I32 : ty->scalar == SK_BOOL ? ATTN_BOOL
                                                            : (attn_dtype)rnd(3);
            p->u.t = random_tensor(l, ty->ndims, shape, dt);
        } else if (ty->scalar == SK_F32) {
            p->u.f = (float)((int)rnd(64) - 16) / 4.0f;
        } else {
            p->u.i = (int32_t)rnd(10) - 2;
        }
    }
    l->ctx.params = l->params;
}

/* One launch of d; false when the interpreter failed without a message or
 * with an internal error (an AST it does not understand). */
static bool smoke_run(const Decl *d, bool checked)
{
    Launch l = {0};
    random_dims(d, &l.ctx);
    random_params(d, &l);
    InterpOptions opts = {.checked = checked};
    char err[512] = "";
    bool ok;
    if (d->kind == DECL_ATTENTION) {
        const int32_t *n = l.ctx.dims;
        const int64_t sq[4] = {n[DIM_B], n[DIM_H], n[DIM_Q], n[DIM_D]},
                      sk[4] = {n[DIM_B], n[DIM_HKV], n[DIM_KV], n[DIM_D]},
                      sv[4] = {n[DIM_B], n[DIM_HKV], n[DIM_KV], n[DIM_DV]};
        attn_dtype dt = (attn_dtype)rnd(3);
        attn_tensor_arg q = random_tensor(&l, 4, sq, dt), k = random_tensor(&l, 4, sk, dt),
                        v = random_tensor(&l, 4, sv, dt);
        size_t rows = (size_t)(n[DIM_B] * n[DIM_H] * n[DIM_Q]);
        double *out = launch_alloc(&l, rows * (size_t)n[DIM_DV] * sizeof *out);
        double *lse = launch_alloc(&l, rows * sizeof *lse);
        ok = interp_attention_opts(d, &l.ctx, &q, &k, &v, out, lse, &opts, err, sizeof err);
    } else {
        double *outs[16] = {0};
        for (int i = 0; i < d->noutputs && i < 16; i++) {
            int64_t n = interp_scan_output_elems(d, &l.ctx, i);
            outs[i] = launch_alloc(&l, (size_t)(n > 0 ? n : 1) * sizeof(double));
        }
        ok = d->noutputs <= 16 && interp_scan_opts(d, &l.ctx, outs, &opts, err, sizeof err);
    }
    launch_free(&l);
    if (!ok && verbose)
        printf("%s: %s\n", d->name, err);
    if (!ok && (!err[0] || strstr(err, "internal error"))) {
        fprintf(stderr, "interp_smoke: '%s': %s\n", d->name, err[0] ? err : "failed without a message");
        return false;
    }
    return true;
}

static bool smoke_file(const char *path, int seeds, int *runs)
{
    Compilation c;
    FILE *devnull = fopen("/dev/null", "w");
    compilation_init(&c, devnull ? devnull : stderr);
    Module *m = compile_file(&c, path);
    bool ok = true;
    if (!m || c.diags.errors) /* the lang tests report it; nothing to run here */
        fprintf(stderr, "interp_smoke: skipping %s: it does not compile\n", path);
    for (int i = 0; m && !c.diags.errors && ok && i < m->ndecls; i++) {
        const Decl *d = m->decls[i];
        if (d->kind != DECL_ATTENTION && d->kind != DECL_SCAN)
            continue;
        for (int s = 0; ok && s < seeds; s++, (*runs)++)
            ok = smoke_run(d, s % 2 == 1);
    }
    compilation_free(&c);
    if (devnull)
        fclose(devnull);
    return ok;
}

int main(int argc, char **argv)
{
    int seeds = 20, runs = 0, bad = 0, first = 1;
    for (; first < argc && argv[first][0] == '-'; first++) {
        if (strcmp(argv[first], "-v") == 0)
            verbose = true;
        else if (strcmp(argv[first], "--seeds") == 0 && first + 1 < argc)
            seeds = atoi(argv[++first]);
    }
    for (int i = first; i < argc; i++)
        bad += !smoke_file(argv[i], seeds, &runs);
    printf("interp_smoke: %d runs over %d files, %d failed\n", runs, argc - first, bad);
    return bad ? 1 : 0;
}
