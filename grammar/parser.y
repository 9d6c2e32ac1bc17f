// parser.y - the .attn grammar (LANGUAGE.md sections 3-5), for Lemon.
//
// Actions are one-line calls to the builders of compiler/parse.h. Every
// declaration is added to the module as soon as it is reduced, so when a
// syntax error makes parse.c abandon this parser (and restart a fresh one at
// the next declaration keyword) everything before it is kept. Nothing here
// owns memory: values live in the compilation's arena.
//
// Binary operators use precedence declarations (lowest first, LANGUAGE.md
// 3.1); comparisons are non-associative, so `a < b < c` is a syntax error.
// Lemon exits non-zero on any conflict, which fails the build.

%name parse_lalr
%token_prefix TK_
%token_type {Token}
%extra_context {ParseState *ps}
%stack_size 2200

%include {
#include <assert.h>
#include <string.h>

#include "parse.h"
}

// parse.c asks parse_lalr_accepts before feeding each token, so that the
// expected set is computed before Lemon's default reductions, and reports
// the error itself; it then still feeds the token so that pending reductions
// complete the declarations before it, and this handler stays quiet.
%syntax_error {
    (void)yymajor;
    (void)yyminor;
    if (!ps->failed)
        parse_lalr_reject(yypParser, ps, false);
}
%stack_overflow { parse_stack_overflow(ps); }

// Terminal codes, in a fixed order (lex.c names them for messages).
%token IDENT INT FLOAT STRING.
%token IMPORT CONST FN MASK SCORE ATTENTION SCAN.
%token LET PACK STATE OVER RESET AT IN SUM MAX MIN TRUE FALSE INF.
%token BOOL I32 F32 F16 BF16.
%token LPAREN RPAREN LBRACKET RBRACKET LBRACE RBRACE COMMA SEMI COLON DOT ASSIGN ARROW.
%token QUESTION PLUS MINUS STAR SLASH PERCENT NOT TILDE AMP PIPE CARET SHL SHR.
%token ANDAND OROR EQ NE LT LE GT GE.

%right QUESTION.
%left OROR.
%left ANDAND.
%nonassoc EQ NE LT LE GT GE.
%left PIPE.
%left CARET.
%left AMP.
%left SHL SHR.
%left PLUS MINUS.
%left STAR SLASH PERCENT.

%type expr {Expr *}
%type unary {Expr *}
%type postfix {Expr *}
%type primary {Expr *}
%type block {Expr *}
%type args {PtrVec}
%type arglist {PtrVec}
%type lets {PtrVec}
%type params {PtrVec}
%type paramlist {PtrVec}
%type param {Param *}
%type outs {PtrVec}
%type out {Param *}
%type type {TypeRef *}
%type elemtype {Token}
%type dims {PtrVec}
%type dim {DimRef *}
%type modpath {Token}
%type defhead {Decl *}
%type stmts {PtrVec}
%type stmt {Stmt *}
%type idxs {PtrVec}
%type idx {IndexBinding *}
%type state_idx {PtrVec}
%type state_init {Expr *}

// ------------------------------------------------------------ declarations

program ::= decls.
decls ::= .
decls ::= decls decl.

decl ::= IMPORT(K) modpath(P) SEMI(S).       { parse_import(ps, K, P, S); }
decl ::= IMPORT(K) STRING(P) SEMI(S).        { parse_import(ps, K, P, S); }
decl ::= CONST(K) IDENT(N) ASSIGN expr(E) SEMI(S). { parse_const(ps, K, N, E, S); }
decl ::= defhead(H) ASSIGN expr(E) SEMI(S).  { parse_def_body(ps, H, E, S.span); }
decl ::= defhead(H) block(B).                { parse_def_body(ps, H, B, B->span); }
decl ::= ATTENTION(K) IDENT(N) LPAREN params(P) RPAREN LBRACE stmts(B) RBRACE(R).
                                             { parse_attention(ps, K, N, P, B, R); }
decl ::= SCAN(K) IDENT(N) LPAREN params(P) RPAREN ARROW LPAREN outs(O) RPAREN
         LBRACE stmts(B) RBRACE(R).          { parse_scan(ps, K, N, P, O, B, R); }

modpath(A) ::= IDENT(N).                     { A = N; }
modpath(A) ::= modpath(P) DOT IDENT(N).      { A = parse_modpath(ps, P, N); }

defhead(A) ::= MASK(K) IDENT(N).             { A = parse_def_head(ps, K, N, NULL); }
defhead(A) ::= MASK(K) IDENT(N) LPAREN params(P) RPAREN.  { A = parse_def_head(ps, K, N, &P); }
defhead(A) ::= SCORE(K) IDENT(N).            { A = parse_def_head(ps, K, N, NULL); }
defhead(A) ::= SCORE(K) IDENT(N) LPAREN params(P) RPAREN. { A = parse_def_head(ps, K, N, &P); }
defhead(A) ::= FN(K) IDENT(N) LPAREN params(P) RPAREN ARROW type(T).
                                             { A = parse_fn_head(ps, K, N, P, T); }

block(A) ::= LBRACE(L) lets(S) expr(E) RBRACE(R). { A = parse_block(ps, L, S, E, R); }
lets(A) ::= .                                { memset(&A, 0, sizeof A); }
lets(A) ::= lets(S) LET IDENT(N) ASSIGN expr(E) SEMI. { A = parse_push(ps, S, parse_let(ps, N, E)); }

params(A) ::= .                              { memset(&A, 0, sizeof A); }
params(A) ::= paramlist(L).                  { A = L; }
paramlist(A) ::= param(P).                   { memset(&A, 0, sizeof A); A = parse_push(ps, A, P); }
paramlist(A) ::= paramlist(L) COMMA param(P). { A = parse_push(ps, L, P); }
param(A) ::= IDENT(N) COLON type(T).         { A = parse_param(ps, N, T, NULL); }
param(A) ::= IDENT(N) COLON type(T) ASSIGN expr(E). { A = parse_param(ps, N, T, E); }

outs(A) ::= out(P).                          { memset(&A, 0, sizeof A); A = parse_push(ps, A, P); }
outs(A) ::= outs(L) COMMA out(P).            { A = parse_push(ps, L, P); }
out(A) ::= IDENT(N) COLON type(T).           { A = parse_param(ps, N, T, NULL); }

type(A) ::= elemtype(T).                     { A = parse_type_scalar(ps, T); }
type(A) ::= elemtype(T) LBRACKET dims(D) RBRACKET(R). { A = parse_type_tensor(ps, T, D, R); }
type(A) ::= PACK(T).                         { A = parse_type_pack(ps, T); }
elemtype(A) ::= BOOL(T).                     { A = T; }
elemtype(A) ::= I32(T).                      { A = T; }
elemtype(A) ::= F32(T).                      { A = T; }
elemtype(A) ::= F16(T).                      { A = T; }
elemtype(A) ::= BF16(T).                     { A = T; }
dims(A) ::= dim(D).                          { memset(&A, 0, sizeof A); A = parse_push(ps, A, D); }
dims(A) ::= dims(L) COMMA dim(D).            { A = parse_push(ps, L, D); }
dim(A) ::= IDENT(T).                         { A = parse_dim(ps, T); }
dim(A) ::= INT(T).                           { A = parse_dim(ps, T); }

// -------------------------------------------------------------- statements

stmts(A) ::= .                               { memset(&A, 0, sizeof A); }
stmts(A) ::= stmts(L) stmt(S).               { A = parse_push(ps, L, S); }

stmt(A) ::= LET(K) IDENT(N) ASSIGN expr(E) SEMI(S).  { A = parse_stmt_let(ps, K, N, E, S); }
stmt(A) ::= IDENT(N) ASSIGN expr(E) SEMI(S).         { A = parse_stmt_assign(ps, N, E, S); }
stmt(A) ::= MASK(K) ASSIGN expr(E) SEMI(S).          { A = parse_stmt_kw_assign(ps, K, E, S); }
stmt(A) ::= SCORE(K) ASSIGN expr(E) SEMI(S).         { A = parse_stmt_kw_assign(ps, K, E, S); }
stmt(A) ::= OVER(K) IDENT(V) IN IDENT(D) SEMI(S).    { A = parse_stmt_over(ps, K, V, D, S); }
stmt(A) ::= STATE(K) IDENT(N) state_idx(I) state_init(E) SEMI(S).
                                             { A = parse_stmt_state(ps, K, N, I, E, S); }
stmt(A) ::= IDENT(N) LBRACKET idxs(I) RBRACKET ASSIGN expr(E) SEMI(S).
                                             { A = parse_stmt_output(ps, N, I, E, S); }
stmt(A) ::= RESET(K) IDENT(N) AT IDENT(P) SEMI(S).   { A = parse_stmt_reset(ps, K, N, P, S); }

state_idx(A) ::= .                           { memset(&A, 0, sizeof A); }
state_idx(A) ::= LBRACKET idxs(I) RBRACKET.  { A = I; }
state_init(A) ::= .                          { A = NULL; }
state_init(A) ::= ASSIGN expr(E).            { A = E; }
idxs(A) ::= idx(I).                          { memset(&A, 0, sizeof A); A = parse_push(ps, A, I); }
idxs(A) ::= idxs(L) COMMA idx(I).            { A = parse_push(ps, L, I); }
idx(A) ::= IDENT(N).                         { A = parse_index_binding(ps, N, NULL); }
idx(A) ::= IDENT(N) IN IDENT(D).             { A = parse_index_binding(ps, N, &D); }

// ------------------------------------------------------------- expressions

expr(A) ::= expr(C) QUESTION expr(T) COLON expr(F). [QUESTION] { A = parse_cond(ps, C, T, F); }
expr(A) ::= expr(L) OROR expr(R).            { A = parse_binary(ps, OP_OR, L, R); }
expr(A) ::= expr(L) ANDAND expr(R).          { A = parse_binary(ps, OP_AND, L, R); }
expr(A) ::= expr(L) EQ expr(R).              { A = parse_binary(ps, OP_EQ, L, R); }
expr(A) ::= expr(L) NE expr(R).              { A = parse_binary(ps, OP_NE, L, R); }
expr(A) ::= expr(L) LT expr(R).              { A = parse_binary(ps, OP_LT, L, R); }
expr(A) ::= expr(L) LE expr(R).              { A = parse_binary(ps, OP_LE, L, R); }
expr(A) ::= expr(L) GT expr(R).              { A = parse_binary(ps, OP_GT, L, R); }
expr(A) ::= expr(L) GE expr(R).              { A = parse_binary(ps, OP_GE, L, R); }
expr(A) ::= expr(L) PIPE expr(R).            { A = parse_binary(ps, OP_BITOR, L, R); }
expr(A) ::= expr(L) CARET expr(R).           { A = parse_binary(ps, OP_BITXOR, L, R); }
expr(A) ::= expr(L) AMP expr(R).             { A = parse_binary(ps, OP_BITAND, L, R); }
expr(A) ::= expr(L) SHL expr(R).             { A = parse_binary(ps, OP_SHL, L, R); }
expr(A) ::= expr(L) SHR expr(R).             { A = parse_binary(ps, OP_SHR, L, R); }
expr(A) ::= expr(L) PLUS expr(R).            { A = parse_binary(ps, OP_ADD, L, R); }
expr(A) ::= expr(L) MINUS expr(R).           { A = parse_binary(ps, OP_SUB, L, R); }
expr(A) ::= expr(L) STAR expr(R).            { A = parse_binary(ps, OP_MUL, L, R); }
expr(A) ::= expr(L) SLASH expr(R).           { A = parse_binary(ps, OP_DIV, L, R); }
expr(A) ::= expr(L) PERCENT expr(R).         { A = parse_binary(ps, OP_MOD, L, R); }
expr(A) ::= unary(U).                        { A = U; }

unary(A) ::= postfix(P).                     { A = P; }
unary(A) ::= MINUS(O) unary(E).              { A = parse_unary(ps, OP_NEG, O, E); }
unary(A) ::= NOT(O) unary(E).                { A = parse_unary(ps, OP_NOT, O, E); }
unary(A) ::= TILDE(O) unary(E).              { A = parse_unary(ps, OP_BITNOT, O, E); }

postfix(A) ::= primary(P).                   { A = P; }
postfix(A) ::= postfix(F) LPAREN args(X) RPAREN(R).       { A = parse_call(ps, F, X, R); }
postfix(A) ::= postfix(B) LBRACKET arglist(X) RBRACKET(R). { A = parse_index(ps, B, X, R); }
postfix(A) ::= postfix(B) DOT IDENT(N).      { A = parse_member(ps, B, N); }

primary(A) ::= INT(T).                       { A = parse_int(ps, T); }
primary(A) ::= FLOAT(T).                     { A = parse_float(ps, T); }
primary(A) ::= TRUE(T).                      { A = parse_bool(ps, T, true); }
primary(A) ::= FALSE(T).                     { A = parse_bool(ps, T, false); }
primary(A) ::= INF(T).                       { A = parse_inf(ps, T); }
primary(A) ::= IDENT(T).                     { A = parse_name(ps, T); }
primary(A) ::= SCORE(T).                     { A = parse_name(ps, T); }
primary(A) ::= LPAREN(L) expr(E) RPAREN(R).  { A = parse_paren(ps, L, E, R); }
primary(A) ::= MAX(K) LPAREN args(X) RPAREN(R). { A = parse_keyword_call(ps, K, X, R); }
primary(A) ::= MIN(K) LPAREN args(X) RPAREN(R). { A = parse_keyword_call(ps, K, X, R); }
primary(A) ::= F32(K) LPAREN args(X) RPAREN(R). { A = parse_keyword_call(ps, K, X, R); }
primary(A) ::= I32(K) LPAREN args(X) RPAREN(R). { A = parse_keyword_call(ps, K, X, R); }
primary(A) ::= SUM(K) LPAREN IDENT(V) COMMA expr(E) RPAREN(R).
                                             { A = parse_reduce(ps, K, V, NULL, E, R); }
primary(A) ::= SUM(K) LPAREN IDENT(V) IN IDENT(D) COMMA expr(E) RPAREN(R).
                                             { A = parse_reduce(ps, K, V, &D, E, R); }
primary(A) ::= MAX(K) LPAREN IDENT(V) IN IDENT(D) COMMA expr(E) RPAREN(R).
                                             { A = parse_reduce(ps, K, V, &D, E, R); }
primary(A) ::= MIN(K) LPAREN IDENT(V) IN IDENT(D) COMMA expr(E) RPAREN(R).
                                             { A = parse_reduce(ps, K, V, &D, E, R); }

args(A) ::= .                                { memset(&A, 0, sizeof A); }
args(A) ::= arglist(L).                      { A = L; }
arglist(A) ::= expr(E).                      { memset(&A, 0, sizeof A); A = parse_push(ps, A, E); }
arglist(A) ::= arglist(L) COMMA expr(E).     { A = parse_push(ps, L, E); }

// ----------------------------------------------------- error reporting

%code {
_Static_assert(YYNTOKEN <= PARSE_MAX_TOKENS, "raise PARSE_MAX_TOKENS");
_Static_assert(YYSTACKDEPTH >= 8 * ATTN_MAX_NESTING,
               "the parser stack must hold any expression of legal depth");

size_t parse_lalr_size(void) { return sizeof(yyParser); }

/* Whether the parser, in the state of stack p, would shift terminal `tok`
 * (possibly after reductions). The reductions are simulated on a small
 * overlay above the real stack, which is only read. */
static bool parse_accepts(const yyParser *p, int tok)
{
    enum { OVERLAY = 64 };
    YYACTIONTYPE over[OVERLAY];
    int nover = 0;
    int base = (int)(p->yytos - p->yystack); /* real entries [0, base] in use */
    for (int steps = 0; steps < 10000; steps++) {
        YYACTIONTYPE state = nover ? over[nover - 1] : p->yystack[base].stateno;
        YYACTIONTYPE act = yy_find_shift_action((YYCODETYPE)tok, state);
        if (act <= YY_MAX_SHIFTREDUCE || act == YY_ACCEPT_ACTION)
            return true;
        if (act < YY_MIN_REDUCE)
            return false; /* YY_ERROR_ACTION / YY_NO_ACTION */
        int rule = act - YY_MIN_REDUCE;
        int pop = -yyRuleInfoNRhs[rule];
        int from_over = pop < nover ? pop : nover;
        nover -= from_over;
        base -= pop - from_over;
        if (base < 0 || nover == OVERLAY)
            return false;
        YYACTIONTYPE below = nover ? over[nover - 1] : p->yystack[base].stateno;
        over[nover++] = yy_find_reduce_action(below, yyRuleInfoLhs[rule]);
    }
    return false;
}

static void parse_expected(struct yyParser *p, bool *set)
{
    for (int tok = 0; tok < YYNTOKEN; tok++)
        set[tok] = parse_accepts(p, tok);
}

bool parse_lalr_accepts(void *parser, int kind) { return parse_accepts(parser, kind); }

bool parse_lalr_reject(void *parser, ParseState *ps, bool may_insert_semi)
{
    bool expected[PARSE_MAX_TOKENS];
    parse_expected(parser, expected);
    return parse_syntax_error(ps, expected, YYNTOKEN, may_insert_semi);
}
}
