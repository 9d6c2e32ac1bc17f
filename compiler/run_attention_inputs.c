/* run_attention_inputs.c - the inputs of `attnc run` for an attention
 * variant (run_attention.h): q, k, v and the declared parameters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_attention.h"
#include "run_common.h"

static const char *const run_qkv_names[3] = {"q", "k", "v"};

static const char *run_dtype_name(int32_t dt)
{
    static const char *const names[] = {"f32", "f16", "bf16", "i32", "bool"};
    return dt >= 0 && dt <= ATTN_BOOL ? names[dt] : "?";
}

/* Reads DIR/NAME.npy into *out; 0, or 1 after an error. */
static int run_read_input(const char *dir, const char *name, attn_npy **out)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.npy", dir, name);
    if (attn_npy_read(path, out) != ATTN_OK)
        return run_error("%s", attn_last_error());
    return 0;
}

/* Checks q/k/v read from --inputs and takes the dimensions from them. */
static int run_qkv_from_files(AttnRun *r)
{
    attn_npy *t[3] = {r->q, r->k, r->v};
    for (int i = 0; i < 3; i++) {
        if (t[i]->t.ndim != 4)
            return run_error("%s.npy: expected 4 dimensions [B, %s, %s, %s], got %d", run_qkv_names[i],
                             i ? "HKV" : "H", i ? "KV" : "Q", i == 2 ? "DV" : "D", t[i]->t.ndim);
        int32_t dt = run_attn_dtype(t[i]->t.dtype);
        if (dt != r->dtype)
            return run_error("%s.npy: elements are %s, but --dtype is %s", run_qkv_names[i],
                             run_dtype_name(dt), run_dtype_name(r->dtype));
        for (int a = 0; a < 4; a++)
            if (t[i]->shape[a] > INT32_MAX)
                return run_error("%s.npy: dimension %d is too large", run_qkv_names[i], a);
    }
    const int64_t *q = r->q->shape, *k = r->k->shape, *v = r->v->shape;
    struct {
        const char *file, *what;
        int64_t got, want;
    } checks[] = {
        {"k", "batch size (dimension 0)", k[0], q[0]}, {"v", "batch size (dimension 0)", v[0], q[0]},
        {"v", "number of heads (dimension 1)", v[1], k[1]}, {"v", "length (dimension 2)", v[2], k[2]},
        {"k", "head dim (dimension 3)", k[3], q[3]},
    };
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++)
        if (checks[i].got != checks[i].want)
            return run_error("%s.npy: %s is %lld, expected %lld", checks[i].file, checks[i].what,
                             (long long)checks[i].got, (long long)checks[i].want);
    if (k[1] == 0 || q[1] % k[1] != 0)
        return run_error("k.npy: %lld key/value heads do not divide the %lld query heads of q.npy",
                         (long long)k[1], (long long)q[1]);
    int64_t dims[7] = {q[0], q[1], k[1], q[2], k[2], q[3], v[3]};
    for (int i = 0; i < 7; i++)
        r->dims[i] = (int32_t)dims[i];
    return 0;
}

/* Dimensions from --shape (default 1,4,256,256,64) and --kv-heads. */
static int run_dims_from_options(AttnRun *r)
{
    static const char *const names[6] = {"B", "H", "Q", "KV", "D", "DV"};
    int64_t s[6] = {1, 4, 256, 256, 64, 0};
    if (r->o->have_shape)
        for (int i = 0; i < r->o->nshape; i++)
            s[i] = r->o->shape[i];
    if (!r->o->have_shape || r->o->nshape < 6)
        s[5] = s[4];
    for (int i = 0; i < 6; i++)
        if (s[i] < 1 || s[i] > INT32_MAX)
            return run_error("--shape: %s = %lld, expected a size from 1 to %d", names[i], (long long)s[i],
                             INT32_MAX);
    int64_t hkv = r->o->kv_heads ? r->o->kv_heads : s[1];
    if (hkv < 1 || s[1] % hkv != 0)
        return run_error("--kv-heads %lld: must divide the %lld query heads (H)", (long long)hkv,
                         (long long)s[1]);
    int64_t dims[7] = {s[0], s[1], hkv, s[2], s[3], s[4], s[5]};
    for (int i = 0; i < 7; i++)
        r->dims[i] = (int32_t)dims[i];
    return 0;
}

/* A compact tensor of the given shape and dtype with N(0, 1) elements. */
static int run_random(const char *name, int32_t dtype, int ndim, const int64_t *shape, uint64_t *rng,
                      attn_npy **out)
{
    static const DLDataType dl[3] = {{kDLFloat, 32, 1}, {kDLFloat, 16, 1}, {kDLBfloat, 16, 1}};
    int64_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= shape[i];
    float *tmp = malloc(((size_t)n + 1) * sizeof *tmp);
    if (!tmp || attn_npy_alloc(dl[dtype], ndim, shape, out) != ATTN_OK) {
        free(tmp);
        return run_error("%s: cannot allocate %lld elements", name, (long long)n);
    }
    for (int64_t i = 0; i < n; i++)
        tmp[i] = run_normal(rng);
    run_from_f32(tmp, n, dtype, (*out)->t.data);
    free(tmp);
    return 0;
}

static int run_qkv(AttnRun *r, uint64_t *rng)
{
    attn_npy **t[3] = {&r->q, &r->k, &r->v};
    if (r->o->inputs_dir) {
        if (r->o->have_shape || r->o->kv_heads)
            return run_error("--inputs takes the shapes from q.npy, k.npy and v.npy: drop --shape and --kv-heads");
        for (int i = 0; i < 3; i++)
            if (run_read_input(r->o->inputs_dir, run_qkv_names[i], t[i]))
                return 1;
        return run_qkv_from_files(r);
    }
    if (run_dims_from_options(r))
        return 1;
    const int32_t *dm = r->dims;
    int64_t shapes[3][4] = {{dm[ATTN_DIM_B], dm[ATTN_DIM_H], dm[ATTN_DIM_Q], dm[ATTN_DIM_D]},
                            {dm[ATTN_DIM_B], dm[ATTN_DIM_HKV], dm[ATTN_DIM_KV], dm[ATTN_DIM_D]},
                            {dm[ATTN_DIM_B], dm[ATTN_DIM_HKV], dm[ATTN_DIM_KV], dm[ATTN_DIM_DV]}};
    for (int i = 0; i < 3; i++)
        if (run_random(run_qkv_names[i], r->dtype, 4, shapes[i], rng, t[i]))
            return 1;
    return 0;
}

/* Tensor parameter i not given: f32 tensors are drawn N(0, 1); others carry
 * meaning (ids, flags) and must be given. */
static int run_draw_tensor(AttnRun *r, int i, uint64_t *rng)
{
    const Param *p = r->d->params[i];
    const TypeRef *ty = p->type;
    if (ty->scalar != SK_F32)
        return run_error("tensor parameter '%s' needs --tensor %s=FILE.npy (only f32 tensors are drawn at "
                         "random)", p->name, p->name);
    int64_t shape[ATTN_MAX_RANK];
    for (int k = 0; k < ty->ndims; k++) {
        int id = ty->dims[k].dim_id;
        if (id >= ATTN_DIM_STANDARD_COUNT && !r->dim_bound[id])
            return run_error("tensor parameter '%s': its dimension %s is not bound by any given tensor; give "
                             "--tensor %s=FILE.npy", p->name, r->d->dims[id], p->name);
        shape[k] = id >= 0 ? r->dims[id] : ty->dims[k].value;
    }
    return run_random(p->name, ATTN_F32, ty->ndims, shape, rng, &r->in[i]);
}

/* Pack parameter i: from --pack, else one segment (Q == KV only). Its
 * segments must cover both Q and KV. */
static int run_load_pack(AttnRun *r, int i)
{
    const char *name = r->d->params[i]->name, *v = run_binding(r->o->packs, r->o->npacks, name);
    int32_t nq = r->dims[ATTN_DIM_Q], nkv = r->dims[ATTN_DIM_KV];
    if (!v && nq != nkv)
        return run_error("pack '%s' needs --pack %s=L1,L2,... or FILE.npy (Q != KV)", name, name);
    if (run_pack(name, v, nkv, &r->in[i]))
        return 1;
    const DLTensor *t = &r->in[i]->t;
    int32_t end = ((const int32_t *)t->data)[t->shape[0] - 1];
    if (end != nq || end != nkv)
        return run_error("--pack %s: the segments cover %d positions, but Q = %d and KV = %d", name,
                         (int)end, (int)nq, (int)nkv);
    return 0;
}

int run_attn_inputs(AttnRun *r)
{
    const Decl *d = r->d;
    uint64_t rng = run_rng_seed(r->o->seed);
    r->in = calloc((size_t)d->nparams + 1, sizeof *r->in);
    r->args = calloc((size_t)d->nparams + 1, sizeof *r->args);
    if (!r->in || !r->args)
        return run_error("out of memory");
    if (run_check_bindings(r->d, r->o) || run_qkv(r, &rng))
        return 1;
    for (int i = 0; i < ATTN_DIM_STANDARD_COUNT; i++)
        r->dim_bound[i] = true;
    for (int i = 0; i < d->nparams; i++)
        if (d->params[i]->type->kind == TY_TENSOR && run_read_param_tensor(r->o, d->params[i], ATTN_DIM_STANDARD_COUNT, r->dims, r->dim_bound, &r->in[i]))
            return 1;
    for (int i = 0; i < d->nparams; i++) {
        const Param *p = d->params[i];
        if (p->type->kind == TY_TENSOR) {
            if (!r->in[i] && run_draw_tensor(r, i, &rng))
                return 1;
            r->args[r->nargs++] = attn_arg_tensor(i, &r->in[i]->t);
        } else if (p->type->kind == TY_PACK) {
            if (run_load_pack(r, i))
                return 1;
            r->args[r->nargs++] = attn_arg_pack(i, &r->in[i]->t);
        } else {
            const char *v = run_binding(r->o->sets, r->o->nsets, p->name);
            if (!v && !p->init)
                return run_error("parameter '%s' has no default: give --set %s=VALUE", p->name, p->name);
            if (v && !run_parse_scalar(p, i, v, &r->args[r->nargs++]))
                return 1;
        }
    }
    return 0;
}

void run_attn_inputs_free(AttnRun *r)
{
    for (int i = 0; r->in && i < r->d->nparams; i++)
        attn_npy_free(r->in[i]);
    attn_npy_free(r->q);
    attn_npy_free(r->k);
    attn_npy_free(r->v);
    free(r->in);
    free(r->args);
}
