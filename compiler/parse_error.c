/* parse_error.c - phrasing syntax errors from the set of acceptable tokens.
 *
 * parser.y computes which terminals the parser would accept in the state
 * where it failed. Groups of them are named by what they start ("expression",
 * "declaration", "type", "statement"); operators that could merely extend a
 * complete expression are left out, so `f(a b` says "expected ')' or ','".
 * A missing ';' before a token on a later line (or a declaration keyword,
 * a '}', or the end of the file) is reported clang-style right after the
 * previous token ("expected ';' after mask definition") and parse.c inserts
 * it, so the declaration is kept and no follow-on error appears. */
#include <stdio.h>
#include <string.h>

#include "parse.h"
#include "parser.h"

/* A named group of terminals, reported as one word when all are acceptable. */
typedef struct TokenGroup {
    const char *name;
    int tokens[20];  /* zero-terminated */
} TokenGroup;

static const TokenGroup parse_groups[] = {
    {"expression", {TK_IDENT, TK_INT, TK_FLOAT, TK_TRUE, TK_FALSE, TK_INF, TK_LPAREN, TK_MINUS,
                    TK_NOT, TK_TILDE, TK_SUM, TK_MAX, TK_MIN, TK_SCORE, TK_F32, TK_I32}},
    {"declaration", {TK_IMPORT, TK_CONST, TK_FN, TK_MASK, TK_SCORE, TK_ATTENTION, TK_SCAN}},
    {"type", {TK_BOOL, TK_I32, TK_F32, TK_F16, TK_BF16, TK_PACK}},
    {"statement", {TK_LET, TK_IDENT, TK_MASK, TK_SCORE, TK_OVER, TK_STATE, TK_RESET}},
};

/* Tokens that only continue an expression (binary operators, postfix). */
static const int parse_continuations[] = {
    TK_QUESTION, TK_OROR, TK_ANDAND, TK_EQ, TK_NE, TK_LT, TK_LE, TK_GT, TK_GE, TK_PIPE,
    TK_CARET, TK_AMP, TK_SHL, TK_SHR, TK_PLUS, TK_MINUS, TK_STAR, TK_SLASH, TK_PERCENT,
    TK_LPAREN, TK_LBRACKET, TK_DOT,
};

static bool parse_is_comparison(int tk)
{
    return tk == TK_EQ || tk == TK_NE || tk == TK_LT || tk == TK_LE || tk == TK_GT || tk == TK_GE;
}

static bool parse_starts_decl(int tk)
{
    return tk == TK_IMPORT || tk == TK_CONST || tk == TK_FN || tk == TK_MASK ||
           tk == TK_SCORE || tk == TK_ATTENTION || tk == TK_SCAN;
}

/* What the current declaration is called in "expected ';' after ...". */
static const char *parse_construct(const ParseState *ps)
{
    if (ps->brace_depth > 0)
        return "statement";
    switch (ps->decl_kind) {
    case TK_IMPORT: return "import";
    case TK_CONST: return "const definition";
    case TK_FN: return "fn definition";
    case TK_MASK: return "mask definition";
    case TK_SCORE: return "score definition";
    default: return "statement";
    }
}

/* Appends `s` to the message list being built (`out`, capacity cap). */
static void parse_list_add(const char **items, int *n, int cap, const char *s)
{
    if (*n < cap)
        items[(*n)++] = s;
}

/* Fills items with the names of what `set` accepts; returns how many. */
static int parse_describe(bool *set, int nterm, const char **items, int cap)
{
    int n = 0;
    for (size_t g = 0; g < sizeof parse_groups / sizeof parse_groups[0]; g++) {
        const int *t = parse_groups[g].tokens;
        bool all = true;
        for (int i = 0; t[i]; i++)
            all = all && set[t[i]];
        if (!all)
            continue;
        parse_list_add(items, &n, cap, parse_groups[g].name);
        for (int i = 0; t[i]; i++)
            set[t[i]] = false;
        if (g == 1)
            set[0] = false; /* "declaration" covers the end of the file */
    }
    if (set[TK_PLUS] && set[TK_STAR]) {
        for (size_t i = 0; i < sizeof parse_continuations / sizeof parse_continuations[0]; i++)
            set[parse_continuations[i]] = false;
    }
    for (int tk = 0; tk < nterm; tk++)
        if (set[tk])
            parse_list_add(items, &n, cap, lex_token_name(tk));
    return n;
}

/* "A", "A or B", "A, B or C". */
static void parse_join(char *buf, size_t size, const char **items, int n)
{
    size_t len = 0;
    buf[0] = 0;
    for (int i = 0; i < n && len < size; i++) {
        const char *sep = i == 0 ? "" : i == n - 1 ? " or " : ", ";
        len += (size_t)snprintf(buf + len, size - len, "%s%s", sep, items[i]);
    }
}

Span parse_after_prev(const ParseState *ps)
{
    Span at = ps->prev.span;
    at.off += at.len;
    at.col += (int32_t)at.len;
    at.len = 0;
    return at;
}

bool parse_syntax_error(ParseState *ps, const bool *expected, int nterm, bool may_insert_semi)
{
    Diags *d = &ps->c->diags;
    const Token *found = &ps->cur;
    bool starts_anew = found->kind == 0 || found->kind == TK_RBRACE ||
                       found->span.line > ps->prev.span.line || parse_starts_decl(found->kind);
    if (may_insert_semi && expected[TK_SEMI] && ps->prev.len && starts_anew && !ps->quiet) {
        diag_error(d, parse_after_prev(ps), "expected ';' after %s", parse_construct(ps));
        return true;
    }
    ps->failed = true;
    if (ps->quiet)
        return false;
    if (parse_is_comparison(found->kind) && expected[TK_ANDAND] && !expected[found->kind]) {
        diag_error(d, found->span, "comparison operators cannot be chained; use '&&'");
        return false;
    }

    bool set[PARSE_MAX_TOKENS];
    memcpy(set, expected, (size_t)nterm * sizeof *set);
    const char *items[8];
    int n = parse_describe(set, nterm, items, 8);
    char what[256];
    parse_join(what, sizeof what, items, n);
    if (found->kind == 0)
        diag_error(d, found->span, "expected %s, found end of file", what);
    else
        diag_error(d, found->span, "expected %s, found '%.*s'", what,
                   found->len > 40 ? 40 : (int)found->len, found->text);
    return false;
}

void parse_stack_overflow(ParseState *ps)
{
    if (!ps->failed)
        diag_error(&ps->c->diags, ps->cur.span,
                   "expression is nested too deeply (more than %d levels)", ATTN_MAX_NESTING);
    ps->failed = true;
}
