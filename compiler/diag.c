/* diag.c - source loading and gcc/clang-style diagnostics; see diag.h. */
#include "diag.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

void source_set_init(SourceSet *s) { s->files = NULL; s->nfiles = s->cap = 0; }

void source_set_free(SourceSet *s)
{
    for (int i = 0; i < s->nfiles; i++) {
        free(s->files[i]->path);
        free(s->files[i]->text);
        free(s->files[i]);
    }
    free(s->files);
    source_set_init(s);
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fprintf(stderr, "attnc: out of memory\n");
        abort();
    }
    return q;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xrealloc(NULL, n), s, n);
}

int source_add(SourceSet *s, const char *path, const char *text, size_t len)
{
    /* A UTF-8 byte order mark is not part of the program (columns count from
     * the character after it, as editors show them). */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        len -= 3;
    }
    if (s->nfiles == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 8;
        s->files = xrealloc(s->files, (size_t)s->cap * sizeof *s->files);
    }
    SourceFile *f = xrealloc(NULL, sizeof *f);
    f->path = xstrdup(path);
    f->text = xrealloc(NULL, len + 1);
    memcpy(f->text, text, len);
    f->text[len] = 0;
    f->len = (uint32_t)len;
    s->files[s->nfiles] = f;
    return s->nfiles++;
}

int source_load(SourceSet *s, const char *path, const char **err)
{
    char real[PATH_MAX];
    const char *key = realpath(path, real) ? real : path;
    for (int i = 0; i < s->nfiles; i++) {
        char other[PATH_MAX];
        const char *okey = realpath(s->files[i]->path, other) ? other : s->files[i]->path;
        if (strcmp(key, okey) == 0)
            return i;
    }
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        *err = strerror(errno);
        return -1;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (cap - len < 65536) {
            cap = cap ? cap * 2 : 65536;
            if (cap > (size_t)UINT32_MAX) {
                free(buf);
                fclose(fp);
                *err = "file too large (4 GiB at most)";
                return -1;
            }
            buf = xrealloc(buf, cap);
        }
        size_t n = fread(buf + len, 1, cap - len, fp);
        len += n;
        if (n == 0)
            break;
    }
    bool failed = ferror(fp);
    fclose(fp);
    if (failed) {
        free(buf);
        *err = "read error";
        return -1;
    }
    int id = source_add(s, path, buf ? buf : "", len);
    free(buf);
    return id;
}

SourceFile *source_get(SourceSet *s, int file)
{
    return file >= 0 && file < s->nfiles ? s->files[file] : NULL;
}

void diag_init(Diags *d, SourceSet *s, FILE *out)
{
    memset(d, 0, sizeof *d);
    d->sources = s;
    d->out = out ? out : stderr;
}

Span span_join(Span a, Span b)
{
    if (a.file != b.file || b.off + b.len < a.off)
        return a;
    a.len = b.off + b.len - a.off;
    return a;
}

/* Prints the source line holding `at` and a caret line under the span. */
static void print_excerpt(Diags *d, Span at)
{
    SourceFile *f = source_get(d->sources, at.file);
    if (!f || at.off > f->len)
        return;
    uint32_t bol = at.off;
    while (bol > 0 && f->text[bol - 1] != '\n')
        bol--;
    uint32_t eol = at.off;
    while (eol < f->len && f->text[eol] != '\n' && f->text[eol] != '\r')
        eol++;
    /* Very long lines (minified garbage) are cut around the caret. */
    enum { MAX_SHOWN = 512 };
    uint32_t from = bol;
    if (at.off - bol > MAX_SHOWN / 2)
        from = at.off - MAX_SHOWN / 2;
    uint32_t to = eol - from > MAX_SHOWN ? from + MAX_SHOWN : eol;
    for (uint32_t i = from; i < to; i++) {
        unsigned char c = (unsigned char)f->text[i];
        fputc(c == 0 ? ' ' : c, d->out);
    }
    fputc('\n', d->out);
    for (uint32_t i = from; i < at.off; i++)
        fputc(f->text[i] == '\t' ? '\t' : ' ', d->out);
    fputc('^', d->out);
    uint32_t end = at.off + (at.len ? at.len : 1);
    if (end > to)
        end = to;
    for (uint32_t i = at.off + 1; i < end; i++)
        fputc('~', d->out);
    fputc('\n', d->out);
}

static void report(Diags *d, Span at, const char *kind, const char *fmt, va_list ap)
{
    SourceFile *f = source_get(d->sources, at.file);
    if (f)
        fprintf(d->out, "%s:%d:%d: %s: ", f->path, at.line, at.col, kind);
    else
        fprintf(d->out, "attnc: %s: ", kind);
    vfprintf(d->out, fmt, ap);
    fputc('\n', d->out);
    if (f)
        print_excerpt(d, at);
}

void diag_error(Diags *d, Span at, const char *fmt, ...)
{
    d->errors++;
    d->last_printed = d->errors <= DIAG_MAX_ERRORS;
    if (!d->last_printed) {
        d->suppressed++;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    report(d, at, "error", fmt, ap);
    va_end(ap);
}

void diag_warning(Diags *d, Span at, const char *fmt, ...)
{
    if (d->werror) {
        d->errors++;
        d->last_printed = d->errors <= DIAG_MAX_ERRORS;
    } else {
        d->warnings++;
        d->last_printed = d->errors <= DIAG_MAX_ERRORS;
    }
    if (!d->last_printed) {
        d->suppressed += d->werror;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    report(d, at, d->werror ? "error" : "warning", fmt, ap);
    va_end(ap);
}

void diag_note(Diags *d, Span at, const char *fmt, ...)
{
    if (!d->last_printed)
        return;
    va_list ap;
    va_start(ap, fmt);
    report(d, at, "note", fmt, ap);
    va_end(ap);
}

void diag_finish(Diags *d)
{
    if (d->suppressed)
        fprintf(d->out, "attnc: %d more error%s not shown (stopped after %d)\n", d->suppressed,
                d->suppressed == 1 ? "" : "s", DIAG_MAX_ERRORS);
}
