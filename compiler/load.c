/* load.c - compile_file / compile_buffer (compiler.h): load the main file,
 * resolve and load its imports recursively, then run semantic analysis
 * (unless a declaration or an import was lost to an error).
 *
 * Import resolution (LANGUAGE.md section 3):
 *   import std.masks;          <stdlib dir>/std/masks.attn, then DIR/std/masks.attn
 *                              for each -I DIR
 *   import "local/h.attn";     relative to the importing file's directory,
 *                              then DIR/local/h.attn for each -I DIR
 * A file is one Module however often it is imported (the source set
 * identifies files by canonical path). Modules on the current import chain
 * are marked `loading`; reaching one of them again is a cycle. */
#include <string.h>

#include "compiler.h"

typedef struct Loader {
    Compilation *c;
    PtrVec chain;  /* Module*: the import chain being loaded, outermost first */
    bool broken;   /* an import failed: its names would be reported unknown */
} Loader;

static Module *load_module(Loader *ld, int file);

/* The directory part of path including its final '/', or "" (arena string). */
static const char *load_dirname(Arena *a, const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? arena_strndup(a, path, (size_t)(slash - path + 1)) : "";
}

/* The name an import is qualified by: the last path component without
 * ".attn" (`masks` for std.masks, `helpers` for "local/helpers.attn"). */
static const char *load_alias(Arena *a, const ImportDecl *imp)
{
    if (imp->module) {
        const char *dot = strrchr(imp->module, '.');
        return dot ? dot + 1 : imp->module;
    }
    const char *base = strrchr(imp->path, '/');
    base = base ? base + 1 : imp->path;
    size_t n = strlen(base);
    if (n > 5 && strcmp(base + n - 5, ".attn") == 0)
        n -= 5;
    return arena_strndup(a, base, n);
}

/* Tries DIR + rel for each candidate directory; returns the file index or -1. */
static int load_search(Compilation *c, const char *first_dir, const char *rel)
{
    const char *err;
    if (first_dir) {
        int f = source_load(&c->sources, arena_printf(&c->arena, "%s%s", first_dir, rel), &err);
        if (f >= 0)
            return f;
    }
    for (int i = 0; i < c->ninclude; i++) {
        const char *dir = c->include_dirs[i];
        size_t n = strlen(dir);
        const char *sep = n && dir[n - 1] == '/' ? "" : "/";
        int f = source_load(&c->sources, arena_printf(&c->arena, "%s%s%s", dir, sep, rel), &err);
        if (f >= 0)
            return f;
    }
    return -1;
}

/* Resolves one import of module m to a source file index (diagnosed if
 * not found: -1). */
static int load_resolve(Compilation *c, const Module *m, const Decl *d)
{
    const ImportDecl *imp = &d->import;
    int f;
    if (imp->module) {
        char *rel = arena_printf(&c->arena, "%s.attn", imp->module);
        for (char *p = rel; p < rel + strlen(imp->module); p++)
            if (*p == '.')
                *p = '/';
        f = load_search(c, arena_printf(&c->arena, "%s/", c->stdlib_dir), rel);
        if (f < 0)
            diag_error(&c->diags, d->name_span, "cannot find module '%s'", imp->module);
    } else {
        const char *dir = imp->path[0] == '/' ? "" : load_dirname(&c->arena, m->path);
        f = load_search(c, dir, imp->path);
        if (f < 0)
            diag_error(&c->diags, d->name_span, "cannot find file '%s'", imp->path);
    }
    return f;
}

/* Reports the cycle closed by importing `target` from the innermost module
 * of the chain. */
static void load_cycle(Loader *ld, const Module *target, Span at)
{
    Compilation *c = ld->c;
    int from = 0;
    while (ld->chain.items[from] != target)
        from++;
    char *text = "";
    for (int i = from; i < ld->chain.len; i++)
        text = arena_printf(&c->arena, "%s%s -> ", text, ((Module *)ld->chain.items[i])->path);
    diag_error(&c->diags, at, "import cycle: %s%s", text, target->path);
}

static void load_imports(Loader *ld, Module *m)
{
    Compilation *c = ld->c;
    PtrVec imports = {0};
    for (int i = 0; i < m->ndecls; i++) {
        Decl *d = m->decls[i];
        if (d->kind != DECL_IMPORT)
            continue;
        d->import.alias = load_alias(&c->arena, &d->import);
        int f = load_resolve(c, m, d);
        if (f < 0) {
            ld->broken = true;
            continue;
        }
        Module *target = load_module(ld, f);
        if (target->loading) {
            load_cycle(ld, target, d->name_span);
            ld->broken = true;
            continue;
        }
        if (!target->alias)
            target->alias = d->import.alias;
        d->import.target = target;
        ptrvec_push(&c->arena, &imports, target);
    }
    m->imports = (Module **)imports.items;
    m->nimports = imports.len;
}

/* The module of source file `file`: parsed and its imports loaded the first
 * time, the same Module afterwards (possibly still `loading`: a cycle). */
static Module *load_module(Loader *ld, int file)
{
    Compilation *c = ld->c;
    for (int i = 0; i < c->nmodules; i++)
        if (c->modules[i]->file == file)
            return c->modules[i];
    Module *m = parse_module(c, file);
    Module **mods = arena_alloc(&c->arena, (size_t)(c->nmodules + 1) * sizeof *mods);
    if (c->nmodules)
        memcpy(mods, c->modules, (size_t)c->nmodules * sizeof *mods);
    mods[c->nmodules++] = m;
    c->modules = mods;

    m->loading = true;
    ptrvec_push(&c->arena, &ld->chain, m);
    load_imports(ld, m);
    ld->chain.len--;
    m->loading = false;
    return m;
}

/* Loads the main module from source file `file` and runs sema, unless a
 * declaration was dropped by a syntax error or an import failed: sema would
 * then only add follow-on errors ("unknown name"). */
static Module *load_main(Compilation *c, int file)
{
    Loader ld = {.c = c};
    Module *main = load_module(&ld, file);
    for (int i = 0; i < c->nmodules; i++)
        ld.broken |= c->modules[i]->ndropped > 0;
    if (!ld.broken)
        sema_run(c, main);
    return main;
}

Module *compile_file(Compilation *c, const char *path)
{
    const char *err;
    int file = source_load(&c->sources, path, &err);
    if (file < 0) {
        Span none = {.file = -1};
        diag_error(&c->diags, none, "cannot open '%s': %s", path, err);
        return NULL;
    }
    return load_main(c, file);
}

Module *compile_buffer(Compilation *c, const char *path, const char *text, size_t len)
{
    return load_main(c, source_add(&c->sources, path, text, len));
}
