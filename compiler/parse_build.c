/* parse_build.c - expression builders called by the grammar (parse.h).
 *
 * Every builder records the span of the whole construct and the node's
 * nesting depth. A node deeper than ATTN_MAX_NESTING is reported once and
 * poisons the declaration (it is not added) and fails the parser, so later
 * passes never recurse deeper than the limit. */
#include <string.h>

#include "parse.h"
#include "parser.h"

const char *parse_text(ParseState *ps, Token t)
{
    return arena_strndup(ps->arena, t.text, t.len);
}

PtrVec parse_push(ParseState *ps, PtrVec v, void *item)
{
    ptrvec_push(ps->arena, &v, item);
    return v;
}

/* Fails the parse when e nests deeper than the language allows. */
static Expr *parse_checked(ParseState *ps, Expr *e)
{
    if (e->depth > ATTN_MAX_NESTING && !ps->failed) {
        diag_error(&ps->c->diags, e->span, "expression is nested too deeply (more than %d levels)",
                   ATTN_MAX_NESTING);
        ps->failed = ps->poisoned = true;
    }
    return e;
}

static int parse_deeper(int depth, const Expr *e) { return e && e->depth > depth ? e->depth : depth; }

/* Depth of a node whose children are `first` and the expressions in v. */
static int parse_depth_of(const Expr *first, PtrVec v)
{
    int d = parse_deeper(0, first);
    for (int i = 0; i < v.len; i++)
        d = parse_deeper(d, v.items[i]);
    return d + 1;
}

static Expr *parse_leaf(ParseState *ps, ExprKind kind, Token t)
{
    return ast_expr(ps->arena, kind, t.span);
}

Expr *parse_int(ParseState *ps, Token t)
{
    Expr *e = parse_leaf(ps, EX_INT, t);
    e->ival = t.ival;
    return e;
}

Expr *parse_float(ParseState *ps, Token t)
{
    Expr *e = parse_leaf(ps, EX_FLOAT, t);
    e->fval = t.fval;
    e->name = parse_text(ps, t); /* the spelling */
    return e;
}

Expr *parse_bool(ParseState *ps, Token t, bool value)
{
    Expr *e = parse_leaf(ps, EX_BOOL, t);
    e->ival = value;
    return e;
}

Expr *parse_inf(ParseState *ps, Token t) { return parse_leaf(ps, EX_INF, t); }

Expr *parse_name(ParseState *ps, Token t)
{
    Expr *e = parse_leaf(ps, EX_NAME, t);
    e->name = parse_text(ps, t);
    return e;
}

Expr *parse_paren(ParseState *ps, Token l, Expr *e, Token r)
{
    e->span = span_join(l.span, r.span);
    return e;
}

Expr *parse_unary(ParseState *ps, Op op, Token op_tok, Expr *e)
{
    return parse_checked(ps, ast_unary(ps->arena, op, op_tok.span, e));
}

Expr *parse_binary(ParseState *ps, Op op, Expr *l, Expr *r)
{
    return parse_checked(ps, ast_binary(ps->arena, op, l, r));
}

Expr *parse_cond(ParseState *ps, Expr *c, Expr *t, Expr *f)
{
    Expr *e = ast_expr(ps->arena, EX_COND, span_join(c->span, f->span));
    e->a = c;
    e->b = t;
    e->c = f;
    e->depth = 1 + parse_deeper(parse_deeper(c->depth, t), f);
    return parse_checked(ps, e);
}

/* callee[args] or callee(args) as `kind`, spanning through `r`. */
static Expr *parse_apply(ParseState *ps, ExprKind kind, Expr *callee, PtrVec args, Token r)
{
    Expr *e = ast_expr(ps->arena, kind, span_join(callee->span, r.span));
    e->a = callee;
    e->args = (Expr **)args.items;
    e->nargs = args.len;
    e->depth = parse_depth_of(callee, args);
    return parse_checked(ps, e);
}

Expr *parse_call(ParseState *ps, Expr *callee, PtrVec args, Token r)
{
    if (callee->kind != EX_NAME && callee->kind != EX_MEMBER && !ps->failed) {
        diag_error(&ps->c->diags, callee->span, "only a named function can be called");
        ps->failed = ps->poisoned = true;
    }
    return parse_apply(ps, EX_CALL, callee, args, r);
}

Expr *parse_keyword_call(ParseState *ps, Token kw, PtrVec args, Token r)
{
    return parse_apply(ps, EX_CALL, parse_name(ps, kw), args, r);
}

Expr *parse_index(ParseState *ps, Expr *base, PtrVec args, Token r)
{
    return parse_apply(ps, EX_INDEX, base, args, r);
}

Expr *parse_member(ParseState *ps, Expr *base, Token name)
{
    Expr *e = ast_expr(ps->arena, EX_MEMBER, span_join(base->span, name.span));
    e->a = base;
    e->name = parse_text(ps, name);
    e->depth = base->depth + 1;
    return parse_checked(ps, e);
}

Expr *parse_reduce(ParseState *ps, Token kw, Token var, const Token *dim, Expr *body, Token r)
{
    Expr *e = ast_expr(ps->arena, EX_REDUCE, span_join(kw.span, r.span));
    e->op = kw.kind == TK_SUM ? OP_SUM : kw.kind == TK_MAX ? OP_MAX : OP_MIN;
    e->name = parse_text(ps, var);
    if (dim) {
        e->dim = parse_text(ps, *dim);
        e->dim_span = dim->span;
    }
    e->a = body;
    e->depth = body->depth + 1;
    return parse_checked(ps, e);
}

Expr *parse_block(ParseState *ps, Token l, PtrVec lets, Expr *value, Token r)
{
    Expr *e = ast_expr(ps->arena, EX_BLOCK, span_join(l.span, r.span));
    e->a = value;
    e->lets = (LetBinding **)lets.items;
    e->nlets = lets.len;
    int d = value->depth;
    for (int i = 0; i < lets.len; i++)
        d = parse_deeper(d, e->lets[i]->value);
    e->depth = d + 1;
    return parse_checked(ps, e);
}

LetBinding *parse_let(ParseState *ps, Token name, Expr *value)
{
    LetBinding *l = arena_alloc(ps->arena, sizeof *l);
    l->name = parse_text(ps, name);
    l->span = name.span;
    l->value = value;
    return l;
}
