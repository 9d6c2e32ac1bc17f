/* run_scan.c - `attnc run` for a scan (run.h): inputs from --inputs DIR /
 * --tensor NAME=FILE.npy or random from --seed, dimensions from the given
 * tensors, --set DIM=VALUE or defaults (B = 1, the scanned axis 256, others
 * 8), packs from --pack (default: one segment), scalars from --set; runs
 * the JIT-compiled scan through attn_scan, writes NAME.npy per output into
 * --out, compares with interp_scan under --check, times under --bench N. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "interp.h"
#include "run.h"
#include "run_scan.h"

/* --check tolerance: |compiled - reference| <= RUN_SCAN_TOL * max(1, |reference|). */
#define RUN_SCAN_TOL 1e-3

typedef struct ScanRun {
    const Decl *d;
    const RunOptions *o;
    int32_t dims[ATTN_MAX_VARIANT_DIMS];
    bool dim_fixed[ATTN_MAX_VARIANT_DIMS];
    attn_npy **in;     /* per parameter: tensor or pack offsets */
    attn_arg *args;
    int32_t nargs;
    attn_npy **out;    /* per output */
} ScanRun;

static int run_error(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "attnc: error: ");
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    return 1;
}

static const char *run_binding(const RunBinding *v, int n, const char *name)
{
    const char *found = NULL;
    for (int i = 0; i < n; i++)
        if (strcmp(v[i].name, name) == 0)
            found = v[i].value;
    return found;
}

static int run_dim_id(const Decl *d, const char *name)
{
    for (int i = 0; i < d->ndims; i++)
        if (strcmp(d->dims[i], name) == 0)
            return i;
    return -1;
}

/* Reads tensor parameter i from --tensor or --inputs when given; binds the
 * dimensions of its shape. Returns 0, or 1 after an error. */
static int run_load_tensor(ScanRun *r, int i)
{
    const Param *p = r->d->params[i];
    const char *file = run_binding(r->o->tensors, r->o->ntensors, p->name);
    char path[4096];
    struct stat st;
    if (!file && r->o->inputs_dir) {
        snprintf(path, sizeof path, "%s/%s.npy", r->o->inputs_dir, p->name);
        file = stat(path, &st) == 0 ? path : NULL;
    }
    if (!file)
        return 0;
    if (attn_npy_read(file, &r->in[i]) != ATTN_OK)
        return run_error("%s: %s", file, attn_last_error());
    const DLTensor *t = &r->in[i]->t;
    for (int k = 0; k < t->ndim && k < p->type->ndims; k++) {
        int id = p->type->dims[k].dim_id;
        if (id >= 0 && !r->dim_fixed[id] && t->shape[k] <= INT32_MAX) {
            r->dims[id] = (int32_t)t->shape[k];
            r->dim_fixed[id] = true;
        }
    }
    return 0;
}

static float run_uniform(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (float)(*s >> 40) / (float)(1 << 24);
}

/* A random tensor for parameter i: f32 uniform in [-1, 1] (tensors named
 * A*: [-1, -0.1], Mamba's A = -exp(A_log)), i32 in [0, 4), bool 0/1. */
static int run_random_tensor(ScanRun *r, int i, uint64_t *seed)
{
    const Param *p = r->d->params[i];
    const TypeRef *ty = p->type;
    int64_t shape[ATTN_MAX_RANK];
    for (int k = 0; k < ty->ndims; k++)
        shape[k] = ty->dims[k].dim_id >= 0 ? r->dims[ty->dims[k].dim_id] : ty->dims[k].value;
    DLDataType dt = ty->scalar == SK_I32    ? (DLDataType){kDLInt, 32, 1}
                    : ty->scalar == SK_BOOL ? (DLDataType){kDLBool, 8, 1}
                    : ty->scalar == SK_F32  ? (DLDataType){kDLFloat, 32, 1}
                                            : (DLDataType){0, 0, 0};
    if (!dt.bits)
        return run_error("%s: f16/bf16 inputs cannot be drawn at random; give %s with --tensor",
                         p->name, p->name);
    if (attn_npy_alloc(dt, ty->ndims, shape, &r->in[i]) != ATTN_OK)
        return run_error("%s: %s", p->name, attn_last_error());
    int64_t n = 1;
    for (int k = 0; k < ty->ndims; k++)
        n *= shape[k];
    void *data = r->in[i]->t.data;
    for (int64_t e = 0; e < n; e++) {
        float u = run_uniform(seed);
        if (ty->scalar == SK_I32)
            ((int32_t *)data)[e] = (int32_t)(u * 4.0f);
        else if (ty->scalar == SK_BOOL)
            ((uint8_t *)data)[e] = u < 0.5f;
        else
            ((float *)data)[e] = p->name[0] == 'A' ? -0.1f - 0.9f * u : 2.0f * u - 1.0f;
    }
    return 0;
}

/* Pack parameter i from --pack NAME=FILE.npy | L1,L2,... (default: one
 * segment over the scanned axis). Lengths fix the axis when nothing else did. */
static int run_load_pack(ScanRun *r, int i)
{
    const char *name = r->d->params[i]->name, *v = run_binding(r->o->packs, r->o->npacks, name);
    int axis = r->d->scan.axis_dim_id;
    size_t vl = v ? strlen(v) : 0;
    if (v && vl > 4 && strcmp(v + vl - 4, ".npy") == 0) {
        if (attn_npy_read(v, &r->in[i]) != ATTN_OK)
            return run_error("%s: %s", v, attn_last_error());
        return 0;
    }
    const char *spec = v;
    int64_t n = 1;
    for (const char *c = v; c && *c; c++)
        n += *c == ',';
    int64_t shape[1] = {v ? n + 1 : 2};
    if (attn_npy_alloc((DLDataType){kDLInt, 32, 1}, 1, shape, &r->in[i]) != ATTN_OK)
        return run_error("%s: %s", name, attn_last_error());
    int32_t *off = r->in[i]->t.data;
    off[0] = 0;
    off[1] = r->dims[axis];
    for (int64_t s = 0; v && s < n; s++) {
        char *end;
        long len = strtol(v, &end, 10);
        if (end == v || len <= 0 || len > INT32_MAX - off[s] || (*end && *end != ','))
            return run_error("--pack %s: bad segment lengths '%s'", name, spec);
        off[s + 1] = off[s] + (int32_t)len;
        v = *end ? end + 1 : end;
    }
    if (shape[0] > 2 || run_binding(r->o->packs, r->o->npacks, name)) {
        if (!r->dim_fixed[axis]) {
            r->dims[axis] = off[shape[0] - 1];
            r->dim_fixed[axis] = true;
        }
    }
    return 0;
}

/* Scalar parameter i from --set (or its default). */
static int run_scalar(ScanRun *r, int i)
{
    const Param *p = r->d->params[i];
    const char *v = run_binding(r->o->sets, r->o->nsets, p->name);
    if (!v)
        return p->init ? 0 : run_error("parameter '%s' has no default: give --set %s=VALUE", p->name, p->name);
    char *end;
    double x = strcmp(v, "true") == 0 ? 1 : strcmp(v, "false") == 0 ? 0 : strtod(v, &end);
    if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0 && (end == v || *end))
        return run_error("--set %s: '%s' is not a number", p->name, v);
    r->args[r->nargs++] = p->type->scalar == SK_F32  ? attn_arg_f32(i, (float)x)
                          : p->type->scalar == SK_I32 ? attn_arg_i32(i, (int32_t)x)
                                                      : attn_arg_bool(i, x != 0);
    return 0;
}

/* Dimensions: given tensors, then --set, then packs, then defaults. */
static int run_inputs(ScanRun *r)
{
    const Decl *d = r->d;
    for (int i = 0; i < d->nparams; i++)
        if (d->params[i]->type->kind == TY_TENSOR && run_load_tensor(r, i))
            return 1;
    for (int s = 0; s < r->o->nsets; s++) {
        int id = run_dim_id(d, r->o->sets[s].name);
        if (id < 0 || r->dim_fixed[id])
            continue;
        char *end;
        long v = strtol(r->o->sets[s].value, &end, 10);
        if (end == r->o->sets[s].value || *end || v < 0 || v > INT32_MAX)
            return run_error("--set %s: '%s' is not a dimension size", r->o->sets[s].name,
                             r->o->sets[s].value);
        r->dims[id] = (int32_t)v;
        r->dim_fixed[id] = true;
    }
    for (int i = 0; i < d->nparams; i++)
        if (d->params[i]->type->kind == TY_PACK && run_binding(r->o->packs, r->o->npacks, d->params[i]->name) &&
            run_load_pack(r, i))
            return 1;
    for (int id = 0; id < d->ndims; id++)
        if (!r->dim_fixed[id])
            r->dims[id] = id == d->scan.axis_dim_id ? 256 : strcmp(d->dims[id], "B") == 0 ? 1 : 8;
    uint64_t seed = r->o->seed * 0x9E3779B97F4A7C15ull + 1;
    for (int i = 0; i < d->nparams; i++) {
        const TypeRef *ty = d->params[i]->type;
        int bad = ty->kind == TY_TENSOR ? !r->in[i] && run_random_tensor(r, i, &seed)
                  : ty->kind == TY_PACK ? !r->in[i] && run_load_pack(r, i)
                                        : run_scalar(r, i);
        if (bad)
            return 1;
        if (ty->kind == TY_TENSOR)
            r->args[r->nargs++] = attn_arg_tensor(i, &r->in[i]->t);
        else if (ty->kind == TY_PACK)
            r->args[r->nargs++] = attn_arg_pack(i, &r->in[i]->t);
    }
    return 0;
}

static void run_print_dims(const ScanRun *r)
{
    printf("scan %s:", r->d->name);
    for (int id = 0; id < r->d->ndims; id++)
        printf(" %s=%d", r->d->dims[id], (int)r->dims[id]);
    printf(" (seed %llu)\n", (unsigned long long)r->o->seed);
}

static double run_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int run_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Runs the scan; under --bench N also N timed runs (median printed). */
static int run_launch(ScanRun *r, const ScanProgram *prog)
{
    DLTensor *outs[ATTN_MAX_SCAN_OUTPUTS];
    for (int o = 0; o < r->d->noutputs; o++)
        outs[o] = &r->out[o]->t;
    int iters = r->o->bench_iters > 0 ? r->o->bench_iters : 0;
    double *times = calloc((size_t)iters + 1, sizeof *times);
    attn_status s = attn_scan(&prog->var, r->args, r->nargs, outs, r->d->noutputs, NULL);
    for (int i = 0; s == ATTN_OK && i < iters; i++) {
        double t0 = run_now();
        s = attn_scan(&prog->var, r->args, r->nargs, outs, r->d->noutputs, NULL);
        times[i] = run_now() - t0;
    }
    if (s == ATTN_OK && iters) {
        qsort(times, (size_t)iters, sizeof *times, run_cmp_double);
        printf("bench: median %.3f ms over %d runs\n", 1e3 * times[iters / 2], iters);
    }
    free(times);
    return s == ATTN_OK ? 0 : run_error("%s%s", attn_last_error(), "");
}

static int32_t run_attn_dtype(DLDataType t)
{
    if (t.code == kDLInt)
        return ATTN_I32;
    if (t.code == kDLBool || t.code == kDLUInt)
        return ATTN_BOOL;
    return t.code == kDLBfloat ? ATTN_BF16 : t.bits == 16 ? ATTN_F16 : ATTN_F32;
}

/* --check: the reference interpreter on the same inputs. */
static int run_check(ScanRun *r)
{
    const Decl *d = r->d;
    attn_param *slots = calloc((size_t)d->nparams + 1, sizeof *slots);
    int32_t **segs = calloc((size_t)d->nparams + 1, sizeof *segs);
    double **ref = calloc((size_t)d->noutputs + 1, sizeof *ref);
    for (int a = 0; a < r->nargs; a++) {
        const attn_arg *g = &r->args[a];
        attn_param *sl = &slots[g->param];
        const DLTensor *t = g->u.tensor;
        if (g->kind == ATTN_ARG_TENSOR) {
            sl->u.t = (attn_tensor_arg){.data = t->data, .ndim = t->ndim, .dtype = run_attn_dtype(t->dtype)};
            int64_t st = 1;
            for (int k = t->ndim - 1; k >= 0; st *= t->shape[k], k--) {
                sl->u.t.shape[k] = t->shape[k];
                sl->u.t.stride[k] = st;
            }
        } else if (g->kind == ATTN_ARG_PACK) {
            const int32_t *off = t->data;
            int32_t n = (int32_t)t->shape[0] - 1, len = off[n];
            segs[g->param] = malloc(((size_t)len + 1) * sizeof **segs);
            for (int32_t s = 0; s < n; s++)
                for (int32_t i = off[s]; i < off[s + 1]; i++)
                    segs[g->param][i] = s;
            sl->u.p = (attn_pack_arg){off, segs[g->param], n, len};
        } else {
            sl->u.i = g->u.i; /* the union member of f32 shares the bits */
        }
    }
    for (int i = 0; i < d->nparams; i++) /* defaults of omitted scalars */
        if (d->params[i]->type->kind == TY_SCALAR && !run_binding(r->o->sets, r->o->nsets, d->params[i]->name)) {
            double v = d->params[i]->init->const_value;
            if (d->params[i]->type->scalar == SK_F32)
                slots[i].u.f = (float)v;
            else
                slots[i].u.i = (int32_t)v;
        }
    attn_ctx ctx = {.params = slots};
    memcpy(ctx.dims, r->dims, sizeof ctx.dims);
    for (int o = 0; o < d->noutputs; o++)
        ref[o] = malloc(((size_t)interp_scan_output_elems(d, &ctx, o) + 1) * sizeof **ref);
    char err[512];
    int status = interp_scan(d, &ctx, ref, err, sizeof err) ? 0 : run_error("reference: %s%s", err, "");
    for (int o = 0; !status && o < d->noutputs; o++) {
        double abs_err = 0, rel_err = 0;
        const float *c = r->out[o]->t.data;
        for (int64_t e = 0; e < interp_scan_output_elems(d, &ctx, o); e++) {
            double diff = fabs((double)c[e] - ref[o][e]);
            abs_err = diff > abs_err || diff != diff ? diff : abs_err;
            double rel = diff / fmax(1.0, fabs(ref[o][e]));
            rel_err = rel > rel_err || rel != rel ? rel : rel_err;
        }
        bool ok = rel_err <= RUN_SCAN_TOL;
        printf("check %s: max abs error %.3g, max rel error %.3g (tolerance %g): %s\n",
               d->outputs[o]->name, abs_err, rel_err, RUN_SCAN_TOL, ok ? "ok" : "MISMATCH");
        status |= !ok;
    }
    for (int i = 0; i < d->nparams; i++)
        free(segs[i]);
    for (int o = 0; o < d->noutputs; o++)
        free(ref[o]);
    free(segs);
    free(ref);
    free(slots);
    return status;
}

/* Allocates the outputs and writes them after the run (--out). */
static int run_outputs(ScanRun *r, bool write)
{
    for (int o = 0; o < r->d->noutputs; o++) {
        const Param *p = r->d->outputs[o];
        if (write) {
            mkdir(r->o->out_dir, 0777); /* an existing directory is fine; errors show below */
            char path[4096];
            snprintf(path, sizeof path, "%s/%s.npy", r->o->out_dir, p->name);
            if (attn_npy_write(path, &r->out[o]->t) != ATTN_OK)
                return run_error("%s%s", attn_last_error(), "");
            continue;
        }
        int64_t shape[ATTN_MAX_RANK];
        for (int k = 0; k < p->type->ndims; k++)
            shape[k] = p->type->dims[k].dim_id >= 0 ? r->dims[p->type->dims[k].dim_id]
                                                    : p->type->dims[k].value;
        if (attn_npy_alloc((DLDataType){kDLFloat, 32, 1}, p->type->ndims, shape, &r->out[o]) != ATTN_OK)
            return run_error("%s: %s", p->name, attn_last_error());
    }
    return 0;
}

int run_scan(Compilation *c, Decl *scan, const RunOptions *o)
{
    if (o->device != RUN_DEVICE_CPU)
        return run_error("scan '%s': scans run with --device cpu only%s", scan->name, "");
    ScanRun r = {.d = scan, .o = o};
    r.in = calloc((size_t)scan->nparams + 1, sizeof *r.in);
    r.args = calloc((size_t)scan->nparams + 1, sizeof *r.args);
    r.out = calloc((size_t)scan->noutputs + 1, sizeof *r.out);
    ScanProgram prog = {0};
    char err[CG_ERR_LEN];
    int status = run_inputs(&r);
    if (!status) {
        run_print_dims(&r);
        status = run_outputs(&r, false);
    }
    if (!status && !run_scan_program(&c->arena, scan, &prog, err))
        status = run_error("%s%s", err, "");
    status = status ? status : run_launch(&r, &prog);
    status = status ? status : o->check ? run_check(&r) : 0;
    status = status ? status : o->out_dir ? run_outputs(&r, true) : 0;
    run_scan_program_free(&prog);
    for (int i = 0; i < scan->nparams; i++)
        attn_npy_free(r.in[i]);
    for (int i = 0; i < scan->noutputs; i++)
        attn_npy_free(r.out[i]);
    free(r.in);
    free(r.args);
    free(r.out);
    return status;
}
