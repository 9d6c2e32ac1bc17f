/* diag.h - source files and diagnostics (LANGUAGE.md section 6).
 *
 * Every diagnostic is printed as
 *     FILE:LINE:COL: error: MESSAGE
 *     <the source line>
 *     <spaces>^~~~~
 * with the caret under the first byte of the span and '~' under the rest of
 * the span on that line. Lines and columns are 1-based; columns count bytes
 * (tabs in the source line are reproduced in the caret line so it aligns).
 * After DIAG_MAX_ERRORS errors further errors are counted but not printed,
 * and one final line says so: output stays bounded on any input. */
#ifndef ATTN_DIAG_H
#define ATTN_DIAG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "arena.h"

enum { DIAG_MAX_ERRORS = 50 };

typedef struct Span {
    int32_t file;      /* index into SourceSet.files; -1 = no location */
    uint32_t off;      /* byte offset of the first byte */
    uint32_t len;      /* length in bytes (0 allowed: points at `off`) */
    int32_t line, col; /* 1-based position of `off` */
} Span;

typedef struct SourceFile {
    char *path;        /* as given / as resolved, used in messages */
    char *text;        /* NUL-terminated contents */
    uint32_t len;
} SourceFile;

typedef struct SourceSet {
    SourceFile **files;
    int nfiles, cap;
} SourceSet;

typedef struct Diags {
    SourceSet *sources;
    FILE *out;           /* where messages go (stderr by default) */
    int errors, warnings;
    int suppressed;      /* errors not printed past DIAG_MAX_ERRORS */
    bool werror;         /* treat warnings as errors */
    bool last_printed;   /* whether the latest error/warning was shown (for notes) */
} Diags;

void source_set_init(SourceSet *s);
void source_set_free(SourceSet *s);
/* Reads PATH into the set; returns its index, or -1 with *err set to a
 * static/strerror message. A file is read once: a second call with the same
 * canonical path returns the first index. */
int  source_load(SourceSet *s, const char *path, const char **err);
/* Adds an in-memory buffer (copied); returns its index. */
int  source_add(SourceSet *s, const char *path, const char *text, size_t len);
SourceFile *source_get(SourceSet *s, int file);

void diag_init(Diags *d, SourceSet *s, FILE *out);
void diag_error(Diags *d, Span at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_warning(Diags *d, Span at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A note attached to the previous diagnostic (e.g. "previous definition is here");
 * printed only if that diagnostic was printed. */
void diag_note(Diags *d, Span at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prints the "too many errors" trailer if errors were suppressed. Call once at the end. */
void diag_finish(Diags *d);

/* A span covering a through b (same file, b after a). */
Span span_join(Span a, Span b);

#endif
