/* sema_names.c - scopes and name resolution (LANGUAGE.md 3).
 *
 * Inside a body a name is looked up innermost first: lets (in order; a let
 * sees only earlier lets), scan index names and states, parameters, the
 * implicit names of the context, dimension names, the module's own
 * declarations, its direct imports (a name two imports define is ambiguous
 * where used), and finally the builtins. */
#include <string.h>

#include "sema.h"

static const char *const implicit_names[] = {"b", "h", "q", "kv", "score"};

bool sema_is_builtin(const char *name, Builtin *out)
{
    for (int i = 0; i < BI_COUNT; i++)
        if (strcmp(builtin_name((Builtin)i), name) == 0) {
            *out = (Builtin)i;
            return true;
        }
    return false;
}

Decl *sema_module_decl(Module *m, const char *name)
{
    for (int i = 0; m && i < m->ndecls; i++) {
        Decl *d = m->decls[i];
        if (d && d->kind != DECL_IMPORT && d->name && strcmp(d->name, name) == 0)
            return d;
    }
    return NULL;
}

Module *sema_import_alias(Module *m, const char *alias)
{
    for (int i = 0; m && i < m->ndecls; i++) {
        Decl *d = m->decls[i];
        if (d && d->kind == DECL_IMPORT && d->import.target && d->import.alias &&
            strcmp(d->import.alias, alias) == 0)
            return d->import.target;
    }
    return NULL;
}

static Resolved resolved_decl(Decl *d)
{
    Resolved r = {.ref = d->kind == DECL_CONST ? REF_CONST : REF_DECL, .decl = d};
    return r;
}

Resolved sema_lookup_global(Module *m, const char *name)
{
    Resolved r = {0};
    Decl *own = sema_module_decl(m, name);
    if (own)
        return resolved_decl(own);
    for (int i = 0; m && i < m->nimports; i++) {
        Decl *d = sema_module_decl(m->imports[i], name);
        if (!d)
            continue;
        if (r.ref == REF_NONE) {
            r = resolved_decl(d);
        } else if (r.decl->module != d->module) {
            r.ambiguous[0] = r.decl;
            r.ambiguous[1] = d;
            return r;
        }
    }
    if (r.ref != REF_NONE)
        return r;
    Module *alias = sema_import_alias(m, name);
    if (alias) {
        r.ref = REF_MODULE;
        r.module = alias;
    }
    return r;
}

/* Scan-level names: visible index variables and states. */
static bool sema_lookup_scan(Body *b, const char *name, Resolved *r)
{
    Decl *d = b->decl;
    for (int i = 0; i < d->scan.nivars && i < SEMA_MAX_IVARS; i++)
        if ((b->visible >> i & 1) && strcmp(d->scan.ivars[i].name, name) == 0) {
            r->ref = REF_INDEXVAR;
            r->index = i;
            return true;
        }
    for (int i = 0; i < d->scan.nstates; i++)
        if (strcmp(d->scan.states[i]->name, name) == 0) {
            r->ref = REF_STATE;
            r->index = i;
            return true;
        }
    return false;
}

static bool sema_implicit_visible(SemaCtx ctx, int iv)
{
    return (ctx == CX_MASK && iv < IV_SCORE) || (ctx == CX_SCORE && iv <= IV_SCORE);
}

bool sema_names_implicit(DeclKind kind, const char *name)
{
    int n = kind == DECL_SCORE || kind == DECL_ATTENTION ? IV_SCORE + 1
            : kind == DECL_MASK                        ? IV_SCORE
                                                       : 0;
    for (int i = 0; i < n; i++)
        if (strcmp(implicit_names[i], name) == 0)
            return true;
    return false;
}

Resolved sema_lookup(Body *b, const char *name)
{
    Resolved r = {0};
    for (int i = b->lets.len - 1; i >= 0; i--) {
        LetInfo *li = b->lets.items[i];
        if (strcmp(li->let->name, name) == 0) {
            r.ref = REF_LET;
            r.li = li;
            return r;
        }
    }
    Decl *d = b->decl;
    if (d && b->ctx == CX_SCAN && sema_lookup_scan(b, name, &r))
        return r;
    for (int i = 0; d && b->ctx != CX_CONST && i < d->nparams; i++)
        if (d->params[i] && strcmp(d->params[i]->name, name) == 0) {
            r.ref = REF_PARAM;
            r.index = i;
            return r;
        }
    for (int i = 0; i <= IV_SCORE; i++)
        if (sema_implicit_visible(b->ctx, i) && strcmp(implicit_names[i], name) == 0) {
            r.ref = REF_IMPLICIT;
            r.index = i;
            return r;
        }
    if (d && b->ctx != CX_CONST && b->ctx != CX_FN) {
        int dim = sema_dim_find(d, name);
        if (dim >= 0) {
            r.ref = REF_DIM;
            r.index = dim;
            return r;
        }
    }
    r = sema_lookup_global(b->mod, name);
    if (r.ref != REF_NONE)
        return r;
    Builtin bi;
    if (sema_is_builtin(name, &bi)) {
        r.ref = REF_BUILTIN;
        r.index = (int)bi;
    }
    return r;
}

/* Levenshtein distance, or a large value for long or distant strings. */
static int sema_edit_distance(const char *a, const char *b)
{
    enum { MAXLEN = 40 };
    size_t la = strlen(a), lb = strlen(b);
    if (la > MAXLEN || lb > MAXLEN)
        return 100;
    int prev[MAXLEN + 1], cur[MAXLEN + 1];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            int del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, sizeof prev);
    }
    return prev[lb];
}

typedef struct Suggest {
    const char *name, *best;
    int dist;
} Suggest;

static void suggest_try(Suggest *sg, const char *cand)
{
    if (!cand)
        return;
    int dist = sema_edit_distance(sg->name, cand);
    if (dist < sg->dist && dist <= 2 && dist < (int)strlen(sg->name)) {
        sg->dist = dist;
        sg->best = cand;
    }
}

static void suggest_module(Suggest *sg, Module *m)
{
    for (int i = 0; m && i < m->ndecls; i++)
        if (m->decls[i])
            suggest_try(sg, m->decls[i]->kind == DECL_IMPORT ? m->decls[i]->import.alias
                                                             : m->decls[i]->name);
}

const char *sema_suggest(Sema *s, Body *b, Module *m, const char *name)
{
    Suggest sg = {.name = name, .dist = 100};
    if (b) {
        for (int i = 0; i < b->lets.len; i++)
            suggest_try(&sg, ((LetInfo *)b->lets.items[i])->let->name);
        Decl *d = b->decl;
        for (int i = 0; d && b->ctx != CX_CONST && i < d->nparams; i++)
            if (d->params[i])
                suggest_try(&sg, d->params[i]->name);
        for (int i = 0; d && b->ctx == CX_SCAN && i < d->scan.nivars && i < SEMA_MAX_IVARS; i++)
            if (b->visible >> i & 1)
                suggest_try(&sg, d->scan.ivars[i].name);
        for (int i = 0; d && b->ctx == CX_SCAN && i < d->scan.nstates; i++)
            suggest_try(&sg, d->scan.states[i]->name);
        for (int i = 0; i <= IV_SCORE; i++)
            if (sema_implicit_visible(b->ctx, i))
                suggest_try(&sg, implicit_names[i]);
        for (int i = 0; d && b->ctx != CX_CONST && b->ctx != CX_FN && i < d->ndims; i++)
            suggest_try(&sg, d->dims[i]);
        suggest_module(&sg, m);
        for (int i = 0; m && i < m->nimports; i++)
            suggest_module(&sg, m->imports[i]);
        for (int i = 0; i < BI_COUNT; i++)
            suggest_try(&sg, builtin_name((Builtin)i));
    } else {
        suggest_module(&sg, m);
    }
    return sg.best ? arena_printf(s->a, "; did you mean '%s'?", sg.best) : "";
}

/* Whether `name` exists in b's declaration but not in this context. */
static bool sema_hidden_name(Body *b, const char *name)
{
    for (int i = 0; i <= IV_SCORE; i++)
        if (strcmp(implicit_names[i], name) == 0)
            return b->ctx != CX_SCAN;
    if (b->ctx == CX_FN || b->ctx == CX_CONST)
        for (int i = 0; i < DIM_STANDARD_COUNT; i++)
            if (strcmp(attn_standard_dims[i], name) == 0)
                return true;
    for (int i = 0; i < b->hidden.len; i++)
        if (strcmp(((LetInfo *)b->hidden.items[i])->let->name, name) == 0)
            return true;
    Decl *d = b->decl;
    if (d && b->ctx == CX_CONST) {
        for (int i = 0; i < d->nparams; i++)
            if (d->params[i] && strcmp(d->params[i]->name, name) == 0)
                return true;
        return sema_dim_find(d, name) >= 0;
    }
    return false;
}

void sema_name_error(Body *b, const char *name, Span at, const Resolved *r)
{
    Diags *dg = b->s->d;
    if (r->ambiguous[0]) {
        diag_error(dg, at, "'%s' is ambiguous (defined in '%s' and '%s')", name,
                   r->ambiguous[0]->module->alias ? r->ambiguous[0]->module->alias : "?",
                   r->ambiguous[1]->module->alias ? r->ambiguous[1]->module->alias : "?");
        return;
    }
    Decl *d = b->decl;
    for (int i = 0; d && b->ctx == CX_SCAN && i < d->scan.nivars; i++)
        if (strcmp(d->scan.ivars[i].name, name) == 0) {
            diag_error(dg, at, "index '%s' is not bound here", name);
            return;
        }
    if (b->state_rule == SR_INIT && b->init_state && strcmp(b->init_state, name) == 0) {
        diag_error(dg, at, "state '%s' cannot be read in its own initial value", name);
        return;
    }
    if (sema_hidden_name(b, name)) {
        if (b->why)
            diag_error(dg, at, "'%s' is not available in %s (%s)", name, b->where, b->why);
        else
            diag_error(dg, at, "'%s' is not available in %s", name, b->where);
        return;
    }
    diag_error(dg, at, "unknown name '%s'%s", name, sema_suggest(b->s, b, b->mod, name));
}

Resolved sema_member(Body *b, Expr *e, bool *reported)
{
    Resolved none = {0};
    Expr *base = e->a;
    *reported = true;
    if (!base || !e->name)
        return none;
    if (base->kind != EX_NAME || !base->name) {
        sema_expr(b, base);
        diag_error(b->s->d, e->span, "only modules and packs have members");
        return none;
    }
    Resolved r = sema_lookup(b, base->name);
    base->ref = r.ref;
    base->index = r.index;
    if (r.ref == REF_MODULE) {
        base->ty = &ty_error;
        Decl *d = sema_module_decl(r.module, e->name);
        if (!d) {
            diag_error(b->s->d, e->span, "module '%s' has no declaration '%s'%s", base->name,
                       e->name, sema_suggest(b->s, NULL, r.module, e->name));
            return none;
        }
        *reported = false;
        return resolved_decl(d);
    }
    if (r.ref == REF_NONE || r.ambiguous[0]) {
        sema_name_error(b, base->name, base->span, &r);
        return none;
    }
    TypeRef *t = sema_expr(b, base);
    if (sema_is_error(t))
        return none;
    if (t->kind != TY_PACK) {
        diag_error(b->s->d, e->span, "'%s' has no members (it is '%s', not a pack or a module)",
                   base->name, sema_type_name(b->s, t));
        return none;
    }
    for (int i = 0; i < PM_COUNT; i++)
        if (strcmp(pack_member_name((PackMember)i), e->name) == 0) {
            Resolved pm = {.ref = REF_PACK_MEMBER, .index = i};
            *reported = false;
            return pm;
        }
    diag_error(b->s->d, e->span,
               "pack has no member '%s' (members: id, start, end, pos, len, same)", e->name);
    return none;
}

/* Gives e the meaning of r (a name used as a value, not called). */
static TypeRef *sema_apply(Body *b, Expr *e, const char *name, Resolved r)
{
    Sema *s = b->s;
    e->ref = r.ref;
    e->index = r.index;
    e->decl = r.decl;
    switch (r.ref) {
    case REF_NONE:
    case REF_PACK_MEMBER: diag_error(s->d, e->span, "'%s' must be called", name); return &ty_error;
    case REF_LET:
        r.li->let->used = true;
        e->let = r.li->let;
        b->used |= r.li->ivars;
        if (b->ctx == CX_SCAN)
            sema_require_bound(b, r.li->ivars, name, e->span);
        e->const_valid = r.li->let->value && r.li->let->value->const_valid;
        e->const_value = e->const_valid ? r.li->let->value->const_value : 0;
        return r.li->let->value && r.li->let->value->ty ? r.li->let->value->ty : &ty_error;
    case REF_INDEXVAR:
        if (r.index < SEMA_MAX_IVARS) {
            b->used |= (uint64_t)1 << r.index;
            sema_require_bound(b, (uint64_t)1 << r.index, NULL, e->span);
        }
        return &ty_i32;
    case REF_STATE: sema_state_read(b, r.index, e->span); return &ty_f32;
    case REF_PARAM: {
        Param *p = b->decl->params[r.index];
        p->used = true;
        if (!p->type || p->type->kind == TY_ERROR)
            return &ty_error;
        return p->type->kind == TY_SCALAR ? sema_scalar_type(p->type->scalar) : p->type;
    }
    case REF_IMPLICIT: return r.index == IV_SCORE ? &ty_f32 : &ty_i32;
    case REF_DIM: return &ty_i32;
    case REF_CONST:
        if (!sema_check_decl(s, r.decl)) {
            diag_error(s->d, e->span, "'%s' is defined in terms of itself (%s)", name,
                       sema_cycle_path(s, r.decl));
            return &ty_error;
        }
        if (!r.decl->body || !r.decl->body->const_valid)
            return &ty_error;
        e->const_valid = true;
        e->const_value = r.decl->body->const_value;
        return r.decl->body->ty;
    case REF_DECL: return sema_decl_ref(b, e, r.decl, e->span);
    case REF_BUILTIN:
        diag_error(s->d, e->span, "builtin '%s' must be called", name);
        return &ty_error;
    case REF_MODULE:
        diag_error(s->d, e->span, "'%s' is a module; name one of its declarations ('%s.NAME')",
                   name, name);
        return &ty_error;
    }
    return &ty_error;
}

TypeRef *sema_name(Body *b, Expr *e)
{
    if (e->kind == EX_MEMBER) {
        bool reported;
        Resolved r = sema_member(b, e, &reported);
        if (reported)
            return &ty_error;
        if (r.ref == REF_PACK_MEMBER) {
            diag_error(b->s->d, e->span, "'%s.%s' must be called", e->a->name, e->name);
            return &ty_error;
        }
        return sema_apply(b, e, e->name, r);
    }
    if (!e->name)
        return &ty_error;
    Resolved r = sema_lookup(b, e->name);
    if (r.ref == REF_NONE || r.ambiguous[0]) {
        sema_name_error(b, e->name, e->span, &r);
        return &ty_error;
    }
    return sema_apply(b, e, e->name, r);
}
