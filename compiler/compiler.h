/* compiler.h - the front end's entry points: one Compilation per run.
 *
 *   Compilation c;
 *   compilation_init(&c, stderr);
 *   Module *m = compile_file(&c, "x.attn");   // parse + imports + sema
 *   if (c.diags.errors == 0) { ... use m ... }
 *   diag_finish(&c.diags);
 *   compilation_free(&c);
 */
#ifndef ATTN_COMPILER_H
#define ATTN_COMPILER_H

#include <stdbool.h>
#include <stdio.h>

#include "ast.h"

/* Nesting limit for expressions and blocks; deeper input is a diagnostic,
 * which keeps every recursive pass far from the C stack limit. */
enum { ATTN_MAX_NESTING = 256 };

void compilation_init(Compilation *c, FILE *diag_out);
void compilation_free(Compilation *c);
/* Adds a -I directory (the string must outlive the compilation). */
void compilation_add_include(Compilation *c, const char *dir);

/* parse.c: parses source file `file` (already in c->sources) into a new
 * Module. Syntax errors go to c->diags; the parser recovers at the next
 * declaration, so the Module holds every declaration that parsed. Never NULL. */
Module *parse_module(Compilation *c, int file);

/* sema.c: semantic analysis of every loaded module (c->modules, whose
 * imports are already resolved to Module pointers by load.c). Fills the
 * "sema:" fields of ast.h and reports through c->diags. Returns true when no
 * error was reported. */
bool sema_run(Compilation *c, Module *main);

/* load.c: loads PATH, its imports (recursively, cycles diagnosed) and runs
 * semantic analysis over all of them. Returns the main module, or NULL when
 * PATH cannot be read (diagnosed). Check c->diags.errors afterwards. */
Module *compile_file(Compilation *c, const char *path);
/* The same for an in-memory buffer named `path` (imports resolve relative to
 * path's directory). */
Module *compile_buffer(Compilation *c, const char *path, const char *text, size_t len);

/* Looks up a declaration by name in module m (its own declarations only). */
Decl *module_find(const Module *m, const char *name);

#endif
