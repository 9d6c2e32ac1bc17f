/* parse_decl.c - builders for types, parameters and declarations (parse.h).
 *
 * A declaration is added to the module when it is reduced, which needs all
 * of its tokens, so a half-built declaration never reaches semantic
 * analysis; one holding a builder error (too-deep nesting) is not added. */
#include <string.h>

#include "parse.h"
#include "parser.h"

static Decl *parse_decl_new(ParseState *ps, DeclKind kind, Token kw, const Token *name)
{
    Decl *d = arena_alloc(ps->arena, sizeof *d);
    d->kind = kind;
    d->span = kw.span;
    d->module = ps->mod;
    if (name) {
        d->name = parse_text(ps, *name);
        d->name_span = name->span;
    }
    return d;
}

/* Adds a finished declaration spanning through `end` to the module. */
static void parse_decl_add(ParseState *ps, Decl *d, Span end)
{
    d->span = span_join(d->span, end);
    if (!ps->poisoned)
        ptrvec_push(ps->arena, &ps->decls, d);
    ps->poisoned = ps->quiet = ps->in_decl = false;
}

static void parse_decl_params(Decl *d, PtrVec params)
{
    d->params = (Param **)params.items;
    d->nparams = params.len;
}

static ScalarKind parse_scalar_kind(int tk)
{
    switch (tk) {
    case TK_BOOL: return SK_BOOL;
    case TK_I32: return SK_I32;
    case TK_F32: return SK_F32;
    case TK_F16: return SK_F16;
    default: return SK_BF16;
    }
}

TypeRef *parse_type_scalar(ParseState *ps, Token t)
{
    TypeRef *ty = arena_alloc(ps->arena, sizeof *ty);
    ty->kind = TY_SCALAR;
    ty->scalar = parse_scalar_kind(t.kind);
    ty->span = t.span;
    if (ty->scalar == SK_F16 || ty->scalar == SK_BF16) {
        diag_error(&ps->c->diags, t.span,
                   "'%.*s' is a storage type: use it as a tensor element type (e.g. %.*s[N])",
                   (int)t.len, t.text, (int)t.len, t.text);
        ty->kind = TY_ERROR;
    }
    return ty;
}

TypeRef *parse_type_tensor(ParseState *ps, Token elem, PtrVec dims, Token r)
{
    TypeRef *ty = arena_alloc(ps->arena, sizeof *ty);
    ty->kind = TY_TENSOR;
    ty->scalar = parse_scalar_kind(elem.kind);
    ty->span = span_join(elem.span, r.span);
    ty->ndims = dims.len;
    ty->dims = arena_alloc(ps->arena, (size_t)dims.len * sizeof *ty->dims);
    for (int i = 0; i < dims.len; i++)
        ty->dims[i] = *(DimRef *)dims.items[i];
    return ty;
}

TypeRef *parse_type_pack(ParseState *ps, Token t)
{
    TypeRef *ty = arena_alloc(ps->arena, sizeof *ty);
    ty->kind = TY_PACK;
    ty->span = t.span;
    return ty;
}

DimRef *parse_dim(ParseState *ps, Token t)
{
    DimRef *d = arena_alloc(ps->arena, sizeof *d);
    d->span = t.span;
    d->dim_id = -1;
    if (t.kind == TK_INT)
        d->value = t.ival;
    else
        d->name = parse_text(ps, t);
    return d;
}

Param *parse_param(ParseState *ps, Token name, TypeRef *type, Expr *init)
{
    Param *p = arena_alloc(ps->arena, sizeof *p);
    p->name = parse_text(ps, name);
    p->span = name.span;
    p->type = type;
    p->init = init;
    return p;
}

Token parse_modpath(ParseState *ps, Token prefix, Token last)
{
    Token t = prefix;
    t.text = arena_printf(ps->arena, "%.*s.%.*s", (int)prefix.len, prefix.text, (int)last.len,
                          last.text);
    t.len = prefix.len + 1 + last.len;
    t.span = span_join(prefix.span, last.span);
    return t;
}

void parse_import(ParseState *ps, Token kw, Token target, Token semi)
{
    Decl *d = parse_decl_new(ps, DECL_IMPORT, kw, NULL);
    d->name_span = target.span;
    if (target.kind == TK_STRING)
        d->import.path = arena_strndup(ps->arena, target.text + 1, target.len - 2);
    else
        d->import.module = parse_text(ps, target);
    parse_decl_add(ps, d, semi.span);
}

void parse_const(ParseState *ps, Token kw, Token name, Expr *value, Token semi)
{
    Decl *d = parse_decl_new(ps, DECL_CONST, kw, &name);
    d->body = value;
    parse_decl_add(ps, d, semi.span);
}

Decl *parse_def_head(ParseState *ps, Token kw, Token name, const PtrVec *params)
{
    Decl *d = parse_decl_new(ps, kw.kind == TK_MASK ? DECL_MASK : DECL_SCORE, kw, &name);
    d->has_parens = params != NULL;
    if (params)
        parse_decl_params(d, *params);
    return d;
}

Decl *parse_fn_head(ParseState *ps, Token kw, Token name, PtrVec params, TypeRef *ret)
{
    Decl *d = parse_decl_new(ps, DECL_FN, kw, &name);
    d->has_parens = true;
    parse_decl_params(d, params);
    d->ret = ret;
    return d;
}

void parse_def_body(ParseState *ps, Decl *d, Expr *body, Span end)
{
    d->body = body;
    parse_decl_add(ps, d, end);
}

/* The statements of an attention or scan body. */
static void parse_decl_stmts(Decl *d, PtrVec stmts)
{
    d->stmts = (Stmt **)stmts.items;
    d->nstmts = stmts.len;
}

void parse_attention(ParseState *ps, Token kw, Token name, PtrVec params, PtrVec stmts, Token r)
{
    Decl *d = parse_decl_new(ps, DECL_ATTENTION, kw, &name);
    d->has_parens = true;
    parse_decl_params(d, params);
    parse_decl_stmts(d, stmts);
    parse_decl_add(ps, d, r.span);
}

void parse_scan(ParseState *ps, Token kw, Token name, PtrVec params, PtrVec outs, PtrVec stmts,
                Token r)
{
    Decl *d = parse_decl_new(ps, DECL_SCAN, kw, &name);
    d->has_parens = true;
    parse_decl_params(d, params);
    d->outputs = (Param **)outs.items;
    d->noutputs = outs.len;
    parse_decl_stmts(d, stmts);
    parse_decl_add(ps, d, r.span);
}
