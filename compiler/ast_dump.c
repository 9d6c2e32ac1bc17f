/* ast_dump.c - the readable tree printed by `attnc --emit=ast`.
 *
 * One node per line, indented two spaces per level: its kind, its names and
 * the line:column where it starts, e.g.
 *     mask causal @1:1
 *       binary <= @1:15
 *         name kv @1:15
 *         name q @1:21
 * Recursion is bounded: the parser rejects expressions nested deeper than
 * ATTN_MAX_NESTING. */
#include <inttypes.h>
#include <stdio.h>

#include "ast.h"

static void dump_line_start(FILE *out, int indent)
{
    fprintf(out, "%*s", indent * 2, "");
}

static void dump_at(FILE *out, Span s)
{
    fprintf(out, " @%d:%d\n", s.line, s.col);
}

static const char *dump_scalar(ScalarKind k)
{
    static const char *const names[] = {
        [SK_NONE] = "?", [SK_BOOL] = "bool", [SK_I32] = "i32", [SK_F32] = "f32",
        [SK_F16] = "f16", [SK_BF16] = "bf16",
    };
    return names[k];
}

static void dump_type(FILE *out, const TypeRef *t)
{
    if (t->kind == TY_PACK) {
        fputs("pack", out);
        return;
    }
    fputs(t->kind == TY_ERROR ? "<error>" : dump_scalar(t->scalar), out);
    if (t->kind != TY_TENSOR)
        return;
    fputc('[', out);
    for (int i = 0; i < t->ndims; i++) {
        if (i)
            fputs(", ", out);
        if (t->dims[i].name)
            fputs(t->dims[i].name, out);
        else
            fprintf(out, "%" PRId64, t->dims[i].value);
    }
    fputc(']', out);
}

static void dump_expr(FILE *out, const Expr *e, int indent);

static void dump_let(FILE *out, const LetBinding *l, int indent)
{
    dump_line_start(out, indent);
    fprintf(out, "let %s", l->name);
    dump_at(out, l->span);
    dump_expr(out, l->value, indent + 1);
}

static void dump_expr(FILE *out, const Expr *e, int indent)
{
    dump_line_start(out, indent);
    switch (e->kind) {
    case EX_INT: fprintf(out, "int %" PRId64, e->ival); break;
    case EX_FLOAT: fprintf(out, "float %s", e->name); break;
    case EX_BOOL: fputs(e->ival ? "bool true" : "bool false", out); break;
    case EX_INF: fputs("inf", out); break;
    case EX_NAME: fprintf(out, "name %s", e->name); break;
    case EX_MEMBER: fprintf(out, "member .%s", e->name); break;
    case EX_CALL: fputs("call", out); break;
    case EX_INDEX: fputs("index", out); break;
    case EX_UNARY: fprintf(out, "unary %s", op_spelling(e->op)); break;
    case EX_BINARY: fprintf(out, "binary %s", op_spelling(e->op)); break;
    case EX_COND: fputs("cond ?:", out); break;
    case EX_REDUCE:
        fprintf(out, "reduce %s %s", op_spelling(e->op), e->name);
        if (e->dim)
            fprintf(out, " in %s", e->dim);
        break;
    case EX_BLOCK: fputs("block", out); break;
    }
    dump_at(out, e->span);
    for (int i = 0; i < e->nlets; i++)
        dump_let(out, e->lets[i], indent + 1);
    const Expr *kids[3] = {e->a, e->b, e->c};
    for (int i = 0; i < 3; i++)
        if (kids[i])
            dump_expr(out, kids[i], indent + 1);
    for (int i = 0; i < e->nargs; i++)
        dump_expr(out, e->args[i], indent + 1);
}

static void dump_param(FILE *out, const char *what, const Param *p, int indent)
{
    dump_line_start(out, indent);
    fprintf(out, "%s %s: ", what, p->name);
    dump_type(out, p->type);
    dump_at(out, p->span);
    if (p->init)
        dump_expr(out, p->init, indent + 1);
}

static void dump_indices(FILE *out, const Stmt *s)
{
    if (!s->nidx)
        return;
    fputc('[', out);
    for (int i = 0; i < s->nidx; i++) {
        fprintf(out, "%s%s", i ? ", " : "", s->idx[i].name);
        if (s->idx[i].dim)
            fprintf(out, " in %s", s->idx[i].dim);
    }
    fputc(']', out);
}

static void dump_stmt(FILE *out, const Stmt *s, int indent)
{
    dump_line_start(out, indent);
    switch (s->kind) {
    case ST_LET: fprintf(out, "let %s", s->name); break;
    case ST_ASSIGN: fprintf(out, "assign %s", s->name); break;
    case ST_MASK: fputs("mask =", out); break;
    case ST_SCORE: fputs("score =", out); break;
    case ST_OVER: fprintf(out, "over %s in %s", s->name, s->dim); break;
    case ST_STATE: fprintf(out, "state %s", s->name); dump_indices(out, s); break;
    case ST_OUTPUT: fprintf(out, "output %s", s->name); dump_indices(out, s); break;
    case ST_RESET: fprintf(out, "reset %s at %s", s->name, s->pack); break;
    }
    dump_at(out, s->span);
    if (s->value)
        dump_expr(out, s->value, indent + 1);
}

static void dump_decl(FILE *out, const Decl *d)
{
    if (d->kind == DECL_IMPORT) {
        if (d->import.module)
            fprintf(out, "import %s", d->import.module);
        else
            fprintf(out, "import \"%s\"", d->import.path);
        if (d->import.alias)
            fprintf(out, " as %s", d->import.alias);
        dump_at(out, d->span);
        return;
    }
    fprintf(out, "%s %s", decl_kind_name(d->kind), d->name);
    if (d->ret) {
        fputs(" -> ", out);
        dump_type(out, d->ret);
    }
    dump_at(out, d->span);
    for (int i = 0; i < d->nparams; i++)
        dump_param(out, "param", d->params[i], 1);
    for (int i = 0; i < d->noutputs; i++)
        dump_param(out, "result", d->outputs[i], 1);
    if (d->body)
        dump_expr(out, d->body, 1);
    for (int i = 0; i < d->nstmts; i++)
        dump_stmt(out, d->stmts[i], 1);
}

void ast_dump_module(FILE *out, const Module *m)
{
    for (int i = 0; i < m->ndecls; i++)
        dump_decl(out, m->decls[i]);
}
