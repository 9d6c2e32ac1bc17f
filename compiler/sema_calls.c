/* sema_calls.c - calls to masks, scores, fns, builtins and pack members.
 *
 * The callee expression (EX_NAME or EX_MEMBER) and the EX_CALL itself both
 * get the resolution: ref REF_DECL + decl, REF_BUILTIN + index = Builtin, or
 * REF_PACK_MEMBER + index = PackMember (the pack is the member's base).
 * Masks pass b h q kv through and may be used where those exist (mask and
 * score bodies, attention statements); scores also pass `score` through and
 * may be used in score bodies and attention `score =`; fns anywhere. */
#include <string.h>

#include "sema.h"

/* Whether a mask/score may be used in b's context; reports it if not. */
static bool sema_call_context(Body *b, Decl *d, Span at)
{
    bool ok = d->kind == DECL_FN ||
              (d->kind == DECL_MASK && (b->ctx == CX_MASK || b->ctx == CX_SCORE)) ||
              (d->kind == DECL_SCORE && b->ctx == CX_SCORE);
    if (!ok)
        diag_error(b->s->d, at, "%s '%s' cannot be used in %s", decl_kind_name(d->kind), d->name,
                   b->where);
    return ok;
}

static TypeRef *sema_result_type(Decl *d)
{
    if (d->kind == DECL_MASK)
        return &ty_bool;
    if (d->kind == DECL_SCORE)
        return &ty_f32;
    return d->ret && d->ret->kind == TY_SCALAR ? sema_scalar_type(d->ret->scalar) : &ty_error;
}

/* Checks that callee d is usable (not an attention/scan, not recursive, in
 * context). Returns false after a diagnostic. */
static bool sema_callee_ok(Body *b, Decl *d, Span at)
{
    Sema *s = b->s;
    if (d->kind == DECL_ATTENTION || d->kind == DECL_SCAN) {
        diag_error(s->d, at, "'%s' is %s %s and cannot be called", d->name,
                   d->kind == DECL_ATTENTION ? "an" : "a", decl_kind_name(d->kind));
        return false;
    }
    if (!sema_call_context(b, d, at))
        return false;
    if (!sema_check_decl(s, d)) {
        diag_error(s->d, at, "recursive call to '%s' (%s)", d->name, sema_cycle_path(s, d));
        return false;
    }
    return true;
}

TypeRef *sema_decl_ref(Body *b, Expr *e, Decl *d, Span at)
{
    Sema *s = b->s;
    if (d->kind == DECL_FN) {
        diag_error(s->d, at, "fn '%s' must be called", d->name);
        return &ty_error;
    }
    if (!sema_callee_ok(b, d, at))
        return &ty_error;
    int required = 0;
    for (int i = 0; i < d->nparams; i++)
        required += d->params[i] && !d->params[i]->init;
    if (required) {
        diag_error(s->d, at, "%s '%s' has parameters and must be called", decl_kind_name(d->kind),
                   d->name);
        return &ty_error;
    }
    e->ref = REF_DECL;
    e->decl = d;
    return sema_result_type(d);
}

/* Binds a tensor argument against the callee's tensor parameter type:
 * same element type and rank; launch-bound and constant axes must match,
 * free axes of the callee bind to the caller's (dimmap, see sema.h). */
static bool sema_bind_tensor(const TypeRef *want, const TypeRef *got, int64_t *dimmap)
{
    if (got->kind != TY_TENSOR || got->scalar != want->scalar || got->ndims != want->ndims)
        return false;
    for (int i = 0; i < want->ndims; i++) {
        const DimRef *w = &want->dims[i], *g = &got->dims[i];
        int64_t bound = g->dim_id >= 0 ? g->dim_id : -1 - g->value;
        if (w->dim_id < 0 && bound != -1 - w->value)
            return false;
        if (w->dim_id >= 0 && w->dim_id < DIM_STANDARD_COUNT && bound != w->dim_id)
            return false;
        if (w->dim_id >= DIM_STANDARD_COUNT) {
            if (dimmap[w->dim_id] != INT64_MIN && dimmap[w->dim_id] != bound)
                return false;
            dimmap[w->dim_id] = bound;
        }
    }
    return true;
}

/* Arity, argument types and tensor bindings of a call to mask/score/fn d. */
static TypeRef *sema_decl_call(Body *b, Expr *e, Decl *d, Span at)
{
    Sema *s = b->s;
    if (!sema_callee_ok(b, d, at))
        return &ty_error;
    int required = 0;
    for (int i = 0; i < d->nparams; i++)
        required += d->params[i] && !d->params[i]->init;
    if (e->nargs < required || e->nargs > d->nparams) {
        const char *n = required == d->nparams
                            ? arena_printf(s->a, "%d", d->nparams)
                            : arena_printf(s->a, "%d to %d", required, d->nparams);
        diag_error(s->d, e->span, "'%s' expects %s argument%s, got %d", d->name, n,
                   d->nparams == 1 && required == 1 ? "" : "s", e->nargs);
        return &ty_error;
    }
    int *argmap = arena_alloc(s->a, (size_t)(d->nparams + 1) * sizeof *argmap);
    int64_t *dimmap = arena_alloc(s->a, (size_t)(d->ndims + 1) * sizeof *dimmap);
    for (int i = 0; i < d->ndims; i++)
        dimmap[i] = i < DIM_STANDARD_COUNT ? i : INT64_MIN;
    bool ok = true;
    for (int i = 0; i < d->nparams; i++) {
        argmap[i] = -1;
        Expr *arg = i < e->nargs ? e->args[i] : NULL;
        Param *p = d->params[i];
        if (!arg || !p || !p->type || sema_is_error(arg->ty) || p->type->kind == TY_ERROR)
            continue;
        const char *what = arena_printf(s->a, "argument %d of '%s'", i + 1, d->name);
        if (p->type->kind == TY_SCALAR) {
            ok &= sema_expect(b, arg, p->type->scalar, what);
            continue;
        }
        bool fits = p->type->kind == TY_PACK ? arg->ty->kind == TY_PACK
                                             : sema_bind_tensor(p->type, arg->ty, dimmap);
        if (!fits) {
            diag_error(s->d, arg->span, "%s must be '%s', got '%s'", what,
                       sema_type_name(s, p->type), sema_type_name(s, arg->ty));
            ok = false;
        }
        if (arg->ref == REF_PARAM)
            argmap[i] = arg->index;
    }
    if (ok)
        sema_bounds_import(b, d, argmap, dimmap);
    return sema_result_type(d);
}

static TypeRef *sema_builtin_call(Body *b, Expr *e, Builtin bi)
{
    Sema *s = b->s;
    int arity = bi == BI_CLAMP ? 3 : (bi == BI_POW || bi == BI_MIN || bi == BI_MAX) ? 2 : 1;
    const char *name = builtin_name(bi);
    if (e->nargs != arity) {
        diag_error(s->d, e->span, "'%s' expects %d argument%s, got %d", name, arity,
                   arity == 1 ? "" : "s", e->nargs);
        return &ty_error;
    }
    bool all_i32 = true, conv = bi == BI_F32 || bi == BI_I32;
    for (int i = 0; i < e->nargs; i++) {
        TypeRef *t = e->args[i]->ty;
        if (sema_is_error(t))
            return &ty_error;
        bool boolean = t->kind == TY_SCALAR && t->scalar == SK_BOOL;
        if (!sema_is_numeric(t) && !(conv && boolean)) {
            diag_error(s->d, e->args[i]->span, "argument %d of '%s' must be a number, got '%s'",
                       i + 1, name, sema_type_name(s, t));
            return &ty_error;
        }
        all_i32 &= t->scalar == SK_I32;
    }
    if (bi == BI_I32)
        return &ty_i32;
    if ((bi == BI_ABS || bi == BI_MIN || bi == BI_MAX || bi == BI_CLAMP) && all_i32)
        return &ty_i32;
    return &ty_f32;
}

static TypeRef *sema_pack_call(Body *b, Expr *e, PackMember pm)
{
    Sema *s = b->s;
    int arity = pm == PM_SAME ? 2 : 1;
    const char *name = arena_printf(s->a, "%s.%s", e->a->a->name, pack_member_name(pm));
    if (e->nargs != arity) {
        diag_error(s->d, e->span, "'%s' expects %d argument%s, got %d", name, arity,
                   arity == 1 ? "" : "s", e->nargs);
        return &ty_error;
    }
    bool ok = true;
    for (int i = 0; i < e->nargs; i++)
        ok &= sema_expect(b, e->args[i], SK_I32,
                          arena_printf(s->a, "argument %d of '%s'", i + 1, name)) &&
              !sema_is_error(e->args[i]->ty);
    if (!ok)
        return &ty_error;
    return pm == PM_SAME ? &ty_bool : &ty_i32;
}

/* Resolves the callee of e without typing it as a value. */
static Resolved sema_callee(Body *b, Expr *callee, bool *reported)
{
    *reported = false;
    if (callee->kind == EX_MEMBER)
        return sema_member(b, callee, reported);
    Resolved r = {0};
    if (callee->kind != EX_NAME || !callee->name) {
        sema_expr(b, callee);
        if (!sema_is_error(callee->ty))
            diag_error(b->s->d, callee->span, "only masks, scores, fns and builtins can be called");
        *reported = true;
        return r;
    }
    r = sema_lookup(b, callee->name);
    if (r.ref == REF_NONE || r.ambiguous[0]) {
        sema_name_error(b, callee->name, callee->span, &r);
        *reported = true;
    }
    return r;
}

/* The type of call e whose callee resolved to r (diagnosing misuse). */
static TypeRef *sema_call_resolved(Body *b, Expr *e, Resolved r)
{
    const char *name = e->a->kind == EX_MEMBER ? sema_span_text(b->s, e->a->span) : e->a->name;
    switch (r.ref) {
    case REF_BUILTIN: return sema_builtin_call(b, e, (Builtin)r.index);
    case REF_PACK_MEMBER: return sema_pack_call(b, e, (PackMember)r.index);
    case REF_DECL: return sema_decl_call(b, e, r.decl, e->a->span);
    case REF_CONST:
        diag_error(b->s->d, e->a->span, "'%s' is a const, not a function", name);
        return &ty_error;
    case REF_MODULE:
        diag_error(b->s->d, e->a->span, "'%s' is a module, not a function", name);
        return &ty_error;
    default:
        if (r.ref == REF_PARAM && b->decl && b->decl->params[r.index])
            b->decl->params[r.index]->used = true;
        if (r.ref == REF_LET)
            r.li->let->used = true;
        diag_error(b->s->d, e->a->span, "'%s' is not a function", name);
        return &ty_error;
    }
}

/* The callee node gets the call's resolution and result type. */
TypeRef *sema_call(Body *b, Expr *e)
{
    for (int i = 0; i < e->nargs; i++)
        sema_expr(b, e->args[i]);
    if (!e->a)
        return &ty_error;
    bool reported;
    Resolved r = sema_callee(b, e->a, &reported);
    if (reported)
        return e->a->ty = &ty_error;
    e->a->ref = e->ref = r.ref;
    e->a->index = e->index = r.index;
    e->a->decl = e->decl = r.decl;
    return e->a->ty = sema_call_resolved(b, e, r);
}
