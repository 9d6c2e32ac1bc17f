/* diff_case.c - shapes, dtype and q/k/v of a random attention problem
 * (diff_case.h); parameters are drawn by diff_params.c. */
#include <stdlib.h>

#include "diff_case.h"
#include "run_common.h"

static const char *const diff_dtype_names[3] = {"f32", "f16", "bf16"};

static int32_t diff_pick(uint64_t *rng, const int32_t *v, int n)
{
    int i = (int)(run_uniform(rng) * (float)n);
    return v[i < n ? i : n - 1];
}

/* A sequence length; 1000 rarely (the reference is O(Q * KV * D)). */
static int32_t diff_length(uint64_t *rng)
{
    static const int32_t lengths[5] = {1, 17, 127, 128, 129};
    return run_uniform(rng) < 0.08f ? 1000 : diff_pick(rng, lengths, 5);
}

static bool diff_has_pack(const Decl *d)
{
    for (int i = 0; i < d->nparams; i++)
        if (d->params[i]->type->kind == TY_PACK)
            return true;
    return false;
}

/* Whether d has launch-time preconditions on shapes (doc[q] with doc of
 * length KV needs Q <= KV). */
static bool diff_has_precond(const Decl *d)
{
    for (int i = 0; i < d->nfacts; i++)
        if (d->facts[i]->kind == BOUNDS_PRECOND)
            return true;
    return false;
}

/* B H HKV Q KV D DV under the rules of diff_case_draw. */
static void diff_dims_draw(DiffCase *c, uint64_t *rng, double max_pairs)
{
    static const int32_t heads[3] = {1, 2, 4}, hdims[4] = {16, 64, 80, 128};
    int32_t *dm = c->dims;
    bool pack = diff_has_pack(c->d), ordered = diff_has_precond(c->d);
    do {
        dm[ATTN_DIM_B] = run_uniform(rng) < 0.5f ? 1 : 2;
        dm[ATTN_DIM_Q] = diff_length(rng);
        dm[ATTN_DIM_KV] = pack ? dm[ATTN_DIM_Q] : diff_length(rng);
    } while ((double)dm[ATTN_DIM_B] * 4 * dm[ATTN_DIM_Q] * dm[ATTN_DIM_KV] > max_pairs);
    if (ordered && dm[ATTN_DIM_Q] > dm[ATTN_DIM_KV]) {
        int32_t t = dm[ATTN_DIM_Q];
        dm[ATTN_DIM_Q] = dm[ATTN_DIM_KV];
        dm[ATTN_DIM_KV] = t;
    }
    dm[ATTN_DIM_H] = 4;
    dm[ATTN_DIM_HKV] = diff_pick(rng, heads, 3);
    dm[ATTN_DIM_D] = diff_pick(rng, hdims, 4);
    dm[ATTN_DIM_DV] = run_uniform(rng) < 0.6f ? dm[ATTN_DIM_D] : diff_pick(rng, hdims, 4);
}

/* A compact [B, heads, len, dim] tensor of N(0, 1) values rounded to dtype. */
static bool diff_qkv(const DiffCase *c, int heads, int len, int dim, uint64_t *rng, attn_npy **out)
{
    static const DLDataType dl[3] = {{kDLFloat, 32, 1}, {kDLFloat, 16, 1}, {kDLBfloat, 16, 1}};
    int64_t shape[4] = {c->dims[ATTN_DIM_B], c->dims[heads], c->dims[len], c->dims[dim]};
    int64_t n = shape[0] * shape[1] * shape[2] * shape[3];
    float *tmp = malloc((size_t)n * sizeof *tmp);
    bool ok = tmp && attn_npy_alloc(dl[c->dtype], 4, shape, out) == ATTN_OK;
    for (int64_t i = 0; ok && i < n; i++)
        tmp[i] = run_normal(rng);
    if (ok)
        run_from_f32(tmp, n, c->dtype, (*out)->t.data);
    free(tmp);
    return ok;
}

bool diff_case_draw(const Decl *d, uint64_t *rng, double max_pairs, DiffCase *c)
{
    *c = (DiffCase){.d = d};
    diff_dims_draw(c, rng, max_pairs);
    c->dtype = (int32_t)(run_uniform(rng) * 3.0f) % 3;
    diff_free_dims_draw(c, rng);
    c->in = calloc((size_t)d->nparams + 1, sizeof *c->in);
    c->args = calloc((size_t)d->nparams + 1, sizeof *c->args);
    bool ok = c->in && c->args && diff_qkv(c, ATTN_DIM_H, ATTN_DIM_Q, ATTN_DIM_D, rng, &c->q) &&
              diff_qkv(c, ATTN_DIM_HKV, ATTN_DIM_KV, ATTN_DIM_D, rng, &c->k) &&
              diff_qkv(c, ATTN_DIM_HKV, ATTN_DIM_KV, ATTN_DIM_DV, rng, &c->v);
    for (int i = 0; ok && i < d->nparams; i++) {
        bool oom = false;
        if (diff_param_draw(c, i, rng, &c->args[c->nargs], &oom))
            c->nargs++;
        ok = !oom;
    }
    if (!ok)
        fprintf(stderr, "diff: out of memory drawing a case of '%s'\n", d->name);
    return ok;
}

void diff_case_free(DiffCase *c)
{
    for (int i = 0; c->in && i < c->d->nparams; i++)
        attn_npy_free(c->in[i]);
    attn_npy_free(c->q);
    attn_npy_free(c->k);
    attn_npy_free(c->v);
    free(c->in);
    free(c->args);
}

/* Pack offsets as "L1,L2,..." segment lengths (the first 12). */
static void diff_print_pack(FILE *f, const DLTensor *t)
{
    const int32_t *off = t->data;
    int64_t n = t->shape[0] - 1;
    for (int64_t s = 0; s < n && s < 12; s++)
        fprintf(f, "%s%d", s ? "," : "", (int)(off[s + 1] - off[s]));
    if (n > 12)
        fprintf(f, ",... (%lld segments)", (long long)n);
}

void diff_case_print(FILE *f, const DiffCase *c)
{
    const int32_t *dm = c->dims;
    fprintf(f, "%s %s B=%d H=%d HKV=%d Q=%d KV=%d D=%d DV=%d", c->d->name, diff_dtype_names[c->dtype],
            dm[0], dm[1], dm[2], dm[3], dm[4], dm[5], dm[6]);
    for (int i = ATTN_DIM_STANDARD_COUNT; i < c->d->ndims; i++)
        fprintf(f, " %s=%d", c->d->dims[i], dm[i]);
    for (int32_t a = 0; a < c->nargs; a++) {
        const attn_arg *g = &c->args[a];
        fprintf(f, " %s=", c->d->params[g->param]->name);
        if (g->kind == ATTN_ARG_F32)
            fprintf(f, "%g", (double)g->u.f);
        else if (g->kind == ATTN_ARG_PACK)
            diff_print_pack(f, g->u.tensor);
        else if (g->kind == ATTN_ARG_TENSOR)
            fprintf(f, "<tensor>");
        else
            fprintf(f, "%d", (int)g->u.i);
    }
    fputc('\n', f);
}
