/* diff_params.c - values for a variant's parameters in the differential
 * test (diff_case.h): scalars in a sensible range chosen by name (windows,
 * prefix lengths, block sizes, caps, temperatures), tensors by element type
 * and name (slopes, document ids, global-token flags), packs with one or
 * many segments including length-1 ones. */
#include <math.h>
#include <string.h>

#include "diff_case.h"
#include "run_common.h"

/* Range of a scalar parameter called `name`: [lo, hi] plus per_len times
 * the longer of Q and KV (i32 values are rounded down). */
typedef struct DiffRange {
    const char *name;
    double lo, hi, per_len;
} DiffRange;

static const DiffRange diff_ranges[] = {
    {"w", 0, 8, 0.5},        {"prefix", 0, 0, 1.0}, {"g", 0, 8, 0},       {"sinks", 0, 8, 0},
    {"bs", 1, 48, 0},        {"n", 1, 1, 0.6},      {"cw", 1, 40, 0},     {"ch", 1, 40, 0},
    {"kw", 1, 9, 0},         {"kh", 1, 9, 0},       {"dilation", 1, 5, 0}, {"max_distance", 4, 200, 0},
    {"causal_heads", 0, 4, 0}, {"lo", 0, 0, 1.0},   {"cap", 1, 60, 0},    {"t", 0.25, 4, 0},
    {"r1", 0, 2, 0},         {"r2", 0, 2, 0},       {"s", 0.02, 0.5, 0},  {"gain", -2, 2, 0},
};

static double diff_uniform(uint64_t *rng, double lo, double hi)
{
    return lo + (hi - lo) * run_uniform(rng);
}

static attn_arg diff_scalar(const DiffCase *c, int i, uint64_t *rng)
{
    const Param *p = c->d->params[i];
    int32_t len = c->dims[ATTN_DIM_Q] > c->dims[ATTN_DIM_KV] ? c->dims[ATTN_DIM_Q] : c->dims[ATTN_DIM_KV];
    DiffRange r = {p->name, p->type->scalar == SK_F32 ? 0.5 : 0, 2, p->type->scalar == SK_F32 ? 0 : 1};
    for (size_t k = 0; k < sizeof diff_ranges / sizeof diff_ranges[0]; k++)
        if (strcmp(diff_ranges[k].name, p->name) == 0)
            r = diff_ranges[k];
    double v = diff_uniform(rng, r.lo, r.hi + r.per_len * len);
    if (p->type->scalar == SK_F32)
        return attn_arg_f32(i, (float)v);
    if (p->type->scalar == SK_BOOL)
        return attn_arg_bool(i, run_uniform(rng) < 0.5f);
    return attn_arg_i32(i, (int32_t)floor(v));
}

/* Element i of a tensor parameter called `name` of element type sk. */
static float diff_element(const char *name, ScalarKind sk, int64_t i, int32_t *doc, uint64_t *rng)
{
    if (sk == SK_BOOL)
        return run_uniform(rng) < (strcmp(name, "is_global") == 0 ? 0.05f : 0.5f);
    if (sk == SK_I32 && strcmp(name, "doc") == 0) { /* sorted ids, segments of random length */
        *doc += i > 0 && run_uniform(rng) < 0.06f;
        return (float)*doc;
    }
    if (sk == SK_I32)
        return (float)(int)(run_uniform(rng) * 4.0f);
    if (strcmp(name, "slopes") == 0)
        return (float)diff_uniform(rng, 0, 0.3);
    return 0.5f * run_normal(rng);
}

/* Tensor parameter i: shape from its declared dims, elements by name. */
static bool diff_tensor(DiffCase *c, int i, uint64_t *rng)
{
    static const DLDataType dl[5] = {{kDLFloat, 32, 1}, {kDLFloat, 16, 1}, {kDLBfloat, 16, 1},
                                     {kDLInt, 32, 1}, {kDLBool, 8, 1}};
    static const int32_t dtypes[] = {[SK_BOOL] = ATTN_BOOL, [SK_I32] = ATTN_I32, [SK_F32] = ATTN_F32,
                                     [SK_F16] = ATTN_F16, [SK_BF16] = ATTN_BF16};
    const Param *p = c->d->params[i];
    int64_t shape[ATTN_MAX_RANK] = {0}, n = 1;
    for (int k = 0; k < p->type->ndims; k++) {
        const DimRef *dr = &p->type->dims[k];
        shape[k] = dr->dim_id >= 0 ? c->dims[dr->dim_id] : dr->value;
        n *= shape[k];
    }
    int32_t dt = dtypes[p->type->scalar];
    if (attn_npy_alloc(dl[dt], p->type->ndims, shape, &c->in[i]) != ATTN_OK)
        return false;
    void *data = c->in[i]->t.data;
    int32_t doc = 0;
    for (int64_t e = 0; e < n; e++) {
        float x = diff_element(p->name, p->type->scalar, e, &doc, rng);
        if (dt == ATTN_I32)
            ((int32_t *)data)[e] = (int32_t)x;
        else if (dt == ATTN_BOOL)
            ((uint8_t *)data)[e] = x != 0;
        else
            run_from_f32(&x, 1, dt, (char *)data + e * (dt == ATTN_F32 ? 4 : 2));
    }
    return true;
}

/* Pack offsets over KV (== Q): one segment, or many with frequent length-1
 * segments. */
static bool diff_pack(DiffCase *c, int i, uint64_t *rng)
{
    int32_t len = c->dims[ATTN_DIM_KV];
    int64_t cap = (int64_t)len + 1;
    if (attn_npy_alloc((DLDataType){kDLInt, 32, 1}, 1, &cap, &c->in[i]) != ATTN_OK)
        return false;
    int32_t *off = c->in[i]->t.data, n = 0;
    bool one = run_uniform(rng) < 0.3f;
    int32_t most = len / 3 > 1 ? len / 3 : 1;
    for (int32_t at = 0; at < len; n++) {
        int32_t seg = one ? len : run_uniform(rng) < 0.3f ? 1 : 1 + (int32_t)(run_uniform(rng) * (float)most);
        off[n] = at;
        at = seg < len - at ? at + seg : len;
    }
    off[n] = len;
    c->in[i]->shape[0] = n + 1;
    c->in[i]->t.shape[0] = n + 1;
    return true;
}

bool diff_param_draw(DiffCase *c, int i, uint64_t *rng, attn_arg *arg, bool *oom)
{
    const Param *p = c->d->params[i];
    if (p->type->kind == TY_PACK) {
        *oom = !diff_pack(c, i, rng);
        *arg = attn_arg_pack(i, &c->in[i]->t);
        return !*oom;
    }
    if (p->type->kind == TY_TENSOR) {
        *oom = !diff_tensor(c, i, rng);
        *arg = attn_arg_tensor(i, &c->in[i]->t);
        return !*oom;
    }
    if (p->init && run_uniform(rng) < 0.25f)
        return false;
    *arg = diff_scalar(c, i, rng);
    return true;
}

void diff_free_dims_draw(DiffCase *c, uint64_t *rng)
{
    for (int i = ATTN_DIM_STANDARD_COUNT; i < c->d->ndims && i < ATTN_MAX_VARIANT_DIMS; i++)
        c->dims[i] = 1 + (int32_t)(run_uniform(rng) * 40.0f);
}
