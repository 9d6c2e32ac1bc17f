/* sema_affine.c - the affine check of scan state updates (LANGUAGE.md 5).
 *
 * An update `h = e` is split into h = a * h + c with a and c free of h:
 *   h -> (1, 0);  e without h -> (0, e);  x + y, x - y, -x;
 *   x * y with one side free of h;  x / y with y free of h.
 * Anything else is not affine. The split is built as new typed expressions
 * (Stmt.update_a, Stmt.update_c; never NULL: a literal 0.0 stands for zero)
 * sharing the h-free subtrees of the update. */
#include "sema.h"

/* h = a * h + c; NULL stands for zero. */
typedef struct Lin {
    Expr *a, *c;
} Lin;

static bool reads_state(const Expr *e, int state)
{
    if (!e)
        return false;
    if (e->kind == EX_NAME && e->ref == REF_STATE && e->index == state)
        return true;
    if (reads_state(e->a, state) || reads_state(e->b, state) || reads_state(e->c, state))
        return true;
    for (int i = 0; i < e->nargs; i++)
        if (reads_state(e->args[i], state))
            return true;
    return false;
}

static Expr *mk_float(Sema *s, double v, Span at)
{
    Expr *e = ast_expr(s->a, EX_FLOAT, at);
    e->fval = v;
    e->ty = &ty_f32;
    e->depth = 1;
    e->const_valid = true;
    e->const_value = v;
    return e;
}

static bool is_one(const Expr *e)
{
    return e && e->kind == EX_FLOAT && e->const_valid && e->const_value == 1.0;
}

/* l op r with zeros (NULL) and the literal one simplified away. */
static Expr *mk_bin(Sema *s, Op op, Expr *l, Expr *r, Span at)
{
    switch (op) {
    case OP_ADD:
        if (!l || !r)
            return l ? l : r;
        break;
    case OP_SUB:
        if (!r)
            return l;
        if (!l) {
            Expr *n = ast_expr(s->a, EX_UNARY, at);
            n->op = OP_NEG;
            n->a = r;
            n->ty = r->ty;
            n->depth = r->depth + 1;
            return n;
        }
        break;
    case OP_MUL:
        if (!l || !r)
            return NULL;
        if (is_one(l) || is_one(r))
            return is_one(l) ? r : l;
        break;
    default: /* OP_DIV */
        if (!l)
            return NULL;
        break;
    }
    Expr *e = ast_expr(s->a, EX_BINARY, at);
    e->op = op;
    e->a = l;
    e->b = r;
    bool ints = l->ty == &ty_i32 && r->ty == &ty_i32;
    e->ty = ints ? &ty_i32 : &ty_f32;
    e->depth = (l->depth > r->depth ? l->depth : r->depth) + 1;
    return e;
}

static bool affine_fail(Sema *s, const Expr *e, const char *state)
{
    diag_error(s->d, e->span, "state update is not affine in '%s'", state);
    diag_note(s->d, e->span, "the update must have the form %s = a * %s + c", state, state);
    return false;
}

static bool split(Sema *s, Expr *e, int state, const char *name, Lin *out)
{
    if (!reads_state(e, state)) {
        out->a = NULL;
        out->c = e;
        return true;
    }
    if (e->kind == EX_NAME) {
        out->a = mk_float(s, 1.0, e->span);
        out->c = NULL;
        return true;
    }
    Lin x, y;
    if (e->kind == EX_UNARY && e->op == OP_NEG) {
        if (!split(s, e->a, state, name, &x))
            return false;
        out->a = mk_bin(s, OP_SUB, NULL, x.a, e->span);
        out->c = mk_bin(s, OP_SUB, NULL, x.c, e->span);
        return true;
    }
    if (e->kind != EX_BINARY)
        return affine_fail(s, e, name);
    switch (e->op) {
    case OP_ADD:
    case OP_SUB:
        if (!split(s, e->a, state, name, &x) || !split(s, e->b, state, name, &y))
            return false;
        out->a = mk_bin(s, e->op, x.a, y.a, e->span);
        out->c = mk_bin(s, e->op, x.c, y.c, e->span);
        return true;
    case OP_MUL:
        if (reads_state(e->a, state) && reads_state(e->b, state))
            return affine_fail(s, e, name);
        if (reads_state(e->a, state)) {
            if (!split(s, e->a, state, name, &x))
                return false;
            out->a = mk_bin(s, OP_MUL, x.a, e->b, e->span);
            out->c = mk_bin(s, OP_MUL, x.c, e->b, e->span);
        } else {
            if (!split(s, e->b, state, name, &x))
                return false;
            out->a = mk_bin(s, OP_MUL, e->a, x.a, e->span);
            out->c = mk_bin(s, OP_MUL, e->a, x.c, e->span);
        }
        return true;
    case OP_DIV:
        if (reads_state(e->b, state))
            return affine_fail(s, e, name);
        if (!split(s, e->a, state, name, &x))
            return false;
        out->a = mk_bin(s, OP_DIV, x.a, e->b, e->span);
        out->c = mk_bin(s, OP_DIV, x.c, e->b, e->span);
        return true;
    default: return affine_fail(s, e, name);
    }
}

bool sema_affine_split(Sema *s, Stmt *st, int state)
{
    Lin lin;
    if (!split(s, st->value, state, st->name, &lin))
        return false;
    st->update_a = lin.a ? lin.a : mk_float(s, 0.0, st->value->span);
    st->update_c = lin.c ? lin.c : mk_float(s, 0.0, st->value->span);
    return true;
}
