/* interp_eval.c - the reference interpreter's expression evaluator: names,
 * calls (frames with lazily evaluated let slots), conditionals, reductions.
 * Operators and builtins live in interp_ops.c, tensors and packs in
 * interp_data.c. See interp.h for the semantics chosen. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interp_internal.h"

bool interp_env_init(InterpEnv *env, const Decl *top, const attn_ctx *ctx,
                     const InterpOptions *opts, char *err, size_t errlen)
{
    memset(env, 0, sizeof *env);
    env->top = top;
    env->ctx = ctx;
    if (opts)
        env->opts = *opts;
    env->err = err;
    env->errlen = errlen;
    if (err && errlen)
        err[0] = '\0';
    env->gen = env->next_gen = 1;
    env->frame.decl = top;
    if (!top || !ctx || (top->kind != DECL_ATTENTION && top->kind != DECL_SCAN))
        return interp_fail_plain(env, "reference interpreter: not an attention or scan declaration");
    if (top->ndims > ATTN_MAX_VARIANT_DIMS)
        return interp_fail_plain(env, "'%s' has %d dimensions (at most %d supported)", top->name,
                                 top->ndims, ATTN_MAX_VARIANT_DIMS);
    if (top->nparams && !ctx->params)
        return interp_fail_plain(env, "'%s': no parameter values given", top->name);
    if (top->nlets < 0)
        return interp_fail_plain(env, "'%s': bad let count", top->name);
    env->cap = env->nslots = (size_t)top->nlets;
    if (env->cap) {
        env->slots = calloc(env->cap, sizeof *env->slots);
        if (!env->slots)
            return interp_fail_plain(env, "out of memory");
    }
    return true;
}

void interp_env_free(InterpEnv *env)
{
    free(env->slots);
    env->slots = NULL;
    env->nslots = env->cap = 0;
}

void interp_touch(InterpEnv *env) { env->gen = ++env->next_gen; }

static void interp_vfail(InterpEnv *env, const char *prefix, const char *fmt, va_list ap)
{
    if (env->failed)
        return;
    env->failed = true;
    if (!env->err || !env->errlen)
        return;
    int n = snprintf(env->err, env->errlen, "%s", prefix);
    if (n >= 0 && (size_t)n < env->errlen)
        vsnprintf(env->err + n, env->errlen - (size_t)n, fmt, ap);
}

bool interp_fail(InterpEnv *env, Span at, const char *fmt, ...)
{
    char prefix[512] = "";
    const Decl *d = env->frame.decl;
    const char *path = d && d->module && d->module->path ? d->module->path : "<input>";
    if (at.line > 0)
        snprintf(prefix, sizeof prefix, "%s:%d:%d: ", path, (int)at.line, (int)at.col);
    va_list ap;
    va_start(ap, fmt);
    interp_vfail(env, prefix, fmt, ap);
    va_end(ap);
    return false;
}

bool interp_fail_plain(InterpEnv *env, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    interp_vfail(env, "", fmt, ap);
    va_end(ap);
    return false;
}

void interp_where(const InterpEnv *env, char *buf, size_t len)
{
    if (env->top->kind == DECL_ATTENTION) {
        snprintf(buf, len, " at (b=%d, h=%d, q=%d, kv=%d)", (int)env->var[IV_B],
                 (int)env->var[IV_H], (int)env->var[IV_Q], (int)env->var[IV_KV]);
        return;
    }
    int n = snprintf(buf, len, " at t=%d", (int)env->var[IV_T]);
    for (int i = 0; env->ivars && i < env->top->scan.nivars && n >= 0 && (size_t)n < len; i++)
        n += snprintf(buf + n, len - (size_t)n, ", %s=%d", env->top->scan.ivars[i].name,
                      (int)env->ivars[i]);
}

/* ------------------------------------------------------------ scalars */

double interp_as_f(InterpValue v)
{
    switch (v.tag) {
    case INTERP_BOOL: return v.u.b ? 1.0 : 0.0;
    case INTERP_I32: return (double)v.u.i;
    case INTERP_F32: return v.u.f;
    default: return 0.0;
    }
}

int32_t interp_f2i(double x)
{
    if (x != x)
        return 0;
    if (x >= 2147483647.0)
        return INT32_MAX;
    if (x <= -2147483648.0)
        return INT32_MIN;
    return (int32_t)x;
}

int32_t interp_as_i(InterpValue v)
{
    switch (v.tag) {
    case INTERP_BOOL: return v.u.b;
    case INTERP_I32: return v.u.i;
    case INTERP_F32: return interp_f2i(v.u.f);
    default: return 0;
    }
}

bool interp_truthy(InterpValue v)
{
    return v.tag == INTERP_F32 ? v.u.f != 0.0 : interp_as_i(v) != 0;
}

/* Converts a scalar to the scalar kind of type ty (promotion at call,
 * return and mixed-operand boundaries); other values pass unchanged. */
static InterpValue interp_coerce(InterpValue v, const TypeRef *ty)
{
    if (!ty || ty->kind != TY_SCALAR || v.tag > INTERP_F32)
        return v;
    switch (ty->scalar) {
    case SK_F32: return v.tag == INTERP_F32 ? v : interp_f32(interp_as_f(v));
    case SK_I32: return v.tag == INTERP_BOOL ? interp_i32(v.u.b) : v;
    default: return v;
    }
}

/* ------------------------------------------------------------- frames */

/* Value of parameter i of the current frame. */
static bool interp_param(InterpEnv *env, const Expr *e, int i, InterpValue *out)
{
    const Decl *d = env->frame.decl;
    if (i < 0 || i >= d->nparams)
        return interp_fail(env, e->span, "internal error: bad parameter reference");
    if (d != env->top) {
        *out = env->frame.args[i];
        return true;
    }
    const attn_param *slot = &env->ctx->params[i];
    const TypeRef *ty = d->params[i]->type;
    switch (ty->kind) {
    case TY_TENSOR: out->tag = INTERP_TENSOR; out->u.t = &slot->u.t; return true;
    case TY_PACK: out->tag = INTERP_PACK; out->u.p = &slot->u.p; return true;
    case TY_SCALAR:
        if (ty->scalar == SK_BOOL)
            *out = interp_bool(slot->u.i != 0);
        else if (ty->scalar == SK_I32)
            *out = interp_i32(slot->u.i);
        else
            *out = interp_f32((double)slot->u.f);
        return true;
    default: return interp_fail(env, e->span, "internal error: parameter '%s' has no type",
                                d->params[i]->name);
    }
}

/* Value of a let binding of the current frame, computed on first use for the
 * current generation of variables. */
static bool interp_let(InterpEnv *env, const Expr *e, InterpValue *out)
{
    const LetBinding *let = e->let;
    if (!let || let->slot < 0 || let->slot >= env->frame.decl->nlets)
        return interp_fail(env, e->span, "internal error: bad let reference");
    size_t at = env->frame.let_base + (size_t)let->slot;
    if (env->slots[at].stamp != env->gen) {
        uint64_t gen = env->gen;
        InterpValue v;
        if (!interp_eval(env, let->value, &v))
            return false;
        env->slots[at].v = v;
        env->slots[at].stamp = gen;
    }
    *out = env->slots[at].v;
    return true;
}

/* Evaluates the body of mask/score/fn/const `d` with the given arguments
 * (missing trailing arguments take the parameters' defaults) in a new frame
 * whose let slots sit on top of the current ones. */
static bool interp_call_decl(InterpEnv *env, const Expr *e, const Decl *d, const InterpValue *args,
                             int nargs, InterpValue *out)
{
    if (!d->body || d->nlets < 0 || nargs > d->nparams)
        return interp_fail(env, e->span, "internal error: cannot call '%s'", d->name);
    InterpValue *vals = NULL;
    if (d->nparams) {
        vals = malloc((size_t)d->nparams * sizeof *vals);
        if (!vals)
            return interp_fail(env, e->span, "out of memory");
    }
    size_t need = env->nslots + (size_t)d->nlets;
    if (need > env->cap) {
        size_t cap = env->cap * 2 > need ? env->cap * 2 : need + 16;
        InterpSlot *s = realloc(env->slots, cap * sizeof *s);
        if (!s) {
            free(vals);
            return interp_fail(env, e->span, "out of memory");
        }
        env->slots = s;
        env->cap = cap;
    }
    InterpFrame saved = env->frame;
    InterpFrame callee = {.decl = d, .args = vals, .let_base = env->nslots};
    if (d->nlets)
        memset(env->slots + env->nslots, 0, (size_t)d->nlets * sizeof *env->slots);
    env->nslots = need;
    bool ok = true;
    for (int i = 0; ok && i < d->nparams; i++) {
        const Param *p = d->params[i];
        if (i < nargs) {
            vals[i] = interp_coerce(args[i], p->type);
        } else if (p->init) {
            env->frame = callee; /* defaults are constants of the callee's scope */
            ok = interp_eval(env, p->init, &vals[i]);
            vals[i] = interp_coerce(vals[i], p->type);
            env->frame = saved;
        } else {
            ok = interp_fail(env, e->span, "internal error: missing argument '%s' of '%s'",
                             p->name, d->name);
        }
    }
    if (ok) {
        env->frame = callee;
        ok = interp_eval(env, d->body, out);
        if (ok && d->kind == DECL_FN)
            *out = interp_coerce(*out, d->ret);
        env->frame = saved;
    }
    env->nslots = callee.let_base;
    free(vals);
    return ok;
}

/* The resolution of a callee or of a call: sema records it on the callee
 * name; a call node's own ref is used when the callee's is absent. */
static const Expr *interp_resolved(const Expr *call)
{
    return call->a && call->a->ref != REF_NONE ? call->a : call;
}

/* Evaluates the arguments of call e into args, then the call as resolved
 * by r: a pack member, a builtin or a declaration. */
static bool interp_call_with(InterpEnv *env, const Expr *e, const Expr *r, InterpValue *args,
                             InterpValue *out)
{
    for (int i = 0; i < e->nargs; i++)
        if (!interp_eval(env, e->args[i], &args[i]))
            return false;
    switch (r->ref) {
    case REF_PACK_MEMBER: {
        InterpValue p;
        if (!e->a || e->a->kind != EX_MEMBER)
            return interp_fail(env, e->span, "internal error: bad pack call");
        if (!interp_eval(env, e->a->a, &p))
            return false;
        if (p.tag != INTERP_PACK)
            return interp_fail(env, e->span, "internal error: pack member of a non-pack");
        return interp_pack_member(env, e, p.u.p, (PackMember)r->index, args, e->nargs, out);
    }
    case REF_BUILTIN: return interp_builtin(env, e, (Builtin)r->index, args, e->nargs, out);
    case REF_DECL:
    case REF_CONST:
        if (r->decl)
            return interp_call_decl(env, e, r->decl, args, e->nargs, out);
        break;
    default: break;
    }
    return interp_fail(env, e->span, "internal error: unresolved call");
}

/* Arguments live in a small local array (builtins, pack members, most calls)
 * or on the heap, keeping the C stack per nested call small. */
static bool interp_call(InterpEnv *env, const Expr *e, InterpValue *out)
{
    enum { SMALL = 4 };
    InterpValue small[SMALL];
    InterpValue *args = small;
    if (e->nargs > SMALL && !(args = malloc((size_t)e->nargs * sizeof *args)))
        return interp_fail(env, e->span, "out of memory");
    bool ok = interp_call_with(env, e, interp_resolved(e), args, out);
    if (args != small)
        free(args);
    return ok;
}

/* A name or qualified name (EX_NAME / EX_MEMBER) by its resolution. */
static bool interp_name(InterpEnv *env, const Expr *e, InterpValue *out)
{
    switch (e->ref) {
    case REF_IMPLICIT:
        if (e->index == IV_SCORE) {
            *out = interp_f32(env->score);
            return true;
        }
        if (e->index < 0 || e->index > IV_T)
            break;
        *out = interp_i32(env->var[e->index]);
        return true;
    case REF_PARAM: return interp_param(env, e, e->index, out);
    case REF_LET: return interp_let(env, e, out);
    case REF_INDEXVAR:
        if (!env->ivars || e->index < 0 || e->index >= env->top->scan.nivars)
            break;
        *out = interp_i32(env->ivars[e->index]);
        return true;
    case REF_DIM: {
        int32_t v = 0;
        if (!interp_dim(env, e, e->index, e->name, &v))
            return false;
        *out = interp_i32(v);
        return true;
    }
    case REF_CONST:
    case REF_DECL:
        if (!e->decl)
            break;
        return interp_call_decl(env, e, e->decl, NULL, 0, out);
    case REF_STATE: {
        if (!env->states || e->index < 0 || e->index >= env->top->scan.nstates)
            break;
        const InterpState *s = &env->states[e->index];
        int64_t off = 0;
        for (int i = 0; i < s->rank; i++)
            off = off * s->shape[i] + env->ivars[s->ivar[i]];
        *out = interp_f32(s->data[off]);
        return true;
    }
    default: break;
    }
    return interp_fail(env, e->span, "internal error: unresolved name '%s'",
                       e->name ? e->name : "?");
}

static bool interp_index(InterpEnv *env, const Expr *e, InterpValue *out)
{
    InterpValue base;
    if (!interp_eval(env, e->a, &base))
        return false;
    if (base.tag != INTERP_TENSOR)
        return interp_fail(env, e->span, "internal error: indexing a non-tensor");
    if (e->nargs != base.u.t->ndim || e->nargs > ATTN_MAX_RANK)
        return interp_fail(env, e->span, "tensor '%s' has %d dimensions, indexed with %d",
                           e->a->name ? e->a->name : "?", (int)base.u.t->ndim, e->nargs);
    int32_t idx[ATTN_MAX_RANK];
    for (int i = 0; i < e->nargs; i++) {
        InterpValue v;
        if (!interp_eval(env, e->args[i], &v))
            return false;
        idx[i] = interp_as_i(v);
    }
    return interp_read_index(env, e, base.u.t, idx, out);
}

/* sum / max / min over the index name bound by the reduction: its ivar
 * (e->index) walks its dimension; the ivar is restored afterwards, and the
 * generation returns to the caller's so its cached lets stay valid. */
static bool interp_reduce(InterpEnv *env, const Expr *e, InterpValue *out)
{
    if (!env->ivars || e->index < 0 || e->index >= env->top->scan.nivars)
        return interp_fail(env, e->span, "internal error: reduction without an index name");
    const IndexVar *iv = &env->top->scan.ivars[e->index];
    int32_t n = 0;
    if (!interp_dim(env, e, iv->dim_id, NULL, &n))
        return false;
    bool as_int = e->ty && e->ty->kind == TY_SCALAR && e->ty->scalar == SK_I32;
    double acc = e->op == OP_SUM ? 0.0 : e->op == OP_MAX ? -INFINITY : INFINITY;
    int64_t iacc = e->op == OP_SUM ? 0 : e->op == OP_MAX ? INT32_MIN : INT32_MAX;
    int32_t saved = env->ivars[e->index];
    uint64_t saved_gen = env->gen;
    bool ok = true;
    for (int32_t k = 0; ok && k < n; k++) {
        env->ivars[e->index] = k;
        interp_touch(env);
        InterpValue v;
        ok = interp_eval(env, e->a, &v);
        if (!ok)
            break;
        if (as_int) {
            int32_t x = interp_as_i(v);
            iacc = e->op == OP_SUM ? interp_wrap(iacc + x)
                 : e->op == OP_MAX ? (x > iacc ? x : iacc) : (x < iacc ? x : iacc);
        } else {
            double x = interp_as_f(v);
            if (e->op == OP_SUM)
                acc += x;
            else if (x != x || (e->op == OP_MAX ? x > acc : x < acc))
                acc = acc != acc ? acc : x;
        }
    }
    env->ivars[e->index] = saved;
    env->gen = saved_gen;
    if (ok)
        *out = as_int ? interp_i32((int32_t)iacc) : interp_f32(acc);
    return ok;
}

static bool interp_eval_kind(InterpEnv *env, const Expr *e, InterpValue *out)
{
    InterpValue a, b;
    switch (e->kind) {
    case EX_INT: *out = interp_i32(interp_wrap(e->ival)); return true;
    case EX_FLOAT: *out = interp_f32(e->fval); return true;
    case EX_BOOL: *out = interp_bool(e->ival != 0); return true;
    case EX_INF: *out = interp_f32(INFINITY); return true;
    case EX_NAME:
    case EX_MEMBER: return interp_name(env, e, out);
    case EX_CALL: return interp_call(env, e, out);
    case EX_INDEX: return interp_index(env, e, out);
    case EX_UNARY: return interp_eval(env, e->a, &a) && interp_unary(env, e, a, out);
    case EX_BINARY:
        if (!interp_eval(env, e->a, &a))
            return false;
        if ((e->op == OP_AND && !interp_truthy(a)) || (e->op == OP_OR && interp_truthy(a))) {
            *out = interp_bool(e->op == OP_OR);
            return true;
        }
        return interp_eval(env, e->b, &b) && interp_binary(env, e, a, b, out);
    case EX_COND:
        if (!interp_eval(env, e->a, &a))
            return false;
        return interp_eval(env, interp_truthy(a) ? e->b : e->c, out);
    case EX_REDUCE: return interp_reduce(env, e, out);
    case EX_BLOCK: return interp_eval(env, e->a, out);
    }
    return interp_fail(env, e->span, "internal error: unknown expression kind");
}

bool interp_eval(InterpEnv *env, const Expr *e, InterpValue *out)
{
    if (env->failed)
        return false;
    if (!e)
        return interp_fail_plain(env, "internal error: missing expression");
    if (env->depth >= INTERP_MAX_DEPTH)
        return interp_fail(env, e->span, "evaluation nested more than %d levels deep",
                           INTERP_MAX_DEPTH);
    env->depth++;
    bool ok = interp_eval_kind(env, e, out);
    env->depth--;
    if (ok)
        *out = interp_coerce(*out, e->ty);
    return ok;
}
