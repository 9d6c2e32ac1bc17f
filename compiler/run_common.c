/* run_common.c - helpers shared by the `attnc run` paths (run_common.h). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "run_common.h"

int run_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("attnc: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

const char *run_binding(const RunBinding *v, int n, const char *name)
{
    const char *found = NULL;
    for (int i = 0; i < n; i++)
        if (strcmp(v[i].name, name) == 0)
            found = v[i].value;
    return found;
}

uint64_t run_rng_seed(uint64_t seed)
{
    return seed * 0x9E3779B97F4A7C15ull + 1;
}

float run_uniform(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (float)(*s >> 40) / (float)(1 << 24);
}

float run_normal(uint64_t *s)
{
    float u1 = run_uniform(s), u2 = run_uniform(s);
    return sqrtf(-2.0f * logf(1.0f - u1)) * cosf(6.2831853f * u2);
}

bool run_parse_scalar(const Param *p, int32_t index, const char *text, attn_arg *out)
{
    char *end = NULL;
    errno = 0;
    switch (p->type->scalar) {
    case SK_BOOL: {
        bool t = !strcmp(text, "true") || !strcmp(text, "1");
        if (!t && strcmp(text, "false") && strcmp(text, "0"))
            return !run_error("--set %s: '%s' is not a bool (true, false, 1 or 0)", p->name, text);
        *out = attn_arg_bool(index, t);
        return true;
    }
    case SK_I32: {
        long long v = strtoll(text, &end, 0);
        if (end == text || *end || errno || v < INT32_MIN || v > INT32_MAX)
            return !run_error("--set %s: '%s' is not an i32", p->name, text);
        *out = attn_arg_i32(index, (int32_t)v);
        return true;
    }
    default: {
        float v = strtof(text, &end);
        if (end == text || *end || isnan(v))
            return !run_error("--set %s: '%s' is not an f32", p->name, text);
        *out = attn_arg_f32(index, v);
        return true;
    }
    }
}

/* Offsets from segment lengths "L1,L2,...". */
static int run_pack_lengths(const char *name, const char *spec, attn_npy **out)
{
    int64_t n = 1;
    for (const char *c = spec; *c; c++)
        n += *c == ',';
    int64_t shape[1] = {n + 1};
    if (attn_npy_alloc((DLDataType){kDLInt, 32, 1}, 1, shape, out) != ATTN_OK)
        return run_error("--pack %s: %s", name, attn_last_error());
    int32_t *off = (*out)->t.data;
    const char *v = spec;
    for (int64_t s = 0; s < n; s++) {
        char *end;
        errno = 0;
        long len = strtol(v, &end, 10);
        if (end == v || errno || len <= 0 || len > INT32_MAX - off[s] || (*end && *end != ','))
            return run_error("--pack %s: bad segment lengths '%s' (expected L1,L2,... all positive)",
                             name, spec);
        off[s + 1] = off[s] + (int32_t)len;
        v = *end ? end + 1 : end;
    }
    return 0;
}

int run_pack(const char *name, const char *value, int32_t length, attn_npy **out)
{
    size_t vl = value ? strlen(value) : 0;
    if (vl > 4 && strcmp(value + vl - 4, ".npy") == 0) {
        if (attn_npy_read(value, out) != ATTN_OK)
            return run_error("--pack %s: %s", name, attn_last_error());
        const DLTensor *t = &(*out)->t;
        if (t->ndim != 1 || t->dtype.code != kDLInt || t->dtype.bits != 32 || t->shape[0] < 2)
            return run_error("--pack %s: %s must hold 1-D int32 offsets (cu_seqlens) with at least 2 entries",
                             name, value);
        return 0;
    }
    if (value)
        return run_pack_lengths(name, value, out);
    int64_t shape[1] = {2};
    if (attn_npy_alloc((DLDataType){kDLInt, 32, 1}, 1, shape, out) != ATTN_OK)
        return run_error("--pack %s: %s", name, attn_last_error());
    ((int32_t *)(*out)->t.data)[1] = length;
    return 0;
}

int run_read_param_tensor(const RunOptions *o, const Param *p, int first_free, int32_t *dims,
                          bool *bound, attn_npy **out)
{
    const char *file = run_binding(o->tensors, o->ntensors, p->name);
    char path[4096];
    struct stat st;
    if (!file && o->inputs_dir) {
        snprintf(path, sizeof path, "%s/%s.npy", o->inputs_dir, p->name);
        file = stat(path, &st) == 0 ? path : NULL;
    }
    if (!file)
        return 0;
    if (attn_npy_read(file, out) != ATTN_OK)
        return run_error("--tensor %s: %s: %s", p->name, file, attn_last_error());
    const DLTensor *t = &(*out)->t;
    for (int k = 0; k < t->ndim && k < p->type->ndims; k++) {
        int id = p->type->dims[k].dim_id;
        if (id >= first_free && !bound[id] && t->shape[k] <= INT32_MAX) {
            dims[id] = (int32_t)t->shape[k];
            bound[id] = true;
        }
    }
    return 0;
}

int32_t run_attn_dtype(DLDataType t)
{
    if (t.code == kDLInt)
        return ATTN_I32;
    if (t.code == kDLBool || (t.code == kDLUInt && t.bits == 8))
        return ATTN_BOOL;
    if (t.code == kDLBfloat || t.code == kDLUInt)
        return ATTN_BF16;
    return t.bits == 16 ? ATTN_F16 : ATTN_F32;
}

void run_from_f32(const float *src, int64_t n, int32_t dtype, void *dst)
{
    for (int64_t i = 0; i < n; i++) {
        if (dtype == ATTN_F16) {
            ((_Float16 *)dst)[i] = (_Float16)src[i];
        } else if (dtype == ATTN_BF16) {
            uint32_t bits;
            memcpy(&bits, &src[i], 4);
            bits += 0x7FFFu + ((bits >> 16) & 1u); /* finite inputs only (random / files) */
            ((uint16_t *)dst)[i] = (uint16_t)(bits >> 16);
        } else {
            ((float *)dst)[i] = src[i];
        }
    }
}

void run_to_f32(const void *src, int64_t n, int32_t dtype, float *dst)
{
    for (int64_t i = 0; i < n; i++) {
        if (dtype == ATTN_F16) {
            dst[i] = (float)((const _Float16 *)src)[i];
        } else if (dtype == ATTN_BF16) {
            uint32_t bits = (uint32_t)((const uint16_t *)src)[i] << 16;
            memcpy(&dst[i], &bits, 4);
        } else {
            dst[i] = ((const float *)src)[i];
        }
    }
}

attn_tensor_arg run_tensor_arg(const DLTensor *t)
{
    attn_tensor_arg a = {.data = t->data, .ndim = t->ndim, .dtype = run_attn_dtype(t->dtype)};
    int64_t stride = 1;
    for (int k = t->ndim - 1; k >= 0; stride *= t->shape[k], k--) {
        a.shape[k] = t->shape[k];
        a.stride[k] = stride;
    }
    return a;
}

void run_interp_slots(const Decl *d, const attn_arg *args, int32_t nargs, attn_param *slots,
                      int32_t **segs)
{
    bool *given = calloc((size_t)d->nparams + 1, sizeof *given);
    for (int32_t a = 0; a < nargs; a++) {
        const attn_arg *g = &args[a];
        attn_param *sl = &slots[g->param];
        given[g->param] = true;
        if (g->kind == ATTN_ARG_TENSOR) {
            sl->u.t = run_tensor_arg(g->u.tensor);
        } else if (g->kind == ATTN_ARG_PACK) {
            const int32_t *off = g->u.tensor->data;
            int32_t n = (int32_t)g->u.tensor->shape[0] - 1, len = off[n];
            segs[g->param] = malloc(((size_t)len + 1) * sizeof **segs);
            for (int32_t s = 0; s < n; s++)
                for (int32_t i = off[s]; i < off[s + 1]; i++)
                    segs[g->param][i] = s;
            sl->u.p = (attn_pack_arg){off, segs[g->param], n, len};
        } else if (g->kind == ATTN_ARG_F32) {
            sl->u.f = g->u.f;
        } else {
            sl->u.i = g->u.i;
        }
    }
    for (int i = 0; i < d->nparams; i++) { /* defaults of omitted scalars */
        const Param *p = d->params[i];
        if (given[i] || p->type->kind != TY_SCALAR || !p->init)
            continue;
        if (p->type->scalar == SK_F32)
            slots[i].u.f = (float)p->init->const_value;
        else
            slots[i].u.i = (int32_t)p->init->const_value;
    }
    free(given);
}

void run_interp_slots_free(const Decl *d, int32_t **segs)
{
    for (int i = 0; i < d->nparams; i++)
        free(segs[i]);
}

bool run_compare(const char *name, const float *compiled, const double *ref, int64_t n,
                 double tol)
{
    double abs_err = 0, rel_err = 0;
    for (int64_t e = 0; e < n; e++) {
        double c = compiled[e], r = ref[e];
        /* equal infinities and NaN against NaN agree; NaN against a number does not */
        double diff = isnan(r) || isnan(c)   ? (isnan(r) && isnan(c) ? 0 : INFINITY)
                      : isinf(r) || isinf(c) ? (c == r ? 0 : INFINITY)
                                             : fabs(c - r);
        double rel = diff / fmax(1.0, fabs(r));
        abs_err = diff > abs_err || isnan(diff) ? diff : abs_err;
        rel_err = rel > rel_err || isnan(rel) ? rel : rel_err;
    }
    bool ok = rel_err <= tol;
    printf("check %s: max abs error %.3g, max rel error %.3g (tolerance %g): %s\n", name, abs_err,
           rel_err, tol, ok ? "ok" : "MISMATCH");
    return ok;
}

int run_write_npy(const char *dir, const char *name, const DLTensor *t)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", dir);
    for (char *s = path + (path[0] != 0);; s++) /* mkdir -p; failures show when writing */
        if (*s == '/' || !*s) {
            char c = *s;
            *s = '\0';
            mkdir(path, 0777);
            if (!(*s = c))
                break;
        }
    snprintf(path, sizeof path, "%s/%s.npy", dir, name);
    if (attn_npy_write(path, t) != ATTN_OK)
        return run_error("%s", attn_last_error());
    return 0;
}

double run_now(void)
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

double run_median(double *times, int n)
{
    qsort(times, (size_t)n, sizeof *times, run_cmp_double);
    return times[n / 2];
}

/* The index of d's parameter called `name`, or -1. */
static int run_param_index(const Decl *d, const char *name)
{
    for (int i = 0; i < d->nparams; i++)
        if (strcmp(d->params[i]->name, name) == 0)
            return i;
    return -1;
}

int run_check_bindings(const Decl *d, const RunOptions *o)
{
    static const char *const opts[3] = {"--set", "--tensor", "--pack"};
    static const TypeKind kinds[3] = {TY_SCALAR, TY_TENSOR, TY_PACK};
    const RunBinding *lists[3] = {o->sets, o->tensors, o->packs};
    int counts[3] = {o->nsets, o->ntensors, o->npacks};
    for (int l = 0; l < 3; l++)
        for (int i = 0; i < counts[l]; i++) {
            int p = run_param_index(d, lists[l][i].name);
            if (p < 0)
                return run_error("%s %s: variant '%s' has no parameter '%s'", opts[l], lists[l][i].name,
                                 d->name, lists[l][i].name);
            if (d->params[p]->type->kind != kinds[l])
                return run_error("%s %s: parameter '%s' is not a %s", opts[l], lists[l][i].name,
                                 lists[l][i].name, l == 0 ? "scalar" : l == 1 ? "tensor" : "pack");
        }
    return 0;
}
