/* sema.c - semantic analysis entry point (LANGUAGE.md sections 3-5).
 *
 * sema_run first declares every module's names (duplicates, builtins), then
 * checks every declaration of every loaded module, callees first
 * (sema_order.c). A call to a declaration not yet checked (only possible in
 * a recursion cycle) checks it on demand; the stack of declarations in
 * progress turns recursion into a diagnostic at the offending call. */
#include <string.h>

#include "sema.h"

void sema_body_init(Body *b, Sema *s, Decl *d, Module *m, SemaCtx ctx, const char *where)
{
    memset(b, 0, sizeof *b);
    b->s = s;
    b->decl = d;
    b->mod = m;
    b->ctx = ctx;
    b->where = where;
    b->update_state = -1;
}

LetInfo *sema_push_let(Body *b, LetBinding *let, uint64_t ivars)
{
    LetInfo *li = arena_alloc(b->s->a, sizeof *li);
    li->let = let;
    li->ivars = ivars;
    if (b->decl)
        let->slot = b->decl->nlets++;
    ptrvec_push(b->s->a, &b->lets, li);
    return li;
}

void sema_pop_lets(Body *b, int from)
{
    for (int i = from; i < b->lets.len; i++) {
        LetInfo *li = b->lets.items[i];
        if (!li->let->used)
            diag_warning(b->s->d, li->let->span, "unused let '%s'", li->let->name);
    }
    if (from < b->lets.len)
        b->lets.len = from;
}

void sema_store_facts(Body *b, Decl *d)
{
    d->facts = (BoundsFact **)b->facts.items;
    d->nfacts = b->facts.len;
}

/* Warns about parameters the body never reads. Skipped for a declaration
 * with errors: an erroneous body may have lost the reads. */
static void sema_check_params_used(Sema *s, Decl *d)
{
    if (d->has_error)
        return;
    for (int i = 0; i < d->nparams; i++)
        if (d->params[i] && !d->params[i]->used)
            diag_warning(s->d, d->params[i]->span, "unused parameter '%s'", d->params[i]->name);
}

const char *sema_cycle_path(Sema *s, const Decl *d)
{
    int from = 0;
    for (int i = 0; i < s->stack.len; i++)
        if (s->stack.items[i] == d)
            from = i;
    const char *path = "";
    for (int i = from; i < s->stack.len; i++)
        path = arena_printf(s->a, "%s%s -> ", path, ((Decl *)s->stack.items[i])->name);
    return arena_printf(s->a, "%s%s", path, d->name);
}

/* const NAME = expr: a folded int or float constant. */
static void sema_check_const(Sema *s, Decl *d)
{
    Body b;
    sema_body_init(&b, s, NULL, d->module, CX_CONST, "a constant expression");
    TypeRef *t = sema_expr(&b, d->body);
    if (sema_is_error(t) || !d->body)
        return;
    if (!sema_is_numeric(t) && !(t->kind == TY_SCALAR && t->scalar == SK_BOOL))
        diag_error(s->d, d->body->span, "value of const '%s' must be a scalar, got '%s'", d->name,
                   sema_type_name(s, t));
    else if (!d->body->const_valid)
        diag_error(s->d, d->body->span, "value of const '%s' is not a constant expression",
                   d->name);
}

/* mask / score / fn: parameters, then the body against its result type. */
static void sema_check_function(Sema *s, Decl *d)
{
    static const char *const where[] = {
        [DECL_FN] = "a fn body", [DECL_MASK] = "a mask body", [DECL_SCORE] = "a score body"};
    static const SemaCtx ctx[] = {
        [DECL_FN] = CX_FN, [DECL_MASK] = CX_MASK, [DECL_SCORE] = CX_SCORE};
    sema_dims_build(s, d, d->kind != DECL_FN);
    sema_check_defaults(s, d);
    Body b;
    sema_body_init(&b, s, d, d->module, ctx[d->kind], where[d->kind]);
    if (d->kind == DECL_FN)
        b.why = "fn bodies see only their parameters";
    sema_expr(&b, d->body);
    ScalarKind want = d->kind == DECL_MASK ? SK_BOOL : SK_F32;
    const char *what = d->kind == DECL_MASK ? "the mask body" : "the score body";
    if (d->kind == DECL_FN) {
        want = d->ret && d->ret->kind == TY_SCALAR ? d->ret->scalar : SK_NONE;
        what = arena_printf(s->a, "the body of fn '%s'", d->name);
        if (d->ret && want == SK_NONE)
            diag_error(s->d, d->ret->span, "fn '%s' must return 'bool', 'i32' or 'f32'", d->name);
    }
    if (d->body && want != SK_NONE)
        sema_expect(&b, d->body, want, what);
    sema_store_facts(&b, d);
}

bool sema_check_decl(Sema *s, Decl *d)
{
    if (d->checked)
        return true;
    if (d->in_progress)
        return false;
    if (s->stack.len >= SEMA_MAX_CHAIN) {
        /* Bounds the C stack: on-demand checking nests once per call. */
        diag_error(s->d, d->name_span, "'%s' is reached through more than %d nested calls",
                   d->name ? d->name : "?", SEMA_MAX_CHAIN);
        d->checked = d->has_error = true;
        return true;
    }
    d->in_progress = true;
    ptrvec_push(s->a, &s->stack, d);
    int errors = s->d->errors;
    switch (d->kind) {
    case DECL_IMPORT: break;
    case DECL_CONST: sema_check_const(s, d); break;
    case DECL_FN:
    case DECL_MASK:
    case DECL_SCORE: sema_check_function(s, d); break;
    case DECL_ATTENTION: sema_check_attention(s, d); break;
    case DECL_SCAN: sema_check_scan(s, d); break;
    }
    s->stack.len--;
    d->in_progress = false;
    d->checked = true;
    d->has_error = s->d->errors > errors;
    sema_check_params_used(s, d);
    return true;
}

/* Duplicate declarations and builtin names in one module; fills m->imports. */
static void sema_declare_module(Sema *s, Module *m)
{
    PtrVec imports = {0};
    for (int i = 0; i < m->ndecls; i++) {
        Decl *d = m->decls[i];
        if (!d)
            continue;
        d->module = m;
        if (d->kind == DECL_IMPORT) {
            Module *t = d->import.target;
            bool seen = false;
            for (int k = 0; k < imports.len && t; k++)
                seen |= imports.items[k] == t;
            if (t && !seen)
                ptrvec_push(s->a, &imports, t);
            continue;
        }
        if (!d->name)
            continue;
        Builtin bi;
        if (sema_is_builtin(d->name, &bi)) {
            diag_error(s->d, d->name_span, "'%s' is a builtin function", d->name);
            continue;
        }
        for (int k = 0; k < i; k++) {
            Decl *p = m->decls[k];
            if (p && p->kind != DECL_IMPORT && p->name && strcmp(p->name, d->name) == 0) {
                diag_error(s->d, d->name_span, "redefinition of '%s'", d->name);
                diag_note(s->d, p->name_span, "previous definition is here");
                break;
            }
        }
    }
    if (m->nimports == 0) {
        m->imports = (Module **)imports.items;
        m->nimports = imports.len;
    }
}

bool sema_run(Compilation *c, Module *main)
{
    Sema s = {.c = c, .d = &c->diags, .a = &c->arena};
    int errors = c->diags.errors;
    Module *only[1] = {main};
    Module **mods = c->nmodules ? c->modules : only;
    int nmods = c->nmodules ? c->nmodules : (main != NULL);
    for (int i = 0; i < nmods; i++)
        if (mods[i])
            sema_declare_module(&s, mods[i]);
    PtrVec order = sema_order(&s, mods, nmods);
    for (int i = 0; i < order.len; i++)
        sema_check_decl(&s, order.items[i]);
    return c->diags.errors == errors;
}
