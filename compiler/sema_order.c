/* sema_order.c - the order in which declarations are checked.
 *
 * A declaration must be checked before its callers (they import its bounds
 * facts). Checking callees on demand does that, but nests once per call, so
 * a long chain of declarations would nest deeply on the C stack. This pass
 * lists the declarations callees first (an iterative depth-first search over
 * the names each body mentions, resolved at module level), so on-demand
 * checking only nests inside recursion cycles, which are errors anyway. */
#include <stdint.h>

#include "sema.h"

typedef struct DeclSet {
    Decl **slots;
    size_t cap, len;
} DeclSet;

/* Inserts d (the set holds at most n); false when it was already there or
 * the set is full. */
static bool set_add(Arena *a, DeclSet *s, Decl *d, size_t n)
{
    if (s->len > n)
        return false;
    if (!s->slots) {
        s->cap = 16;
        while (s->cap < 2 * n + 2)
            s->cap *= 2;
        s->slots = arena_alloc(a, s->cap * sizeof *s->slots);
    }
    size_t i = ((uintptr_t)d >> 4) & (s->cap - 1);
    while (s->slots[i]) {
        if (s->slots[i] == d)
            return false;
        i = (i + 1) & (s->cap - 1);
    }
    s->slots[i] = d;
    s->len++;
    return true;
}

/* Appends the declarations the expression names (module level). */
static void refs_expr(Arena *a, Module *m, const Expr *e, PtrVec *out)
{
    if (!e)
        return;
    if (e->kind == EX_NAME && e->name) {
        Resolved r = sema_lookup_global(m, e->name);
        if (r.decl)
            ptrvec_push(a, out, r.decl);
    }
    if (e->kind == EX_MEMBER && e->a && e->a->kind == EX_NAME && e->a->name && e->name) {
        Decl *d = sema_module_decl(sema_import_alias(m, e->a->name), e->name);
        if (d)
            ptrvec_push(a, out, d);
    }
    refs_expr(a, m, e->a, out);
    refs_expr(a, m, e->b, out);
    refs_expr(a, m, e->c, out);
    for (int i = 0; i < e->nargs; i++)
        refs_expr(a, m, e->args[i], out);
    for (int i = 0; i < e->nlets; i++)
        if (e->lets[i])
            refs_expr(a, m, e->lets[i]->value, out);
}

static void refs_params(Arena *a, Module *m, Param **ps, int n, PtrVec *out)
{
    for (int i = 0; i < n; i++) {
        if (!ps[i])
            continue;
        refs_expr(a, m, ps[i]->init, out);
        TypeRef *t = ps[i]->type;
        for (int k = 0; t && t->kind == TY_TENSOR && k < t->ndims; k++) {
            Resolved r = t->dims[k].name ? sema_lookup_global(m, t->dims[k].name) : (Resolved){0};
            if (r.decl)
                ptrvec_push(a, out, r.decl);
        }
    }
}

/* The declarations d mentions. */
static PtrVec decl_refs(Arena *a, Decl *d)
{
    PtrVec out = {0};
    Module *m = d->module;
    refs_params(a, m, d->params, d->nparams, &out);
    refs_params(a, m, d->outputs, d->noutputs, &out);
    refs_expr(a, m, d->body, &out);
    for (int i = 0; i < d->nstmts; i++)
        if (d->stmts[i])
            refs_expr(a, m, d->stmts[i]->value, &out);
    return out;
}

typedef struct Frame {
    Decl *d;
    PtrVec refs;
    int next;
} Frame;

PtrVec sema_order(Sema *s, Module **mods, int nmods)
{
    size_t n = 0;
    for (int i = 0; i < nmods; i++)
        n += mods[i] ? (size_t)mods[i]->ndecls : 0;
    DeclSet seen = {0};
    PtrVec order = {0}, stack = {0};
    for (int i = 0; i < nmods; i++)
        for (int k = 0; mods[i] && k < mods[i]->ndecls; k++) {
            Decl *root = mods[i]->decls[k];
            if (!root || !set_add(s->a, &seen, root, n))
                continue;
            Frame *f = arena_alloc(s->a, sizeof *f);
            f->d = root;
            f->refs = decl_refs(s->a, root);
            ptrvec_push(s->a, &stack, f);
            while (stack.len) {
                Frame *top = stack.items[stack.len - 1];
                if (top->next == top->refs.len) {
                    ptrvec_push(s->a, &order, top->d);
                    stack.len--;
                    continue;
                }
                Decl *callee = top->refs.items[top->next++];
                if (!callee->module || !set_add(s->a, &seen, callee, n))
                    continue;
                Frame *g = arena_alloc(s->a, sizeof *g);
                g->d = callee;
                g->refs = decl_refs(s->a, callee);
                ptrvec_push(s->a, &stack, g);
            }
        }
    return order;
}
