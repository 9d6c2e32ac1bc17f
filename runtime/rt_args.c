/* rt_args.c - binding launch arguments to a variant's declared parameters:
 * scalar kinds, tensor dtypes / ranks / free dimensions, pack offsets
 * (validated, with the seg_of table built here), and the compiler's
 * launch-time preconditions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_internal.h"

static const char *rt_param_kind_name(attn_param_kind k) {
    switch (k) {
    case ATTN_PARAM_BOOL: return "bool";
    case ATTN_PARAM_I32: return "i32";
    case ATTN_PARAM_F32: return "f32";
    case ATTN_PARAM_TENSOR: return "tensor";
    case ATTN_PARAM_PACK: return "pack";
    }
    return "?";
}

static const char *rt_arg_kind_name(attn_arg_kind k) {
    switch (k) {
    case ATTN_ARG_BOOL: return "bool";
    case ATTN_ARG_I32: return "i32";
    case ATTN_ARG_F32: return "f32";
    case ATTN_ARG_TENSOR: return "tensor";
    case ATTN_ARG_PACK: return "pack";
    }
    return "?";
}

static const char *rt_dtype_name(int32_t d) {
    static const char *const names[] = {"f32", "f16", "bf16", "i32", "bool"};
    return d >= 0 && d <= ATTN_BOOL ? names[d] : "?";
}

int32_t attn_find_param(const attn_variant *var, const char *name) {
    if (!var || !name)
        return -1;
    for (int32_t i = 0; i < var->nparams; i++)
        if (strcmp(var->params[i].name, name) == 0)
            return i;
    return -1;
}

/* Free-dimension bookkeeping: which tensor axis bound each dimension. */
typedef struct rt_dim_binding {
    int32_t param, axis; /* -1: not bound yet */
} rt_dim_binding;

static const char *rt_dim_name(const attn_variant *var, int32_t id) {
    return id >= 0 && id < var->ndims && var->dims ? var->dims[id] : "?";
}

/* The first dimension bound from shapes: scans have no launch-bound
 * dimensions, every dimension of theirs is free. */
static int32_t rt_first_free_dim(const attn_variant *var) {
    return var->kind == ATTN_KIND_SCAN ? 0 : ATTN_DIM_STANDARD_COUNT;
}

/* Binds tensor argument t to tensor parameter number pi. */
static attn_status rt_bind_tensor(const attn_variant *var, int32_t pi, const DLTensor *t,
                                  int32_t *dims, rt_dim_binding *bind, attn_param *slot) {
    const attn_param_desc *d = &var->params[pi];
    attn_status s = rt_check_cpu_tensor(t, d->name);
    if (s != ATTN_OK)
        return s;
    char buf[32];
    if (rt_dtype_from_dl(t->dtype) != d->dtype)
        return rt_fail(ATTN_ERR_DTYPE, "%s: expected %s elements, got %s", d->name,
                       rt_dtype_name(d->dtype), rt_dl_dtype_name(t->dtype, buf));
    if (t->ndim != d->rank)
        return rt_fail(ATTN_ERR_SHAPE, "%s: expected %d dimension%s, got %d", d->name,
                       (int)d->rank, d->rank == 1 ? "" : "s", (int)t->ndim);
    attn_tensor_arg *ta = &slot->u.t;
    ta->data = rt_data(t);
    ta->ndim = t->ndim;
    ta->dtype = d->dtype;
    for (int32_t ax = 0; ax < t->ndim; ax++) {
        int64_t size = t->shape[ax];
        ta->shape[ax] = size;
        ta->stride[ax] = rt_stride(t, ax);
        int32_t id = d->dim_id[ax];
        if (id < 0) {
            if (size != d->dim_const[ax])
                return rt_fail(ATTN_ERR_SHAPE, "%s: dimension %d must be %lld, got %lld", d->name,
                               (int)ax, (long long)d->dim_const[ax], (long long)size);
        } else if (id < rt_first_free_dim(var)) {
            /* A launch-bound dimension (H in `slopes: f32[H]`): the compiler
             * proved indices in range against it, which holds iff the axis is
             * at least that long. (Block-mask builds pass D = DV = 0.) */
            if (size < dims[id])
                return rt_fail(ATTN_ERR_SHAPE, "%s: dimension %d (%s) must be at least %d, got %lld",
                               d->name, (int)ax, rt_dim_name(var, id), (int)dims[id],
                               (long long)size);
        } else if (id < ATTN_MAX_VARIANT_DIMS) {
            if (size > INT32_MAX)
                return rt_fail(ATTN_ERR_SHAPE, "%s: dimension %d (%s) = %lld exceeds the 32-bit limit",
                               d->name, (int)ax, rt_dim_name(var, id), (long long)size);
            if (bind[id].param < 0) {
                bind[id].param = pi;
                bind[id].axis = ax;
                dims[id] = (int32_t)size;
            } else if (dims[id] != size) {
                return rt_fail(ATTN_ERR_SHAPE,
                               "%s: dimension %d (%s) is %lld, but %s's dimension %d made it %d",
                               d->name, (int)ax, rt_dim_name(var, id), (long long)size,
                               var->params[bind[id].param].name, (int)bind[id].axis, (int)dims[id]);
            }
        }
    }
    return ATTN_OK;
}

/* Validates pack offsets t for parameter pi and builds its table:
 * offsets (nseg + 1, compact) followed by seg_of (length entries). */
static attn_status rt_bind_pack(const attn_variant *var, int32_t pi, const DLTensor *t,
                                const int32_t *dims, attn_param *slot, int32_t **table) {
    const attn_param_desc *d = &var->params[pi];
    attn_status s = rt_check_cpu_tensor(t, d->name);
    if (s != ATTN_OK)
        return s;
    char buf[32];
    if (rt_dtype_from_dl(t->dtype) != ATTN_I32)
        return rt_fail(ATTN_ERR_DTYPE, "%s: pack offsets must be i32, got %s", d->name,
                       rt_dl_dtype_name(t->dtype, buf));
    if (t->ndim != 1)
        return rt_fail(ATTN_ERR_SHAPE, "%s: pack offsets must have 1 dimension, got %d", d->name,
                       (int)t->ndim);
    int64_t n = t->shape[0];
    if (n < 2)
        return rt_fail(ATTN_ERR_SHAPE,
                       "%s: pack offsets need at least 2 entries (0 and the length), got %lld",
                       d->name, (long long)n);
    if (n - 1 > INT32_MAX)
        return rt_fail(ATTN_ERR_SHAPE, "%s: too many segments", d->name);
    const int32_t *o = rt_data(t);
    int64_t st = rt_stride(t, 0);
    if (o[0] != 0)
        return rt_fail(ATTN_ERR_SHAPE, "%s: offsets must start at 0, got %d", d->name, (int)o[0]);
    for (int64_t i = 1; i < n; i++)
        if (o[i * st] <= o[(i - 1) * st])
            return rt_fail(ATTN_ERR_SHAPE, "%s: offsets must be increasing, got %d after %d at index %lld",
                           d->name, (int)o[i * st], (int)o[(i - 1) * st], (long long)i);
    int32_t length = o[(n - 1) * st];
    if (d->pack_dim >= 0 && d->pack_dim < ATTN_MAX_VARIANT_DIMS && length != dims[d->pack_dim])
        return rt_fail(ATTN_ERR_SHAPE, "%s: offsets must end at the length %d (%s), got %d",
                       d->name, (int)dims[d->pack_dim], rt_dim_name(var, d->pack_dim), (int)length);
    int32_t *tab = malloc(((size_t)n + (size_t)length) * sizeof *tab);
    if (!tab)
        return rt_fail(ATTN_ERR_NO_MEMORY, "%s: out of memory for the pack table", d->name);
    int32_t *seg_of = tab + n;
    for (int64_t i = 0; i < n; i++)
        tab[i] = o[i * st];
    for (int64_t seg = 0; seg + 1 < n; seg++)
        for (int32_t pos = tab[seg]; pos < tab[seg + 1]; pos++)
            seg_of[pos] = (int32_t)seg;
    *table = tab;
    slot->u.p.offsets = tab;
    slot->u.p.seg_of = seg_of;
    slot->u.p.nseg = (int32_t)(n - 1);
    slot->u.p.length = length;
    return ATTN_OK;
}

/* Binds one scalar parameter from its argument (or default). */
static attn_status rt_bind_scalar(const attn_param_desc *d, const attn_arg *a, attn_param *slot) {
    if (!a) {
        *slot = d->default_value;
        return ATTN_OK;
    }
    if ((d->kind == ATTN_PARAM_BOOL && a->kind != ATTN_ARG_BOOL) ||
        (d->kind == ATTN_PARAM_I32 && a->kind != ATTN_ARG_I32) ||
        (d->kind == ATTN_PARAM_F32 && a->kind != ATTN_ARG_F32))
        return rt_fail(ATTN_ERR_INVALID_ARG, "%s: expected a %s argument, got %s", d->name,
                       rt_param_kind_name(d->kind), rt_arg_kind_name(a->kind));
    if (d->kind == ATTN_PARAM_F32)
        slot->u.f = a->u.f;
    else
        slot->u.i = a->u.i;
    return ATTN_OK;
}

/* Sorts args by parameter into given[] (checking indices and duplicates)
 * and reports the first parameter without argument or default. */
static attn_status rt_collect_args(const attn_variant *var, const attn_arg *args, int32_t nargs,
                                   const attn_arg **given) {
    if (nargs > 0 && !args)
        return rt_fail(ATTN_ERR_INVALID_ARG, "%d arguments given but args is NULL", (int)nargs);
    for (int32_t i = 0; i < nargs; i++) {
        int32_t p = args[i].param;
        if (p < 0 || p >= var->nparams)
            return rt_fail(ATTN_ERR_INVALID_ARG,
                           "argument %d: parameter index %d out of range (%s has %d parameters)",
                           (int)i, (int)p, var->name, (int)var->nparams);
        if (given[p])
            return rt_fail(ATTN_ERR_INVALID_ARG, "%s: argument given twice", var->params[p].name);
        given[p] = &args[i];
    }
    for (int32_t p = 0; p < var->nparams; p++) {
        const attn_param_desc *d = &var->params[p];
        int scalar = d->kind != ATTN_PARAM_TENSOR && d->kind != ATTN_PARAM_PACK;
        if (!given[p] && !(scalar && d->has_default))
            return rt_fail(ATTN_ERR_INVALID_ARG, "missing argument for parameter '%s' (%s)",
                           d->name, rt_param_kind_name(d->kind));
        if (given[p] && !scalar &&
            given[p]->kind != (d->kind == ATTN_PARAM_PACK ? ATTN_ARG_PACK : ATTN_ARG_TENSOR))
            return rt_fail(ATTN_ERR_INVALID_ARG, "%s: expected a %s argument, got %s", d->name,
                           rt_param_kind_name(d->kind), rt_arg_kind_name(given[p]->kind));
    }
    return ATTN_OK;
}

/* Checks var's preconditions against the bound tensors. */
static attn_status rt_check_preconds(const attn_variant *var, const int32_t *dims,
                                     const attn_param *slots) {
    for (int32_t i = 0; i < var->npreconds; i++) {
        const attn_precond *pc = &var->preconds[i];
        if (pc->param < 0 || pc->param >= var->nparams ||
            var->params[pc->param].kind != ATTN_PARAM_TENSOR || pc->axis < 0 ||
            pc->axis >= var->params[pc->param].rank)
            return rt_fail(ATTN_ERR_INVALID_ARG, "variant %s: malformed precondition %d",
                           var->name, (int)i);
        int64_t need = pc->c;
        for (int32_t t = 0; t < pc->nterms && t < 4; t++)
            need += pc->coef[t] * (pc->dim[t] >= 0 && pc->dim[t] < ATTN_MAX_VARIANT_DIMS
                                       ? dims[pc->dim[t]] : 0);
        int64_t have = slots[pc->param].u.t.shape[pc->axis];
        if (have < need) {
            const attn_param_desc *d = &var->params[pc->param];
            int32_t id = d->dim_id[pc->axis];
            char what[64];
            if (id >= 0)
                snprintf(what, sizeof what, " (%s)", rt_dim_name(var, id));
            else
                what[0] = '\0';
            return rt_fail(ATTN_ERR_SHAPE, "%s: needs at least %lld elements along dimension %d%s, got %lld",
                           d->name, (long long)need, (int)pc->axis, what, (long long)have);
        }
    }
    return ATTN_OK;
}

void rt_bound_free(rt_bound *bound) {
    for (int32_t i = 0; i < bound->ntables; i++)
        free(bound->tables[i]);
    free(bound->tables);
    free(bound->slots);
    memset(bound, 0, sizeof *bound);
}

attn_status rt_bind_args(const attn_variant *var, const attn_arg *args, int32_t nargs,
                         int32_t dims[ATTN_MAX_VARIANT_DIMS], rt_bound *bound) {
    memset(bound, 0, sizeof *bound);
    if (var->nparams < 0 || (var->nparams > 0 && !var->params) || var->ndims > ATTN_MAX_VARIANT_DIMS)
        return rt_fail(ATTN_ERR_INVALID_ARG, "variant %s: malformed parameter table", var->name);
    size_t np = (size_t)var->nparams + 1;
    const attn_arg **given = calloc(np, sizeof *given);
    bound->slots = calloc(np, sizeof *bound->slots);
    bound->tables = calloc(np, sizeof *bound->tables);
    if (!given || !bound->slots || !bound->tables) {
        free(given);
        rt_bound_free(bound);
        return rt_fail(ATTN_ERR_NO_MEMORY, "out of memory binding arguments");
    }
    rt_dim_binding bind[ATTN_MAX_VARIANT_DIMS];
    for (int32_t i = 0; i < ATTN_MAX_VARIANT_DIMS; i++)
        bind[i].param = bind[i].axis = -1;
    attn_status s = rt_collect_args(var, args, nargs, given);
    /* scalars and tensors first: tensors bind the free dimensions packs may need */
    for (int32_t p = 0; s == ATTN_OK && p < var->nparams; p++) {
        const attn_param_desc *d = &var->params[p];
        if (d->kind == ATTN_PARAM_TENSOR)
            s = rt_bind_tensor(var, p, given[p]->u.tensor, dims, bind, &bound->slots[p]);
        else if (d->kind != ATTN_PARAM_PACK)
            s = rt_bind_scalar(d, given[p], &bound->slots[p]);
    }
    for (int32_t p = 0; s == ATTN_OK && p < var->nparams; p++)
        if (var->params[p].kind == ATTN_PARAM_PACK)
            s = rt_bind_pack(var, p, given[p]->u.tensor, dims, &bound->slots[p],
                             &bound->tables[bound->ntables++]);
    for (int32_t id = rt_first_free_dim(var); s == ATTN_OK && id < var->ndims; id++)
        if (bind[id].param < 0)
            s = rt_fail(ATTN_ERR_INVALID_ARG, "dimension %s is not bound by any tensor argument",
                        rt_dim_name(var, id));
    if (s == ATTN_OK)
        s = rt_check_preconds(var, dims, bound->slots);
    free(given);
    if (s != ATTN_OK)
        rt_bound_free(bound);
    return s;
}

struct attn_bound {
    rt_bound b;
};

attn_status attn_bind_args(const attn_variant *var, const attn_arg *args, int32_t nargs, attn_ctx *ctx,
                           attn_bound **bound) {
    if (!var || !ctx || !bound)
        return rt_fail(ATTN_ERR_INVALID_ARG, "attn_bind_args: var, ctx and bound must not be NULL");
    *bound = calloc(1, sizeof **bound);
    if (!*bound)
        return rt_fail(ATTN_ERR_NO_MEMORY, "out of memory binding arguments");
    attn_status s = rt_bind_args(var, args, nargs, ctx->dims, &(*bound)->b);
    if (s != ATTN_OK) {
        free(*bound);
        *bound = NULL;
        return s;
    }
    ctx->params = (*bound)->b.slots;
    return ATTN_OK;
}

void attn_bound_free(attn_bound *bound) {
    if (!bound)
        return;
    rt_bound_free(&bound->b);
    free(bound);
}
