/* parse.h - the parser's state and the AST builders its grammar calls.
 *
 * grammar/parser.y is a Lemon LALR(1) grammar whose actions are one-line
 * calls to the parse_* builders below (parse_build.c, parse_decl.c).
 * parse.c feeds it tokens from the lexer and recovers from syntax errors;
 * parse_error.c phrases them ("expected ')' or ',', found 'x'"). */
#ifndef ATTN_PARSE_H
#define ATTN_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "compiler.h"
#include "lex.h"

/* Upper bound on the number of terminal codes (checked in parser.y). */
enum { PARSE_MAX_TOKENS = 96 };

typedef struct ParseState {
    Compilation *c;
    Arena *arena;
    Module *mod;
    PtrVec decls;        /* Decl*: every declaration that parsed */
    Token cur;           /* the token being fed to the parser */
    Token prev;          /* the token fed before it */
    int decl_kind;       /* keyword (TK_*) that began the current declaration */
    int brace_depth;     /* '{' open before `cur` */
    int group_depth;     /* '(' and '[' open before `cur` */
    bool failed;         /* this parser reported an error; parse.c recovers */
    bool poisoned;       /* the current declaration holds an error: not added */
    bool in_decl;        /* tokens of an unfinished declaration were shifted */
    int dropped;         /* declarations abandoned after an error */
    bool quiet;          /* a lexical error in this declaration: its syntax
                            error would be a follow-on, so it is not reported */
} ParseState;

/* ------------------------------------------------ the generated parser */

/* Size of Lemon's parser object, to allocate it in the arena. */
size_t parse_lalr_size(void);
void parse_lalrInit(void *parser, ParseState *ps);
void parse_lalrFinalize(void *parser);
void parse_lalr(void *parser, int kind, Token tok);
/* Whether the parser would shift token `kind` (after any reductions). */
bool parse_lalr_accepts(void *parser, int kind);
/* Reports a syntax error at ps->cur, listing what the parser expected;
 * returns parse_syntax_error's verdict. */
bool parse_lalr_reject(void *parser, ParseState *ps, bool may_insert_semi);

/* ------------------------------------------------------- errors (parse_error.c) */

/* Reports a syntax error at ps->cur; expected[k] says whether terminal k
 * would have been accepted in the parser's state. When the error is a
 * missing ';' at the end of a line or construct and may_insert_semi is set,
 * returns true: the caller inserts the ';' and carries on. Otherwise marks
 * the parser failed and returns false. */
bool parse_syntax_error(ParseState *ps, const bool *expected, int nterminals,
                        bool may_insert_semi);
/* Where a missing ';' goes: just after the previous token. */
Span parse_after_prev(const ParseState *ps);
/* Reports that Lemon's stack ran out: nesting beyond ATTN_MAX_NESTING. */
void parse_stack_overflow(ParseState *ps);

/* ------------------------------------------------- expressions (parse_build.c) */

Expr *parse_int(ParseState *ps, Token t);
Expr *parse_float(ParseState *ps, Token t);
Expr *parse_bool(ParseState *ps, Token t, bool value);
Expr *parse_inf(ParseState *ps, Token t);
Expr *parse_name(ParseState *ps, Token t);
/* (e): widens e's span over the parentheses. */
Expr *parse_paren(ParseState *ps, Token l, Expr *e, Token r);
Expr *parse_unary(ParseState *ps, Op op, Token op_tok, Expr *e);
Expr *parse_binary(ParseState *ps, Op op, Expr *l, Expr *r);
Expr *parse_cond(ParseState *ps, Expr *c, Expr *t, Expr *f);
/* callee(args); callee must be a name or a member (else an error). */
Expr *parse_call(ParseState *ps, Expr *callee, PtrVec args, Token r);
/* max(args), min(args), f32(x), i32(x): a builtin call named by keyword `kw`. */
Expr *parse_keyword_call(ParseState *ps, Token kw, PtrVec args, Token r);
Expr *parse_index(ParseState *ps, Expr *base, PtrVec args, Token r);
Expr *parse_member(ParseState *ps, Expr *base, Token name);
/* sum/max/min(var [in dim], body); dim may be NULL. */
Expr *parse_reduce(ParseState *ps, Token kw, Token var, const Token *dim, Expr *body,
                   Token r);
/* { lets value } as an EX_BLOCK. */
Expr *parse_block(ParseState *ps, Token l, PtrVec lets, Expr *value, Token r);
LetBinding *parse_let(ParseState *ps, Token name, Expr *value);
/* Appends item to v (in the arena) and returns v. */
PtrVec parse_push(ParseState *ps, PtrVec v, void *item);

/* --------------------------------------------- declarations (parse_decl.c) */

TypeRef *parse_type_scalar(ParseState *ps, Token t);
TypeRef *parse_type_tensor(ParseState *ps, Token elem, PtrVec dims, Token r);
TypeRef *parse_type_pack(ParseState *ps, Token t);
DimRef *parse_dim(ParseState *ps, Token t);
Param *parse_param(ParseState *ps, Token name, TypeRef *type, Expr *init);

/* A dotted module path: `a` then `a.b`; the text is rebuilt in the arena. */
Token parse_modpath(ParseState *ps, Token prefix, Token last);
void parse_import(ParseState *ps, Token kw, Token target, Token semi);
void parse_const(ParseState *ps, Token kw, Token name, Expr *value, Token semi);
/* mask/score head; params NULL for the bare form (`mask causal = ...`). */
Decl *parse_def_head(ParseState *ps, Token kw, Token name, const PtrVec *params);
Decl *parse_fn_head(ParseState *ps, Token kw, Token name, PtrVec params, TypeRef *ret);
/* Completes a mask/score/fn head with its body, ending at `end`. */
void parse_def_body(ParseState *ps, Decl *d, Expr *body, Span end);
void parse_attention(ParseState *ps, Token kw, Token name, PtrVec params, PtrVec stmts,
                     Token r);
void parse_scan(ParseState *ps, Token kw, Token name, PtrVec params, PtrVec outs,
                PtrVec stmts, Token r);

/* ----------------------------------------------- statements (parse_stmt.c) */

Stmt *parse_stmt_let(ParseState *ps, Token kw, Token name, Expr *value, Token semi);
/* `name = value;` (scale, or a scan state update). */
Stmt *parse_stmt_assign(ParseState *ps, Token name, Expr *value, Token semi);
/* `mask = value;` / `score = value;` */
Stmt *parse_stmt_kw_assign(ParseState *ps, Token kw, Expr *value, Token semi);
Stmt *parse_stmt_over(ParseState *ps, Token kw, Token var, Token dim, Token semi);
/* state name[idx] (= init)?; idx empty for a scalar state, init may be NULL. */
Stmt *parse_stmt_state(ParseState *ps, Token kw, Token name, PtrVec idx, Expr *init,
                       Token semi);
Stmt *parse_stmt_output(ParseState *ps, Token name, PtrVec idx, Expr *value, Token semi);
Stmt *parse_stmt_reset(ParseState *ps, Token kw, Token name, Token pack, Token semi);
/* `i in I` (dim non-NULL) or a bare `i`. */
IndexBinding *parse_index_binding(ParseState *ps, Token name, const Token *dim);

/* The token's text as a NUL-terminated arena string (parse_build.c). */
const char *parse_text(ParseState *ps, Token t);

#endif
