/* interp_data.c - the reference interpreter's view of launch data:
 * dimension values, tensor element reads (dtype widening, bounds: clamp,
 * checked, zero fill) and pack members by binary search over the offsets
 * (independent of the runtime's seg_of table). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "interp_internal.h"

/* ---------------------------------------------------------- dimensions */

/* Dimension `name` of the top declaration, or -1. */
static int interp_top_dim(const InterpEnv *env, const char *name)
{
    for (int i = 0; i < env->top->ndims; i++)
        if (env->top->dims[i] && strcmp(env->top->dims[i], name) == 0)
            return i;
    return -1;
}

/* A free dimension of a called declaration, bound by the shape of the tensor
 * argument whose declared type names it. */
static bool interp_arg_dim(const InterpEnv *env, const char *name, int32_t *out)
{
    const Decl *d = env->frame.decl;
    for (int i = 0; i < d->nparams; i++) {
        const TypeRef *ty = d->params[i]->type;
        if (!ty || ty->kind != TY_TENSOR || env->frame.args[i].tag != INTERP_TENSOR)
            continue;
        const attn_tensor_arg *t = env->frame.args[i].u.t;
        for (int k = 0; k < ty->ndims && k < t->ndim; k++)
            if (ty->dims[k].name && strcmp(ty->dims[k].name, name) == 0) {
                *out = (int32_t)t->shape[k];
                return true;
            }
    }
    return false;
}

bool interp_dim(InterpEnv *env, const Expr *at, int id, const char *name, int32_t *out)
{
    bool top_frame = env->frame.decl == env->top;
    if (!top_frame && name) /* a callee's dim ids index its own table: go by name */
        id = interp_top_dim(env, name);
    if (id >= 0 && id < env->top->ndims && id < ATTN_MAX_VARIANT_DIMS) {
        *out = env->ctx->dims[id];
        return true;
    }
    if (!top_frame && name && interp_arg_dim(env, name, out))
        return true;
    return interp_fail(env, at->span, "internal error: unknown dimension '%s'", name ? name : "?");
}

/* ------------------------------------------------------------- tensors */

/* IEEE binary16 to double, exactly. */
static double interp_half(uint16_t h)
{
    int sign = h >> 15, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    double v;
    if (exp == 0)
        v = ldexp((double)mant, -24);
    else if (exp == 31)
        v = mant ? NAN : INFINITY;
    else
        v = ldexp((double)(mant | 0x400), exp - 25);
    return sign ? -v : v;
}

/* bfloat16 to double, exactly (the upper half of an f32). */
static double interp_bfloat(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return (double)f;
}

InterpValue interp_tensor_elem(const attn_tensor_arg *t, const int64_t *idx)
{
    int64_t off = 0;
    for (int i = 0; i < t->ndim; i++)
        off += idx[i] * t->stride[i];
    switch (t->dtype) {
    case ATTN_F32: return interp_f32((double)((const float *)t->data)[off]);
    case ATTN_F16: return interp_f32(interp_half(((const uint16_t *)t->data)[off]));
    case ATTN_BF16: return interp_f32(interp_bfloat(((const uint16_t *)t->data)[off]));
    case ATTN_I32: return interp_i32(((const int32_t *)t->data)[off]);
    default: return interp_bool(((const uint8_t *)t->data)[off] != 0);
    }
}

static InterpValue interp_tensor_zero(const attn_tensor_arg *t)
{
    switch (t->dtype) {
    case ATTN_I32: return interp_i32(0);
    case ATTN_BOOL: return interp_bool(false);
    default: return interp_f32(0.0);
    }
}

/* No-leakage rule: position pos (on the scanned axis) is visible from t
 * when it lies in t's segment of every pack parameter of the scan. */
static bool interp_same_segment(const InterpEnv *env, int64_t pos)
{
    const Decl *d = env->top;
    int32_t t = env->var[IV_T];
    for (int i = 0; i < d->nparams; i++) {
        if (!d->params[i]->type || d->params[i]->type->kind != TY_PACK)
            continue;
        const attn_pack_arg *p = &env->ctx->params[i].u.p;
        if (pos < 0 || pos >= p->length || t < 0 || t >= p->length)
            return false;
        if (interp_pack_seg(p, (int32_t)pos) != interp_pack_seg(p, t))
            return false;
    }
    return true;
}

bool interp_read_index(InterpEnv *env, const Expr *e, const attn_tensor_arg *t,
                       const int32_t *idx, InterpValue *out)
{
    int64_t pos[ATTN_MAX_RANK];
    const char *name = e->a->name ? e->a->name : "?";
    for (int i = 0; i < e->nargs; i++) {
        int64_t size = t->shape[i];
        pos[i] = idx[i];
        if (e->bounds && e->bounds[i].kind == BOUNDS_ZERO_FILL) {
            if (pos[i] < 0 || pos[i] >= size || !interp_same_segment(env, pos[i])) {
                *out = interp_tensor_zero(t);
                return true;
            }
            continue;
        }
        if (pos[i] >= 0 && pos[i] < size)
            continue;
        if (size <= 0)
            return interp_fail(env, e->args[i]->span, "tensor '%s' has an empty axis %d", name, i);
        if (env->opts.checked) {
            char where[256];
            interp_where(env, where, sizeof where);
            return interp_fail(env, e->args[i]->span,
                               "index %lld out of range for axis %d of tensor '%s' (size %lld)%s",
                               (long long)pos[i], i, name, (long long)size, where);
        }
        pos[i] = pos[i] < 0 ? 0 : size - 1;
    }
    *out = interp_tensor_elem(t, pos);
    return true;
}

/* --------------------------------------------------------------- packs */

int32_t interp_pack_seg(const attn_pack_arg *p, int32_t i)
{
    int32_t lo = 0, hi = p->nseg - 1; /* answer in [lo, hi] */
    while (lo < hi) {
        int32_t mid = lo + (hi - lo + 1) / 2;
        if (p->offsets[mid] <= i)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

bool interp_pack_valid(InterpEnv *env, const attn_pack_arg *p, const char *name)
{
    if (p->nseg < 0 || p->length < 0 || (p->nseg > 0 && !p->offsets) ||
        (p->nseg == 0 && p->length != 0))
        return interp_fail_plain(env, "pack '%s': bad segment count or length", name);
    if (p->nseg == 0)
        return true;
    if (p->offsets[0] != 0 || p->offsets[p->nseg] != p->length)
        return interp_fail_plain(env, "pack '%s': offsets must run from 0 to its length %d", name,
                                 (int)p->length);
    for (int32_t s = 0; s < p->nseg; s++)
        if (p->offsets[s + 1] <= p->offsets[s])
            return interp_fail_plain(env, "pack '%s': offsets must increase (segment %d)", name,
                                     (int)s);
    return true;
}

/* A pack position argument: clamped to [0, length) or, checked, an error. */
static bool interp_pack_pos(InterpEnv *env, const Expr *e, const attn_pack_arg *p, InterpValue v,
                            int32_t *out)
{
    int32_t i = interp_as_i(v);
    if (i >= 0 && i < p->length) {
        *out = i;
        return true;
    }
    const char *name = e->a && e->a->a && e->a->a->name ? e->a->a->name : "?";
    if (p->length <= 0)
        return interp_fail(env, e->span, "pack '%s' is empty", name);
    if (env->opts.checked) {
        char where[256];
        interp_where(env, where, sizeof where);
        return interp_fail(env, e->span, "position %d out of range for pack '%s' (length %d)%s",
                           (int)i, name, (int)p->length, where);
    }
    *out = i < 0 ? 0 : p->length - 1;
    return true;
}

bool interp_pack_member(InterpEnv *env, const Expr *e, const attn_pack_arg *p, PackMember m,
                        const InterpValue *args, int n, InterpValue *out)
{
    if (n != (m == PM_SAME ? 2 : 1) || (unsigned)m >= PM_COUNT)
        return interp_fail(env, e->span, "internal error: bad pack member call");
    int32_t i = 0, j = 0;
    if (!interp_pack_pos(env, e, p, args[0], &i) || (n == 2 && !interp_pack_pos(env, e, p, args[1], &j)))
        return false;
    int32_t s = interp_pack_seg(p, i);
    switch (m) {
    case PM_ID: *out = interp_i32(s); break;
    case PM_START: *out = interp_i32(p->offsets[s]); break;
    case PM_END: *out = interp_i32(p->offsets[s + 1]); break;
    /* i - start(i) with the position as given: pos(i) = i - p.start(i) also
     * outside the pack (LANGUAGE.md 3.2; the mask analysis relies on it) */
    case PM_POS: *out = interp_i32(interp_wrap((int64_t)interp_as_i(args[0]) - p->offsets[s])); break;
    case PM_LEN: *out = interp_i32(p->offsets[s + 1] - p->offsets[s]); break;
    default: *out = interp_bool(s == interp_pack_seg(p, j)); break;
    }
    return true;
}

/* ---------------------------------------------------------- parameters */

static bool interp_tensor_valid(InterpEnv *env, const attn_tensor_arg *t, const TypeRef *ty,
                                const char *name)
{
    if (t->ndim != ty->ndims || t->ndim < 0 || t->ndim > ATTN_MAX_RANK)
        return interp_fail_plain(env, "tensor '%s': expected %d dimensions, got %d", name,
                                 ty->ndims, (int)t->ndim);
    if (t->dtype < ATTN_F32 || t->dtype > ATTN_BOOL)
        return interp_fail_plain(env, "tensor '%s': unknown dtype %d", name, (int)t->dtype);
    bool empty = false;
    for (int i = 0; i < t->ndim; i++) {
        if (t->shape[i] < 0)
            return interp_fail_plain(env, "tensor '%s': negative size", name);
        empty = empty || t->shape[i] == 0;
    }
    if (!empty && !t->data)
        return interp_fail_plain(env, "tensor '%s': no data", name);
    for (int i = 0; i < t->ndim; i++) {
        const DimRef *dr = &ty->dims[i];
        bool named = dr->dim_id >= 0 && dr->dim_id < ATTN_MAX_VARIANT_DIMS;
        int64_t want = named ? env->ctx->dims[dr->dim_id] : dr->value;
        if (t->shape[i] != want)
            return interp_fail_plain(env, "tensor '%s': dimension %d is %lld, expected %s%s%lld",
                                     name, i, (long long)t->shape[i], named && dr->name ? dr->name : "",
                                     named && dr->name ? " = " : "", (long long)want);
    }
    return true;
}

/* Checks every launch-time precondition of env->top (size(param, axis) >= need). */
static bool interp_check_preconds(InterpEnv *env)
{
    const Decl *d = env->top;
    for (int i = 0; i < d->nfacts; i++) {
        const BoundsFact *f = d->facts[i];
        if (f->kind != BOUNDS_PRECOND || f->param < 0 || f->param >= d->nparams)
            continue;
        const attn_tensor_arg *t = &env->ctx->params[f->param].u.t;
        int64_t need = f->need.c;
        for (int k = 0; k < f->need.nterms && k < AFFINE_MAX_TERMS; k++)
            if (f->need.dim[k] >= 0 && f->need.dim[k] < ATTN_MAX_VARIANT_DIMS)
                need += f->need.coef[k] * env->ctx->dims[f->need.dim[k]];
        if (f->axis >= 0 && f->axis < t->ndim && t->shape[f->axis] < need)
            return interp_fail(env, f->span,
                               "tensor '%s' needs at least %lld elements in dimension %d, has %lld",
                               d->params[f->param]->name, (long long)need, f->axis,
                               (long long)t->shape[f->axis]);
    }
    return true;
}

bool interp_check_params(InterpEnv *env)
{
    const Decl *d = env->top;
    for (int i = 0; i < d->nparams; i++) {
        const Param *p = d->params[i];
        if (!p->type)
            return interp_fail_plain(env, "parameter '%s' has no type", p->name);
        const attn_param *slot = &env->ctx->params[i];
        if (p->type->kind == TY_TENSOR && !interp_tensor_valid(env, &slot->u.t, p->type, p->name))
            return false;
        if (p->type->kind == TY_PACK && !interp_pack_valid(env, &slot->u.p, p->name))
            return false;
    }
    return interp_check_preconds(env);
}
