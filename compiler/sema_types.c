/* sema_types.c - expression typing (LANGUAGE.md 3.1).
 *
 * Every expression gets Expr.ty: the scalar singletons for bool/i32/f32,
 * the parameter's TypeRef for tensor and pack names, ty_error when poisoned
 * (an error was already reported; no further diagnostics about it).
 * Promotion is implicit: an i32 operand of an f32 operation keeps ty i32 and
 * consumers convert it where the parent's type is f32 (arithmetic,
 * comparisons, ?: branches, builtin and call arguments, body results). */
#include <string.h>

#include "sema.h"

static const char *const scalar_names[] = {
    [SK_NONE] = "?",  [SK_BOOL] = "bool", [SK_I32] = "i32",
    [SK_F32] = "f32", [SK_F16] = "f16",   [SK_BF16] = "bf16"};

TypeRef *sema_scalar_type(ScalarKind k)
{
    switch (k) {
    case SK_BOOL: return &ty_bool;
    case SK_I32: return &ty_i32;
    case SK_F32:
    case SK_F16:
    case SK_BF16: return &ty_f32;
    case SK_NONE: break;
    }
    return &ty_error;
}

bool sema_is_error(const TypeRef *t) { return !t || t->kind == TY_ERROR; }

bool sema_is_numeric(const TypeRef *t)
{
    return t && t->kind == TY_SCALAR && (t->scalar == SK_I32 || t->scalar == SK_F32);
}

static bool is_scalar(const TypeRef *t, ScalarKind k)
{
    return t && t->kind == TY_SCALAR && t->scalar == k;
}

TypeRef *sema_elem_type(const TypeRef *t) { return sema_scalar_type(t->scalar); }

const char *sema_type_name(Sema *s, const TypeRef *t)
{
    if (!t || t->kind == TY_ERROR)
        return "<error>";
    if (t->kind == TY_PACK)
        return "pack";
    if (t->kind == TY_SCALAR)
        return scalar_names[t->scalar];
    const char *out = arena_printf(s->a, "%s[", scalar_names[t->scalar]);
    for (int i = 0; i < t->ndims; i++) {
        const DimRef *r = &t->dims[i];
        out = r->name ? arena_printf(s->a, "%s%s%s", out, i ? ", " : "", r->name)
                      : arena_printf(s->a, "%s%s%lld", out, i ? ", " : "", (long long)r->value);
    }
    return arena_printf(s->a, "%s]", out);
}

const char *sema_span_text(Sema *s, Span sp)
{
    SourceFile *f = source_get(&s->c->sources, sp.file);
    if (!f || sp.off > f->len || sp.len > f->len - sp.off)
        return "?";
    enum { MAXLEN = 60 };
    if (sp.len > MAXLEN)
        return arena_printf(s->a, "%.*s...", MAXLEN, f->text + sp.off);
    return arena_strndup(s->a, f->text + sp.off, sp.len);
}

bool sema_expect(Body *b, Expr *e, ScalarKind want, const char *what)
{
    TypeRef *t = e ? e->ty : NULL;
    if (sema_is_error(t))
        return true;
    if (is_scalar(t, want) || (want == SK_F32 && is_scalar(t, SK_I32)))
        return true;
    const char *hint = want == SK_I32 && is_scalar(t, SK_F32) ? " (convert with i32(x))" : "";
    diag_error(b->s->d, e->span, "%s must be '%s', got '%s'%s", what, scalar_names[want],
               sema_type_name(b->s, t), hint);
    return false;
}

/* Result of an arithmetic operation on numeric operands. */
static TypeRef *arith_result(const TypeRef *l, const TypeRef *r)
{
    return is_scalar(l, SK_I32) && is_scalar(r, SK_I32) ? &ty_i32 : &ty_f32;
}

/* Reports an operand that is not what `op` needs; `need` names it. */
static TypeRef *operand_error(Body *b, Expr *e, Expr *operand, const char *need)
{
    Sema *s = b->s;
    const char *got = sema_type_name(s, operand->ty);
    if (need)
        diag_error(s->d, operand->span, "operator '%s' requires '%s' operands, got '%s'",
                   op_spelling(e->op), need, got);
    else
        diag_error(s->d, operand->span, "operator '%s' cannot be applied to '%s'",
                   op_spelling(e->op), got);
    return &ty_error;
}

static TypeRef *sema_unary(Body *b, Expr *e)
{
    TypeRef *t = sema_expr(b, e->a);
    if (sema_is_error(t))
        return &ty_error;
    switch (e->op) {
    case OP_NEG: return sema_is_numeric(t) ? t : operand_error(b, e, e->a, NULL);
    case OP_NOT: return is_scalar(t, SK_BOOL) ? t : operand_error(b, e, e->a, "bool");
    case OP_BITNOT: return is_scalar(t, SK_I32) ? t : operand_error(b, e, e->a, "i32");
    default: return &ty_error;
    }
}

static TypeRef *sema_binary(Body *b, Expr *e)
{
    TypeRef *l = sema_expr(b, e->a), *r = sema_expr(b, e->b);
    if (sema_is_error(l) || sema_is_error(r))
        return &ty_error;
    switch (e->op) {
    case OP_MUL:
    case OP_DIV:
    case OP_MOD:
    case OP_ADD:
    case OP_SUB:
        if (!sema_is_numeric(l))
            return operand_error(b, e, e->a, NULL);
        if (!sema_is_numeric(r))
            return operand_error(b, e, e->b, NULL);
        return arith_result(l, r);
    case OP_SHL:
    case OP_SHR:
    case OP_BITAND:
    case OP_BITXOR:
    case OP_BITOR:
        if (!is_scalar(l, SK_I32))
            return operand_error(b, e, e->a, "i32");
        if (!is_scalar(r, SK_I32))
            return operand_error(b, e, e->b, "i32");
        return &ty_i32;
    case OP_AND:
    case OP_OR:
        if (!is_scalar(l, SK_BOOL))
            return operand_error(b, e, e->a, "bool");
        if (!is_scalar(r, SK_BOOL))
            return operand_error(b, e, e->b, "bool");
        return &ty_bool;
    case OP_EQ:
    case OP_NE:
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE: {
        bool eq = e->op == OP_EQ || e->op == OP_NE;
        if ((sema_is_numeric(l) && sema_is_numeric(r)) ||
            (eq && is_scalar(l, SK_BOOL) && is_scalar(r, SK_BOOL)))
            return &ty_bool;
        if (!sema_is_numeric(l) && !(eq && is_scalar(l, SK_BOOL)))
            return operand_error(b, e, e->a, NULL);
        if (!sema_is_numeric(r) && !(eq && is_scalar(r, SK_BOOL)))
            return operand_error(b, e, e->b, NULL);
        diag_error(b->s->d, e->span, "cannot compare '%s' with '%s'", sema_type_name(b->s, l),
                   sema_type_name(b->s, r));
        return &ty_error;
    }
    default: return &ty_error;
    }
}

static TypeRef *sema_cond(Body *b, Expr *e)
{
    TypeRef *c = sema_expr(b, e->a), *x = sema_expr(b, e->b), *y = sema_expr(b, e->c);
    if (!sema_is_error(c) && !is_scalar(c, SK_BOOL))
        diag_error(b->s->d, e->a->span, "condition of '?:' must be 'bool', got '%s'",
                   sema_type_name(b->s, c));
    if (sema_is_error(c) || sema_is_error(x) || sema_is_error(y) || !is_scalar(c, SK_BOOL))
        return &ty_error;
    if (sema_is_numeric(x) && sema_is_numeric(y))
        return arith_result(x, y);
    if (is_scalar(x, SK_BOOL) && is_scalar(y, SK_BOOL))
        return &ty_bool;
    diag_error(b->s->d, e->span, "branches of '?:' have different types ('%s' and '%s')",
               sema_type_name(b->s, x), sema_type_name(b->s, y));
    return &ty_error;
}

/* { let x = ...; value }: each let sees only the lets before it. */
static TypeRef *sema_block(Body *b, Expr *e)
{
    int from = b->lets.len;
    for (int i = 0; i < e->nlets; i++) {
        LetBinding *let = e->lets[i];
        if (!let || !let->name)
            continue;
        for (int k = from; k < b->lets.len; k++) {
            LetInfo *prev = b->lets.items[k];
            if (strcmp(prev->let->name, let->name) == 0) {
                diag_error(b->s->d, let->span, "redefinition of let '%s'", let->name);
                diag_note(b->s->d, prev->let->span, "previous definition is here");
                break;
            }
        }
        uint64_t used = b->used;
        b->used = 0;
        sema_expr(b, let->value);
        sema_push_let(b, let, b->used);
        b->used |= used;
    }
    TypeRef *t = sema_expr(b, e->a);
    sema_pop_lets(b, from);
    if (e->a) {
        e->const_valid = e->a->const_valid;
        e->const_value = e->a->const_value;
    }
    return t;
}

/* base[i, ...]: base must name a tensor parameter; indices are i32. */
static TypeRef *sema_index(Body *b, Expr *e)
{
    Sema *s = b->s;
    TypeRef *t = e->a ? sema_expr(b, e->a) : &ty_error;
    bool bad = false;
    for (int i = 0; i < e->nargs; i++) {
        TypeRef *it = sema_expr(b, e->args[i]);
        if (sema_is_error(it)) {
            bad = true;
        } else if (!is_scalar(it, SK_I32)) {
            diag_error(s->d, e->args[i]->span, "index %d of '%s' must be 'i32', got '%s'%s", i + 1,
                       sema_span_text(s, e->a->span), sema_type_name(s, it),
                       is_scalar(it, SK_F32) ? " (convert with i32(x))" : "");
            bad = true;
        }
    }
    if (sema_is_error(t))
        return &ty_error;
    if (t->kind != TY_TENSOR) {
        diag_error(s->d, e->a->span, "'%s' is not a tensor and cannot be indexed (it is '%s')",
                   sema_span_text(s, e->a->span), sema_type_name(s, t));
        return &ty_error;
    }
    if (t->ndims != e->nargs) {
        diag_error(s->d, e->span, "'%s' has %d dimension%s but is indexed with %d ind%s",
                   sema_span_text(s, e->a->span), t->ndims, t->ndims == 1 ? "" : "s", e->nargs,
                   e->nargs == 1 ? "ex" : "ices");
        return &ty_error;
    }
    if (!bad && e->a->ref == REF_PARAM)
        sema_bounds_index(b, e, e->a->index, t);
    return sema_elem_type(t);
}

static TypeRef *sema_literal(Body *b, Expr *e)
{
    e->const_valid = true;
    switch (e->kind) {
    case EX_INT:
        if (e->ival > INT32_MAX || e->ival < 0) {
            diag_error(b->s->d, e->span, "integer literal '%s' does not fit in 'i32'",
                       sema_span_text(b->s, e->span));
            e->const_valid = false;
            return &ty_error;
        }
        e->const_value = (double)e->ival;
        return &ty_i32;
    case EX_BOOL: e->const_value = e->ival != 0; return &ty_bool;
    case EX_INF: e->const_value = 1.0 / 0.0; return &ty_f32;
    default: e->const_value = (float)e->fval; return &ty_f32;
    }
}

TypeRef *sema_expr(Body *b, Expr *e)
{
    if (!e)
        return &ty_error;
    TypeRef *t = &ty_error;
    switch (e->kind) {
    case EX_INT:
    case EX_FLOAT:
    case EX_BOOL:
    case EX_INF: t = sema_literal(b, e); break;
    case EX_NAME:
    case EX_MEMBER: t = sema_name(b, e); break;
    case EX_CALL: t = sema_call(b, e); break;
    case EX_INDEX: t = sema_index(b, e); break;
    case EX_UNARY: t = sema_unary(b, e); break;
    case EX_BINARY: t = sema_binary(b, e); break;
    case EX_COND: t = sema_cond(b, e); break;
    case EX_REDUCE: t = sema_reduce(b, e); break;
    case EX_BLOCK: t = sema_block(b, e); break;
    }
    e->ty = t ? t : &ty_error;
    if (!sema_is_error(e->ty) && e->kind != EX_BLOCK)
        sema_fold(b, e);
    return e->ty;
}
