/* compilation.c - lifetime of a Compilation; see compiler.h. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler.h"

#ifndef ATTN_STDLIB_DIR
#define ATTN_STDLIB_DIR "stdlib"
#endif

/* An installed attnc's standard library: <bin>/../share/attnc/stdlib next
 * to the running executable, when it holds std/; else NULL. */
static const char *compilation_installed_stdlib(Arena *a)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return NULL;
    *slash = '\0';
    char *dir = arena_printf(a, "%s/../share/attnc/stdlib", exe);
    struct stat st;
    return stat(arena_printf(a, "%s/std", dir), &st) == 0 && S_ISDIR(st.st_mode) ? dir : NULL;
}

void compilation_init(Compilation *c, FILE *diag_out)
{
    memset(c, 0, sizeof *c);
    arena_init(&c->arena);
    source_set_init(&c->sources);
    diag_init(&c->diags, &c->sources, diag_out);
    const char *env = getenv("ATTN_STDLIB");
    const char *installed = env && *env ? NULL : compilation_installed_stdlib(&c->arena);
    c->stdlib_dir = env && *env ? env : installed ? installed : ATTN_STDLIB_DIR;
}

void compilation_free(Compilation *c)
{
    arena_free(&c->arena);
    source_set_free(&c->sources);
}

void compilation_add_include(Compilation *c, const char *dir)
{
    const char **dirs = arena_alloc(&c->arena, (size_t)(c->ninclude + 1) * sizeof *dirs);
    if (c->ninclude)
        memcpy(dirs, c->include_dirs, (size_t)c->ninclude * sizeof *dirs);
    dirs[c->ninclude++] = dir;
    c->include_dirs = dirs;
}

Decl *module_find(const Module *m, const char *name)
{
    for (int i = 0; i < m->ndecls; i++)
        if (m->decls[i]->name && strcmp(m->decls[i]->name, name) == 0)
            return m->decls[i];
    return NULL;
}
