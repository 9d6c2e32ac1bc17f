/* lexer.re - the .attn scanner (LANGUAGE.md section 2); see lex.h.
 *
 * re2c turns each scanner block below into a DFA over bytes. The input is the
 * NUL-terminated source text; re2c:eof makes the terminating NUL an end
 * marker only at the limit, so NUL bytes inside the file are ordinary
 * (invalid) characters. Columns are computed from the start of the current
 * line, which the scanner tracks at every newline. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lex.h"
#include "parser.h"

void lex_init(Lexer *lx, Diags *diags, int file, const SourceFile *src)
{
    lx->diags = diags;
    lx->file = file;
    lx->text = src->text;
    lx->cur = src->text;
    lx->limit = src->text + src->len;
    lx->line_start = src->text;
    lx->line = 1;
}

static void lex_newline(Lexer *lx, const unsigned char *next_line)
{
    lx->line++;
    lx->line_start = (const char *)next_line;
}

/* The span of bytes [start, end) on the current line. */
static Span lex_span(const Lexer *lx, const unsigned char *start, const unsigned char *end)
{
    const char *s = (const char *)start;
    Span sp = {lx->file, (uint32_t)(s - lx->text), (uint32_t)(end - start), lx->line,
               (int32_t)(s - lx->line_start) + 1};
    return sp;
}

/* Fills *tok with the lexeme [start, end) and returns its kind. */
static int lex_token(Lexer *lx, Token *tok, int kind, const unsigned char *start,
                     const unsigned char *end)
{
    memset(tok, 0, sizeof *tok);
    tok->kind = kind;
    tok->text = (const char *)start;
    tok->len = (uint32_t)(end - start);
    tok->span = lex_span(lx, start, end);
    lx->cur = (const char *)end;
    return kind;
}

/* Value of a decimal or hexadecimal integer lexeme (underscores between
 * digits); anything above 2^31-1 is an error and reads as 0. */
static int64_t lex_int_value(Lexer *lx, const Token *tok)
{
    const char *p = tok->text, *end = tok->text + tok->len;
    int base = 10;
    if (tok->len > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    int64_t v = 0;
    for (; p < end; p++) {
        if (*p == '_')
            continue;
        int d = *p <= '9' ? *p - '0' : (*p | 0x20) - 'a' + 10;
        v = v * base + d;
        if (v > INT32_MAX) {
            diag_error(lx->diags, tok->span, "integer literal is too large");
            return 0;
        }
    }
    return v;
}

/* Value of a floating-point lexeme (digits with '_' separators, optional
 * exponent and 'f' suffix). */
static double lex_float_value(Lexer *lx, const Token *tok)
{
    char buf[128];
    size_t n = 0;
    for (uint32_t i = 0; i < tok->len; i++) {
        char ch = tok->text[i];
        if (ch == '_' || ch == 'f' || ch == 'F')
            continue;
        if (n + 1 == sizeof buf) {
            diag_error(lx->diags, tok->span, "floating-point literal is too long");
            return 0;
        }
        buf[n++] = ch;
    }
    buf[n] = 0;
    double v = strtod(buf, NULL);
    if (isinf(v)) {
        diag_error(lx->diags, tok->span, "floating-point literal is too large");
        return 0;
    }
    return v;
}

/* Reports the byte at `start`, which cannot begin a token. */
static void lex_invalid_char(Lexer *lx, const unsigned char *start, const unsigned char *end)
{
    Span sp = lex_span(lx, start, end);
    if (*start > 0x20 && *start < 0x7f)
        diag_error(lx->diags, sp, "invalid character '%c'", *start);
    else
        diag_error(lx->diags, sp, "invalid character '\\x%02X'", *start);
}

/* Skips a block comment whose opening slash-star ends at lx->cur. An
 * unterminated comment is reported at its start (`open`). */
static void lex_block_comment(Lexer *lx, Span open)
{
    const unsigned char *cur = (const unsigned char *)lx->cur;
    const unsigned char *lim = (const unsigned char *)lx->limit;
    for (;;) {
        /*!re2c
            re2c:define:YYCTYPE = "unsigned char";
            re2c:define:YYCURSOR = cur;
            re2c:define:YYLIMIT = lim;
            re2c:yyfill:enable = 0;
            re2c:eof = 0;

            "*" "/"     { lx->cur = (const char *)cur; return; }
            "\n"        { lex_newline(lx, cur); continue; }
            [^*\n]+     { continue; }
            *           { continue; }
            $           {
                lx->cur = (const char *)cur;
                diag_error(lx->diags, open, "unterminated comment");
                return;
            }
        */
    }
}

int lex_next(Lexer *lx, Token *tok)
{
    const unsigned char *cur = (const unsigned char *)lx->cur;
    const unsigned char *lim = (const unsigned char *)lx->limit;
    const unsigned char *mar = cur;
    for (;;) {
        const unsigned char *start = cur;
        /*!re2c
            re2c:define:YYCTYPE = "unsigned char";
            re2c:define:YYCURSOR = cur;
            re2c:define:YYMARKER = mar;
            re2c:define:YYLIMIT = lim;
            re2c:yyfill:enable = 0;
            re2c:eof = 0;

            digits = [0-9] ("_"? [0-9])*;
            hex    = "0" [xX] [0-9a-fA-F] ("_"? [0-9a-fA-F])*;
            exp    = [eE] [+-]? digits;
            float  = (digits "." digits? | "." digits) exp? [fF]? | digits exp [fF]?;
            ident  = [A-Za-z_] [A-Za-z0-9_]*;

            $                   { return lex_token(lx, tok, 0, start, cur); }
            [ \t\r\v\f]+        { continue; }
            "\n"                { lex_newline(lx, cur); continue; }
            "//" [^\n]*         { continue; }
            "/" "*"             {
                lx->cur = (const char *)cur;
                lex_block_comment(lx, lex_span(lx, start, cur));
                cur = (const unsigned char *)lx->cur;
                continue;
            }

            "import"     { return lex_token(lx, tok, TK_IMPORT, start, cur); }
            "const"      { return lex_token(lx, tok, TK_CONST, start, cur); }
            "fn"         { return lex_token(lx, tok, TK_FN, start, cur); }
            "mask"       { return lex_token(lx, tok, TK_MASK, start, cur); }
            "score"      { return lex_token(lx, tok, TK_SCORE, start, cur); }
            "attention"  { return lex_token(lx, tok, TK_ATTENTION, start, cur); }
            "scan"       { return lex_token(lx, tok, TK_SCAN, start, cur); }
            "let"        { return lex_token(lx, tok, TK_LET, start, cur); }
            "pack"       { return lex_token(lx, tok, TK_PACK, start, cur); }
            "state"      { return lex_token(lx, tok, TK_STATE, start, cur); }
            "over"       { return lex_token(lx, tok, TK_OVER, start, cur); }
            "reset"      { return lex_token(lx, tok, TK_RESET, start, cur); }
            "at"         { return lex_token(lx, tok, TK_AT, start, cur); }
            "in"         { return lex_token(lx, tok, TK_IN, start, cur); }
            "sum"        { return lex_token(lx, tok, TK_SUM, start, cur); }
            "max"        { return lex_token(lx, tok, TK_MAX, start, cur); }
            "min"        { return lex_token(lx, tok, TK_MIN, start, cur); }
            "true"       { return lex_token(lx, tok, TK_TRUE, start, cur); }
            "false"      { return lex_token(lx, tok, TK_FALSE, start, cur); }
            "inf"        { return lex_token(lx, tok, TK_INF, start, cur); }
            "bool"       { return lex_token(lx, tok, TK_BOOL, start, cur); }
            "i32"        { return lex_token(lx, tok, TK_I32, start, cur); }
            "f32"        { return lex_token(lx, tok, TK_F32, start, cur); }
            "f16"        { return lex_token(lx, tok, TK_F16, start, cur); }
            "bf16"       { return lex_token(lx, tok, TK_BF16, start, cur); }
            ident        { return lex_token(lx, tok, TK_IDENT, start, cur); }

            digits | hex {
                lex_token(lx, tok, TK_INT, start, cur);
                tok->ival = lex_int_value(lx, tok);
                return TK_INT;
            }
            float {
                lex_token(lx, tok, TK_FLOAT, start, cur);
                tok->fval = lex_float_value(lx, tok);
                return TK_FLOAT;
            }
            [0-9] [0-9A-Za-z_]* ("." [0-9A-Za-z_]*)? {
                /* Reported, then read as the integer 0 so parsing goes on. */
                lex_token(lx, tok, TK_INT, start, cur);
                diag_error(lx->diags, tok->span, "invalid number '%.*s'", (int)tok->len, tok->text);
                return TK_INT;
            }
            ["] [^"\n]* ["] { return lex_token(lx, tok, TK_STRING, start, cur); }
            ["] [^"\n]*     {
                diag_error(lx->diags, lex_span(lx, start, start + 1), "unterminated string");
                continue;
            }

            "("  { return lex_token(lx, tok, TK_LPAREN, start, cur); }
            ")"  { return lex_token(lx, tok, TK_RPAREN, start, cur); }
            "["  { return lex_token(lx, tok, TK_LBRACKET, start, cur); }
            "]"  { return lex_token(lx, tok, TK_RBRACKET, start, cur); }
            "{"  { return lex_token(lx, tok, TK_LBRACE, start, cur); }
            "}"  { return lex_token(lx, tok, TK_RBRACE, start, cur); }
            ","  { return lex_token(lx, tok, TK_COMMA, start, cur); }
            ";"  { return lex_token(lx, tok, TK_SEMI, start, cur); }
            ":"  { return lex_token(lx, tok, TK_COLON, start, cur); }
            "."  { return lex_token(lx, tok, TK_DOT, start, cur); }
            "="  { return lex_token(lx, tok, TK_ASSIGN, start, cur); }
            "->" { return lex_token(lx, tok, TK_ARROW, start, cur); }
            "?"  { return lex_token(lx, tok, TK_QUESTION, start, cur); }
            "+"  { return lex_token(lx, tok, TK_PLUS, start, cur); }
            "-"  { return lex_token(lx, tok, TK_MINUS, start, cur); }
            "*"  { return lex_token(lx, tok, TK_STAR, start, cur); }
            "/"  { return lex_token(lx, tok, TK_SLASH, start, cur); }
            "%"  { return lex_token(lx, tok, TK_PERCENT, start, cur); }
            "!"  { return lex_token(lx, tok, TK_NOT, start, cur); }
            "~"  { return lex_token(lx, tok, TK_TILDE, start, cur); }
            "&"  { return lex_token(lx, tok, TK_AMP, start, cur); }
            "|"  { return lex_token(lx, tok, TK_PIPE, start, cur); }
            "^"  { return lex_token(lx, tok, TK_CARET, start, cur); }
            "<<" { return lex_token(lx, tok, TK_SHL, start, cur); }
            ">>" { return lex_token(lx, tok, TK_SHR, start, cur); }
            "&&" { return lex_token(lx, tok, TK_ANDAND, start, cur); }
            "||" { return lex_token(lx, tok, TK_OROR, start, cur); }
            "==" { return lex_token(lx, tok, TK_EQ, start, cur); }
            "!=" { return lex_token(lx, tok, TK_NE, start, cur); }
            "<"  { return lex_token(lx, tok, TK_LT, start, cur); }
            "<=" { return lex_token(lx, tok, TK_LE, start, cur); }
            ">"  { return lex_token(lx, tok, TK_GT, start, cur); }
            ">=" { return lex_token(lx, tok, TK_GE, start, cur); }

            [\x80-\xff]+ { lex_invalid_char(lx, start, cur); continue; }
            *            { lex_invalid_char(lx, start, cur); continue; }
        */
    }
}

/* Names of token kinds in messages, indexed by TK_* code. */
static const char *const lex_names[] = {
    [0] = "end of file",
    [TK_IDENT] = "identifier", [TK_INT] = "integer", [TK_FLOAT] = "number",
    [TK_STRING] = "string",
    [TK_IMPORT] = "'import'", [TK_CONST] = "'const'", [TK_FN] = "'fn'",
    [TK_MASK] = "'mask'", [TK_SCORE] = "'score'", [TK_ATTENTION] = "'attention'",
    [TK_SCAN] = "'scan'", [TK_LET] = "'let'", [TK_PACK] = "'pack'",
    [TK_STATE] = "'state'", [TK_OVER] = "'over'", [TK_RESET] = "'reset'",
    [TK_AT] = "'at'", [TK_IN] = "'in'", [TK_SUM] = "'sum'", [TK_MAX] = "'max'",
    [TK_MIN] = "'min'", [TK_TRUE] = "'true'", [TK_FALSE] = "'false'", [TK_INF] = "'inf'",
    [TK_BOOL] = "'bool'", [TK_I32] = "'i32'", [TK_F32] = "'f32'", [TK_F16] = "'f16'",
    [TK_BF16] = "'bf16'",
    [TK_LPAREN] = "'('", [TK_RPAREN] = "')'", [TK_LBRACKET] = "'['", [TK_RBRACKET] = "']'",
    [TK_LBRACE] = "'{'", [TK_RBRACE] = "'}'", [TK_COMMA] = "','", [TK_SEMI] = "';'",
    [TK_COLON] = "':'", [TK_DOT] = "'.'", [TK_ASSIGN] = "'='", [TK_ARROW] = "'->'",
    [TK_QUESTION] = "'?'", [TK_PLUS] = "'+'", [TK_MINUS] = "'-'", [TK_STAR] = "'*'",
    [TK_SLASH] = "'/'", [TK_PERCENT] = "'%'", [TK_NOT] = "'!'", [TK_TILDE] = "'~'",
    [TK_AMP] = "'&'", [TK_PIPE] = "'|'", [TK_CARET] = "'^'", [TK_SHL] = "'<<'",
    [TK_SHR] = "'>>'", [TK_ANDAND] = "'&&'", [TK_OROR] = "'||'", [TK_EQ] = "'=='",
    [TK_NE] = "'!='", [TK_LT] = "'<'", [TK_LE] = "'<='", [TK_GT] = "'>'", [TK_GE] = "'>='",
};

const char *lex_token_name(int kind)
{
    if (kind >= 0 && kind < (int)(sizeof lex_names / sizeof lex_names[0]) && lex_names[kind])
        return lex_names[kind];
    return "token";
}
