/* analysis_lin.c - affine forms of q and kv (analysis.h), and the test
 * "free of q / kv" that decides which sub-expressions are lowered as they
 * stand. */
#include <string.h>

#include "analysis_internal.h"

bool ana_step(AnaCtx *x) { return ++x->work <= ANA_MAX_WORK; }

bool ana_is_i32(const Expr *e)
{
    return e->ty && e->ty->kind == TY_SCALAR && e->ty->scalar == SK_I32;
}

const AnaFrame *ana_frame(AnaCtx *x, const Decl *d, Expr *const *args, int nargs,
                          const AnaFrame *parent)
{
    AnaFrame *f = arena_alloc(x->a, sizeof *f);
    *f = (AnaFrame){.decl = d, .args = args, .nargs = nargs, .parent = parent};
    return f;
}

const Expr *analysis_frame_arg(const AnaFrame *f, int i)
{
    if (!f->parent || i < 0 || i >= f->decl->nparams)
        return NULL;
    return i < f->nargs ? f->args[i] : f->decl->params[i]->init;
}

/* free_of with a work budget (shared by the whole walk, so that let chains
 * cannot make it exponential). */
static bool ana_free(const Expr *e, const AnaFrame *f, bool no_q, int *budget)
{
    if (--*budget < 0)
        return false;
    if (e->const_valid)
        return true;
    switch (e->kind) {
    case EX_INT: case EX_FLOAT: case EX_BOOL: case EX_INF: return true;
    case EX_NAME:
    case EX_MEMBER:
        switch (e->ref) {
        case REF_IMPLICIT: return e->index == IV_B || e->index == IV_H || (e->index == IV_Q && !no_q);
        case REF_PARAM: {
            if (!f->parent)
                return true;
            const Expr *arg = analysis_frame_arg(f, e->index);
            return arg && ana_free(arg, f->parent, no_q, budget);
        }
        case REF_LET: return e->let && ana_free(e->let->value, f, no_q, budget);
        case REF_DIM: case REF_CONST: return true;
        default: return false;
        }
    case EX_CALL: {
        const Expr *c = e->a;
        bool ok = c->ref == REF_BUILTIN ||
                  (c->ref == REF_PACK_MEMBER && c->kind == EX_MEMBER && ana_free(c->a, f, no_q, budget)) ||
                  (c->ref == REF_DECL && c->decl && c->decl->kind == DECL_FN);
        for (int i = 0; ok && i < e->nargs; i++)
            ok = ana_free(e->args[i], f, no_q, budget);
        return ok;
    }
    case EX_INDEX: {
        bool ok = ana_free(e->a, f, no_q, budget);
        for (int i = 0; ok && i < e->nargs; i++)
            ok = ana_free(e->args[i], f, no_q, budget);
        return ok;
    }
    case EX_UNARY: return ana_free(e->a, f, no_q, budget);
    case EX_BINARY: return ana_free(e->a, f, no_q, budget) && ana_free(e->b, f, no_q, budget);
    case EX_COND:
        return ana_free(e->a, f, no_q, budget) && ana_free(e->b, f, no_q, budget) &&
               ana_free(e->c, f, no_q, budget);
    case EX_BLOCK: return ana_free(e->a, f, no_q, budget);
    default: return false;
    }
}

bool analysis_free_of(const Expr *e, const AnaFrame *f, bool no_q)
{
    int budget = ANA_MAX_WORK;
    return ana_free(e, f, no_q, &budget);
}

static bool ana_coef_ok(int64_t c) { return c >= -ANA_MAX_COEF && c <= ANA_MAX_COEF; }

static bool ana_key_same(const AnaKey *a, const AnaKey *b)
{
    return a->div == b->div && a->div_f == b->div_f && a->num == b->num && a->num_f == b->num_f;
}

bool ana_lin_add(AnaLin *out, const AnaLin *a, const AnaLin *b, int64_t k)
{
    AnaLin r = *a;
    if (!ana_coef_ok(k) || b->c > INT32_MAX || b->c < INT32_MIN)
        return false;
    r.c += k * b->c;
    r.cq += k * b->cq;
    if (b->ckv) {
        if (r.ckv && !ana_key_same(&r.key, &b->key))
            return false;
        r.key = b->key;
        r.ckv += k * b->ckv;
    }
    if (!r.ckv)
        r.key = (AnaKey){0};
    for (int i = 0; i < b->n; i++) {
        AnaTerm t = b->t[i];
        t.coef *= k;
        int j = 0;
        while (j < r.n && !(r.t[j].e == t.e && r.t[j].f == t.f))
            j++;
        if (j < r.n) {
            r.t[j].coef += t.coef;
        } else {
            if (r.n == ANA_MAX_TERMS)
                return false;
            r.t[r.n++] = t;
        }
    }
    /* Drop cancelled terms. */
    int n = 0;
    for (int i = 0; i < r.n; i++)
        if (r.t[i].coef)
            r.t[n++] = r.t[i];
    r.n = n;
    if (!ana_coef_ok(r.cq) || !ana_coef_ok(r.ckv) || r.c > INT32_MAX || r.c < INT32_MIN)
        return false;
    for (int i = 0; i < r.n; i++)
        if (!ana_coef_ok(r.t[i].coef))
            return false;
    *out = r;
    return true;
}

bool ana_lin_monotone(const AnaLin *l, int s)
{
    if (l->cq * s < 0)
        return false;
    for (int i = 0; i < l->n; i++)
        if (l->t[i].qdep && l->t[i].coef * s < 0)
            return false;
    return true;
}

bool ana_lin_has_q(const AnaLin *l)
{
    for (int i = 0; i < l->n; i++)
        if (l->t[i].qdep)
            return true;
    return l->cq != 0;
}

/* A form nondecreasing in q, free of kv and of guarded terms: what may sit
 * under a floor division or a pack lookup while staying monotone. */
static bool ana_lin_plain_increasing(const AnaLin *l)
{
    for (int i = 0; i < l->n; i++)
        if (l->t[i].guard)
            return false;
    return !l->ckv && ana_lin_monotone(l, 1);
}

Expr *ana_pack_call(AnaCtx *x, const Expr *site, PackMember m, Expr *arg)
{
    Expr *callee = ast_expr(x->a, EX_MEMBER, site->a->span);
    *callee = *site->a;
    callee->index = (int)m;
    callee->name = pack_member_name(m);
    Expr *call = ast_expr(x->a, EX_CALL, site->span);
    *call = *site;
    call->a = callee;
    call->args = arena_alloc(x->a, sizeof *call->args);
    call->args[0] = arg;
    call->nargs = 1;
    call->ty = &ty_i32;
    call->const_valid = false;
    return call;
}

/* The single term `e` (evaluated in f) with the given properties. */
static void ana_lin_term(AnaLin *out, const Expr *e, const AnaFrame *f, bool qdep,
                         const Expr *guard, const AnaFrame *guard_f)
{
    memset(out, 0, sizeof *out);
    out->n = 1;
    out->t[0] = (AnaTerm){.coef = 1, .e = e, .f = f, .qdep = qdep, .guard = guard, .guard_f = guard_f};
}

/* a / d with d free of q and kv: (kv + c) / d with c invariant, or a
 * nondecreasing form of q / d. */
static bool ana_lin_div(AnaCtx *x, const Expr *e, const AnaFrame *f, AnaLin *out)
{
    AnaLin n;
    if (!analysis_free_of(e->b, f, true) || !ana_lin(x, e->a, f, &n))
        return false;
    if (n.ckv == 1 && !n.key.div && !ana_lin_has_q(&n)) {
        memset(out, 0, sizeof *out);
        out->ckv = 1;
        out->key.div = e->b;
        out->key.div_f = f;
        if (n.n || n.c) { /* the invariant offset c */
            AnaLin *off = arena_alloc(x->a, sizeof *off);
            *off = n;
            off->ckv = 0;
            out->key.num = e->a;
            out->key.num_f = f;
            out->key.off = off;
        }
        return true;
    }
    if (!ana_lin_plain_increasing(&n))
        return false;
    ana_lin_term(out, e, f, true, e->b, f);
    return true;
}

/* Pack members of a nondecreasing form of q: start, end and id are
 * nondecreasing; pos(i) = i - start(i). */
static bool ana_lin_pack(AnaCtx *x, const Expr *e, const AnaFrame *f, PackMember m, AnaLin *out)
{
    AnaLin arg;
    if (e->nargs != 1 || !ana_lin(x, e->args[0], f, &arg) || !ana_lin_plain_increasing(&arg))
        return false;
    if (m == PM_START || m == PM_END || m == PM_ID) {
        ana_lin_term(out, e, f, true, NULL, NULL);
        return true;
    }
    if (m != PM_POS)
        return false;
    AnaLin start;
    ana_lin_term(&start, ana_pack_call(x, e, PM_START, e->args[0]), f, true, NULL, NULL);
    return ana_lin_add(out, &arg, &start, -1);
}

static bool ana_lin_call(AnaCtx *x, const Expr *e, const AnaFrame *f, AnaLin *out)
{
    const Expr *c = e->a;
    if (c->ref == REF_DECL && c->decl && c->decl->kind == DECL_FN && c->decl->body)
        return ana_lin(x, c->decl->body, ana_frame(x, c->decl, e->args, e->nargs, f), out);
    if (c->ref == REF_PACK_MEMBER && c->kind == EX_MEMBER && c->index >= 0 && c->index < PM_COUNT)
        return ana_lin_pack(x, e, f, (PackMember)c->index, out);
    return false;
}

static bool ana_lin_binary(AnaCtx *x, const Expr *e, const AnaFrame *f, AnaLin *out)
{
    AnaLin a, b, zero = {0};
    switch (e->op) {
    case OP_ADD:
    case OP_SUB:
        return ana_lin(x, e->a, f, &a) && ana_lin(x, e->b, f, &b) &&
               ana_lin_add(out, &a, &b, e->op == OP_ADD ? 1 : -1);
    case OP_MUL:
        if (e->a->const_valid && ana_lin(x, e->b, f, &b))
            return ana_lin_add(out, &zero, &b, (int64_t)e->a->const_value);
        if (e->b->const_valid && ana_lin(x, e->a, f, &a))
            return ana_lin_add(out, &zero, &a, (int64_t)e->b->const_value);
        return false;
    case OP_DIV: return ana_lin_div(x, e, f, out);
    default: return false;
    }
}

bool ana_lin(AnaCtx *x, const Expr *e, const AnaFrame *f, AnaLin *out)
{
    memset(out, 0, sizeof *out);
    if (!ana_step(x) || !ana_is_i32(e))
        return false;
    if (e->const_valid) {
        out->c = (int64_t)e->const_value;
        return out->c <= INT32_MAX && out->c >= INT32_MIN;
    }
    if (analysis_free_of(e, f, true)) {
        ana_lin_term(out, e, f, false, NULL, NULL);
        return true;
    }
    switch (e->kind) {
    case EX_NAME:
    case EX_MEMBER:
        if (e->ref == REF_IMPLICIT && (e->index == IV_Q || e->index == IV_KV)) {
            *(e->index == IV_Q ? &out->cq : &out->ckv) = 1;
            return true;
        }
        if (e->ref == REF_LET && e->let)
            return ana_lin(x, e->let->value, f, out);
        if (e->ref == REF_PARAM && f->parent) {
            const Expr *arg = analysis_frame_arg(f, e->index);
            return arg && ana_lin(x, arg, f->parent, out);
        }
        return false;
    case EX_BLOCK: return ana_lin(x, e->a, f, out);
    case EX_UNARY: {
        AnaLin a, zero = {0};
        return e->op == OP_NEG && ana_lin(x, e->a, f, &a) && ana_lin_add(out, &zero, &a, -1);
    }
    case EX_BINARY: return ana_lin_binary(x, e, f, out);
    case EX_CALL: return ana_lin_call(x, e, f, out);
    default: return false;
    }
}
