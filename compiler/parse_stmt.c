/* parse_stmt.c - builders for the statements of attention and scan bodies
 * (parse.h). Which statements a body may hold is checked by sema. */
#include "parse.h"
#include "parser.h"

static Stmt *parse_stmt_new(ParseState *ps, StmtKind kind, Token first, Token semi)
{
    Stmt *s = arena_alloc(ps->arena, sizeof *s);
    s->kind = kind;
    s->span = span_join(first.span, semi.span);
    s->target = -1;
    return s;
}

static void parse_stmt_name(ParseState *ps, Stmt *s, Token name)
{
    s->name = parse_text(ps, name);
    s->name_span = name.span;
}

/* Copies the IndexBinding pointers of v into the statement's array. */
static void parse_stmt_idx(ParseState *ps, Stmt *s, PtrVec v)
{
    s->nidx = v.len;
    s->idx = arena_alloc(ps->arena, (size_t)v.len * sizeof *s->idx);
    for (int i = 0; i < v.len; i++)
        s->idx[i] = *(IndexBinding *)v.items[i];
}

Stmt *parse_stmt_let(ParseState *ps, Token kw, Token name, Expr *value, Token semi)
{
    Stmt *s = parse_stmt_new(ps, ST_LET, kw, semi);
    parse_stmt_name(ps, s, name);
    s->value = value;
    return s;
}

Stmt *parse_stmt_assign(ParseState *ps, Token name, Expr *value, Token semi)
{
    Stmt *s = parse_stmt_new(ps, ST_ASSIGN, name, semi);
    parse_stmt_name(ps, s, name);
    s->value = value;
    return s;
}

Stmt *parse_stmt_kw_assign(ParseState *ps, Token kw, Expr *value, Token semi)
{
    Stmt *s = parse_stmt_new(ps, kw.kind == TK_MASK ? ST_MASK : ST_SCORE, kw, semi);
    s->value = value;
    return s;
}

Stmt *parse_stmt_over(ParseState *ps, Token kw, Token var, Token dim, Token semi)
{
    Stmt *s = parse_stmt_new(ps, ST_OVER, kw, semi);
    parse_stmt_name(ps, s, var);
    s->dim = parse_text(ps, dim);
    s->dim_span = dim.span;
    return s;
}

Stmt *parse_stmt_state(ParseState *ps, Token kw, Token name, PtrVec idx, Expr *init, Token semi)
{
    Stmt *s = parse_stmt_new(ps, ST_STATE, kw, semi);
    parse_stmt_name(ps, s, name);
    parse_stmt_idx(ps, s, idx);
    s->value = init;
    return s;
}

Stmt *parse_stmt_output(ParseState *ps, Token name, PtrVec idx, Expr *value, Token semi)
{
    Stmt *s = parse_stmt_new(ps, ST_OUTPUT, name, semi);
    parse_stmt_name(ps, s, name);
    parse_stmt_idx(ps, s, idx);
    s->value = value;
    return s;
}

Stmt *parse_stmt_reset(ParseState *ps, Token kw, Token name, Token pack, Token semi)
{
    Stmt *s = parse_stmt_new(ps, ST_RESET, kw, semi);
    parse_stmt_name(ps, s, name);
    s->pack = parse_text(ps, pack);
    s->pack_span = pack.span;
    return s;
}

IndexBinding *parse_index_binding(ParseState *ps, Token name, const Token *dim)
{
    IndexBinding *b = arena_alloc(ps->arena, sizeof *b);
    b->name = parse_text(ps, name);
    b->span = name.span;
    b->ivar = -1;
    if (dim) {
        b->dim = parse_text(ps, *dim);
        b->dim_span = dim->span;
    }
    return b;
}
