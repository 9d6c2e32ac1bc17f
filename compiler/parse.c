/* parse.c - parse_module: drives the lexer and the Lemon parser over a file.
 *
 * Approach: tokens are pulled from the re2c lexer one at a time and pushed
 * into the LALR(1) parser generated from grammar/parser.y, whose actions
 * build the AST and add each declaration to the module as soon as it is
 * complete. On a syntax error the parser reports what it expected
 * (parse_error.c) and marks itself failed. The driver then skips tokens up
 * to the next declaration keyword at brace depth 0 (`import const fn
 * attention scan` anywhere, since they never occur inside a body) and starts
 * a fresh parser there: every declaration that parses is kept and each
 * independent syntax error is reported. Lexical errors are reported by the
 * lexer, which skips the offending bytes; a syntax error that follows one in
 * the same declaration is a likely consequence and is not reported. Lemon's stack is bounded; running
 * out of it means the input nests too deeply, which is reported the same way. */
#include "parse.h"
#include "parser.h"

/* Whether a failed parse can restart at token `kind`. */
static bool parse_is_restart(const ParseState *ps, int kind)
{
    switch (kind) {
    case TK_IMPORT: case TK_CONST: case TK_FN: case TK_ATTENTION: case TK_SCAN:
        return true;
    case TK_MASK: case TK_SCORE:
        return ps->brace_depth == 0 && ps->group_depth == 0;
    default:
        return false;
    }
}

/* Counts the declaration a failed parser leaves unfinished. */
static void parse_abandon(ParseState *ps)
{
    if (ps->in_decl)
        ps->dropped++;
    ps->in_decl = ps->poisoned = false;
}

static void parse_restart(ParseState *ps, void *parser)
{
    parse_abandon(ps);
    parse_lalrFinalize(parser);
    parse_lalrInit(parser, ps);
    ps->failed = false;
    ps->brace_depth = 0;
    ps->group_depth = 0;
    ps->prev.len = 0;
    ps->quiet = false;
}

/* Shifts ps->cur if the parser accepts it, else reports a syntax error
 * (computed before any reduction, so the expected set is complete) and
 * either inserts a missing ';' or leaves the parser failed. */
static void parse_shift(ParseState *ps, void *parser)
{
    bool ok = parse_lalr_accepts(parser, ps->cur.kind);
    if (!ok && parse_lalr_reject(parser, ps, true)) {
        Token semi = {.kind = TK_SEMI, .text = ";", .span = parse_after_prev(ps)};
        parse_lalr(parser, TK_SEMI, semi);
        ok = parse_lalr_accepts(parser, ps->cur.kind);
        if (!ok)
            parse_lalr_reject(parser, ps, false);
    }
    /* Fed even when rejected: the pending reductions complete the
     * declarations before the error (Lemon then fails quietly). */
    parse_lalr(parser, ps->cur.kind, ps->cur);
    if (ok && !ps->failed && ps->cur.kind != 0)
        ps->in_decl = true;
}

/* Feeds ps->cur to the parser, restarting a failed parser when the token
 * allows it. A fresh parser that rejects its first token stays failed. */
static void parse_feed(ParseState *ps, void *parser)
{
    bool fresh = false;
    if (ps->failed) {
        if (!parse_is_restart(ps, ps->cur.kind))
            return;
        parse_restart(ps, parser);
        fresh = true;
    }
    parse_shift(ps, parser);
    if (ps->failed && !fresh && parse_is_restart(ps, ps->cur.kind)) {
        parse_restart(ps, parser);
        parse_shift(ps, parser);
    }
}

/* Bookkeeping after a token: brace depth, the current declaration's keyword
 * and the previous token (for carets placed after it). */
static void parse_advance(ParseState *ps)
{
    int kind = ps->cur.kind;
    if (!ps->failed) {
        if (ps->brace_depth == 0 && parse_is_restart(ps, kind))
            ps->decl_kind = kind;
        ps->prev = ps->cur;
    }
    if (kind == TK_LBRACE)
        ps->brace_depth++;
    else if (kind == TK_RBRACE && ps->brace_depth > 0)
        ps->brace_depth--;
    else if (kind == TK_LPAREN || kind == TK_LBRACKET)
        ps->group_depth++;
    else if ((kind == TK_RPAREN || kind == TK_RBRACKET) && ps->group_depth > 0)
        ps->group_depth--;
}

Module *parse_module(Compilation *c, int file)
{
    SourceFile *src = source_get(&c->sources, file);
    Module *m = arena_alloc(&c->arena, sizeof *m);
    m->path = src->path;
    m->file = file;

    ParseState ps = {.c = c, .arena = &c->arena, .mod = m};
    void *parser = arena_alloc(&c->arena, parse_lalr_size());
    parse_lalrInit(parser, &ps);
    Lexer lx;
    lex_init(&lx, &c->diags, file, src);
    do {
        int errors = c->diags.errors;
        lex_next(&lx, &ps.cur);
        ps.quiet |= c->diags.errors > errors;
        parse_feed(&ps, parser);
        parse_advance(&ps);
    } while (ps.cur.kind != 0);
    if (ps.failed)
        parse_abandon(&ps);
    parse_lalrFinalize(parser);

    m->ndropped = ps.dropped;
    m->decls = (Decl **)ps.decls.items;
    m->ndecls = ps.decls.len;
    return m;
}
