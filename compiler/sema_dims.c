/* sema_dims.c - parameter types, dimension tables and parameter defaults.
 *
 * A declaration's dimension table (Decl.dims) lists the names its tensor
 * types use: for attention, mask and score the launch-bound B H HKV Q KV D DV
 * first (ids DIM_B..DIM_DV), then free names in order of first appearance;
 * for a scan only the names its parameter and output types use. A name that
 * is a `const` is a constant size instead (DimRef.value, dim_id -1). */
#include <string.h>

#include "sema.h"

int sema_dim_find(const Decl *d, const char *name)
{
    for (int i = 0; i < d->ndims; i++)
        if (strcmp(d->dims[i], name) == 0)
            return i;
    return -1;
}

/* A const used as a size: fills r->value, or reports why it can't be
 * (*bad set). Returns false when the name is not a const. */
static bool sema_dim_const(Sema *s, Module *m, DimRef *r, bool *bad)
{
    Resolved g = sema_lookup_global(m, r->name);
    if (g.ref != REF_CONST || g.ambiguous[0])
        return false;
    *bad = true;
    if (!sema_check_decl(s, g.decl)) {
        diag_error(s->d, r->span, "'%s' is defined in terms of itself (%s)", r->name,
                   sema_cycle_path(s, g.decl));
        return true;
    }
    Expr *v = g.decl->body;
    if (!v || !v->const_valid)
        return true; /* already diagnosed at the const */
    if (!(v->ty && v->ty->kind == TY_SCALAR && v->ty->scalar == SK_I32) || v->const_value < 1) {
        diag_error(s->d, r->span, "const '%s' used as a dimension must be a positive 'i32'",
                   r->name);
        return true;
    }
    r->value = (int64_t)v->const_value;
    *bad = false;
    return true;
}

/* Resolves one dimension of a tensor type; false after a diagnostic. */
static bool sema_dim_resolve(Sema *s, Decl *d, PtrVec *names, DimRef *r)
{
    r->dim_id = -1;
    if (!r->name) {
        if (r->value < 1)
            diag_error(s->d, r->span, "dimension size must be positive, got %lld",
                       (long long)r->value);
        return r->value >= 1;
    }
    for (int i = 0; i < names->len; i++)
        if (strcmp(names->items[i], r->name) == 0) {
            r->dim_id = i;
            return true;
        }
    bool bad = false;
    if (sema_dim_const(s, d->module, r, &bad))
        return !bad;
    r->dim_id = names->len;
    ptrvec_push(s->a, names, (void *)r->name);
    return true;
}

/* Checks one parameter's type and resolves its dimensions. */
static void sema_param_type(Sema *s, Decl *d, PtrVec *names, Param *p, bool output)
{
    TypeRef *t = p->type;
    if (!t)
        return;
    if (t->kind == TY_SCALAR && (t->scalar == SK_F16 || t->scalar == SK_BF16)) {
        diag_error(s->d, t->span, "'%s' is only allowed as a tensor element type",
                   t->scalar == SK_F16 ? "f16" : "bf16");
        t->kind = TY_ERROR;
    }
    if (d->kind == DECL_FN && (t->kind == TY_TENSOR || t->kind == TY_PACK)) {
        diag_error(s->d, t->span, "fn parameter '%s' must be 'bool', 'i32' or 'f32'", p->name);
        t->kind = TY_ERROR;
    }
    if (output && t->kind != TY_TENSOR && t->kind != TY_ERROR) {
        diag_error(s->d, t->span, "output '%s' must be a tensor", p->name);
        t->kind = TY_ERROR;
    }
    bool ok = true;
    for (int i = 0; t->kind == TY_TENSOR && i < t->ndims; i++)
        ok &= sema_dim_resolve(s, d, names, &t->dims[i]);
    if (!ok)
        t->kind = TY_ERROR; /* poisoned: its reads are not checked further */
}

/* The parameter or output named `name` declared before list[before], or NULL. */
static Param *sema_param_prev(Decl *d, Param **list, int before, const char *name)
{
    int nparams = list == d->params ? before : d->nparams;
    for (int i = 0; i < nparams; i++)
        if (d->params[i] && strcmp(d->params[i]->name, name) == 0)
            return d->params[i];
    for (int i = 0; list == d->outputs && i < before; i++)
        if (d->outputs[i] && strcmp(d->outputs[i]->name, name) == 0)
            return d->outputs[i];
    return NULL;
}

static void sema_param_dup(Sema *s, Decl *d, Param **list, int i)
{
    Param *prev = sema_param_prev(d, list, i, list[i]->name);
    if (prev) {
        diag_error(s->d, list[i]->span, "redefinition of parameter '%s'", list[i]->name);
        diag_note(s->d, prev->span, "previous definition is here");
        list[i]->used = true; /* unreachable by name: no second diagnostic */
    } else if (list == d->params && sema_names_implicit(d->kind, list[i]->name)) {
        diag_error(s->d, list[i]->span, "parameter '%s' hides the implicit name '%s' of %s body",
                   list[i]->name, list[i]->name, d->kind == DECL_ATTENTION ? "an attention" : d->kind == DECL_MASK ? "a mask" : "a score");
        list[i]->used = true;
    }
}

void sema_dims_build(Sema *s, Decl *d, bool standard)
{
    PtrVec names = {0};
    for (int i = 0; standard && i < DIM_STANDARD_COUNT; i++)
        ptrvec_push(s->a, &names, (void *)attn_standard_dims[i]);
    for (int i = 0; i < d->nparams; i++)
        if (d->params[i]) {
            sema_param_dup(s, d, d->params, i);
            sema_param_type(s, d, &names, d->params[i], false);
        }
    for (int i = 0; i < d->noutputs; i++)
        if (d->outputs[i]) {
            sema_param_dup(s, d, d->outputs, i);
            sema_param_type(s, d, &names, d->outputs[i], true);
        }
    d->dims = (const char **)names.items;
    d->ndims = names.len;
}

void sema_check_defaults(Sema *s, Decl *d)
{
    for (int i = 0; i < d->nparams; i++) {
        Param *p = d->params[i];
        if (!p || !p->init)
            continue;
        if (p->type && (p->type->kind == TY_TENSOR || p->type->kind == TY_PACK)) {
            diag_error(s->d, p->init->span, "%s parameter '%s' cannot have a default",
                       p->type->kind == TY_PACK ? "pack" : "tensor", p->name);
            continue;
        }
        Body b;
        sema_body_init(&b, s, d, d->module, CX_CONST, "a parameter default");
        TypeRef *t = sema_expr(&b, p->init);
        if (sema_is_error(t))
            continue;
        if (!p->init->const_valid) {
            diag_error(s->d, p->init->span, "default value of '%s' must be a constant", p->name);
            continue;
        }
        if (p->type && p->type->kind == TY_SCALAR)
            sema_expect(&b, p->init, p->type->scalar,
                        arena_printf(s->a, "default value of '%s'", p->name));
    }
}
