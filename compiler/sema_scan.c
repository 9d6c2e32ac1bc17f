/* sema_scan.c - scan declarations (LANGUAGE.md 5).
 *
 * Index variables (Decl.scan.ivars) are scan-wide: one per name, with one
 * dimension (-1 for an over variable whose dimension is invalid). A name is visible at scan level
 * when it is the over variable or a state index; an output's left side and
 * sum/max/min add bindings inside their expression. The over variable is
 * the first ivar when the scan has a valid `over` statement. Where an expression is
 * evaluated (state init, update, output) every index variable it reads,
 * directly or through a let, must be bound there (Body.bound); a let records
 * the index variables it reads and is checked where it is used.
 *
 * EX_REDUCE gets ref REF_INDEXVAR and index = the reduced ivar; a state
 * update gets Stmt.target = state index and update_a/update_c (sema_affine.c);
 * an output gets Stmt.target = output index; IndexBinding.ivar is filled. */
#include <string.h>

#include "sema.h"

static uint64_t bit(int ivar)
{
    return ivar >= 0 && ivar < SEMA_MAX_IVARS ? (uint64_t)1 << ivar : 0;
}

static int ivar_find(const Decl *d, const char *name)
{
    for (int i = 0; i < d->scan.nivars; i++)
        if (strcmp(d->scan.ivars[i].name, name) == 0)
            return i;
    return -1;
}

/* The ivar `name` ranging over dim_id, created on first use. */
static int ivar_get(Body *b, const char *name, int dim_id, Span at)
{
    Decl *d = b->decl;
    int i = ivar_find(d, name);
    if (i >= 0) {
        int prev = d->scan.ivars[i].dim_id;
        if (prev != dim_id && prev >= 0 && dim_id >= 0)
            diag_error(b->s->d, at, "index '%s' ranges over '%s' elsewhere, not '%s'", name,
                       d->dims[d->scan.ivars[i].dim_id], d->dims[dim_id]);
        return i;
    }
    if (d->scan.nivars == SEMA_MAX_IVARS) {
        diag_error(b->s->d, at, "too many index names in scan '%s' (at most %d)", d->name,
                   SEMA_MAX_IVARS);
        return -1;
    }
    IndexVar *v = &d->scan.ivars[d->scan.nivars];
    v->name = name;
    v->dim_id = dim_id;
    v->span = at;
    return d->scan.nivars++;
}

/* `name in DIM`: the dimension id, or -1 after a diagnostic. */
static int scan_dim(Body *b, const char *dim, Span at)
{
    int id = sema_dim_find(b->decl, dim);
    if (id < 0)
        diag_error(b->s->d, at,
                   "unknown dimension '%s' (the dimensions of a scan are the names in "
                   "its parameter and output types)",
                   dim);
    return id;
}

void sema_require_bound(Body *b, uint64_t ivars, const char *let_name, Span at)
{
    if (b->ctx != CX_SCAN || b->state_rule == SR_LET)
        return;
    uint64_t missing = ivars & ~b->bound;
    for (int i = 0; missing && i < b->decl->scan.nivars; i++) {
        if (!(missing >> i & 1))
            continue;
        const char *n = b->decl->scan.ivars[i].name;
        if (let_name)
            diag_error(b->s->d, at, "let '%s' uses index '%s', which is not bound here", let_name,
                       n);
        else if (b->state_rule == SR_OUTPUT)
            diag_error(b->s->d, at,
                       "index '%s' is not bound by the output; reduce it with 'sum(%s, ...)'", n,
                       n);
        else
            diag_error(b->s->d, at, "index '%s' is not bound here", n);
    }
}

void sema_state_read(Body *b, int state, Span at)
{
    Stmt *st = b->decl->scan.states[state];
    switch (b->state_rule) {
    case SR_LET: diag_error(b->s->d, at, "state '%s' cannot be read in a let", st->name); return;
    case SR_INIT:
        diag_error(b->s->d, at, "state '%s' cannot be read in an initial value", st->name);
        return;
    case SR_UPDATE:
        if (state != b->update_state)
            diag_error(b->s->d, at, "the update of '%s' cannot read state '%s'",
                       b->decl->scan.states[b->update_state]->name, st->name);
        return;
    default: break;
    }
    for (int i = 0; i < st->nidx; i++)
        if (st->idx[i].ivar >= 0 && !(b->bound & bit(st->idx[i].ivar)))
            diag_error(
                b->s->d, at,
                "state index '%s' of '%s' is not bound by the output and not reduced by 'sum'",
                st->idx[i].name, st->name);
}

TypeRef *sema_reduce(Body *b, Expr *e)
{
    const char *kw = op_spelling(e->op);
    if (b->ctx != CX_SCAN) {
        diag_error(b->s->d, e->span, "'%s' over an index is only allowed in a scan", kw);
        return &ty_error;
    }
    int iv = -1;
    if (e->dim) {
        int dim = scan_dim(b, e->dim, e->dim_span);
        if (dim >= 0)
            iv = ivar_get(b, e->name, dim, e->span);
    } else {
        iv = ivar_find(b->decl, e->name);
        if (iv < 0)
            diag_error(b->s->d, e->span, "'%s' is not an index name; write '%s(%s in DIM, ...)'",
                       e->name, kw, e->name);
    }
    if (iv < 0)
        return &ty_error;
    if (b->bound & bit(iv)) {
        diag_error(b->s->d, e->span, "index '%s' is already bound here", e->name);
        return &ty_error;
    }
    e->ref = REF_INDEXVAR;
    e->index = iv;
    uint64_t visible = b->visible, bound = b->bound, used = b->used;
    b->visible |= bit(iv);
    b->bound |= bit(iv);
    TypeRef *t = sema_expr(b, e->a);
    b->visible = visible;
    b->bound = bound;
    b->used = (b->used & ~bit(iv)) | (used & bit(iv));
    if (sema_is_error(t))
        return &ty_error;
    if (!sema_is_numeric(t)) {
        diag_error(b->s->d, e->a->span, "operand of '%s' must be a number, got '%s'", kw,
                   sema_type_name(b->s, t));
        return &ty_error;
    }
    return t;
}

typedef struct ScanCheck {
    Body b;
    PtrVec states, updates, outs, resets;
    Stmt **updated; /* per state: its update statement */
    Stmt **written; /* per output: the statement writing it */
    int tvar;       /* ivar of the over variable, -1 if there is none */
} ScanCheck;

static int state_find(const Decl *d, const char *name)
{
    for (int i = 0; name && i < d->scan.nstates; i++)
        if (strcmp(d->scan.states[i]->name, name) == 0)
            return i;
    return -1;
}

/* The single `over t in L` statement: creates ivar 0. */
static void scan_over(ScanCheck *sc, Decl *d)
{
    Sema *s = sc->b.s;
    Stmt *over = NULL;
    for (int i = 0; i < d->nstmts; i++) {
        Stmt *st = d->stmts[i];
        if (!st || st->kind != ST_OVER)
            continue;
        if (over) {
            diag_error(s->d, st->span, "scan '%s' has more than one 'over' statement", d->name);
            diag_note(s->d, over->span, "previous 'over' is here");
            continue;
        }
        over = st;
    }
    if (!over) {
        diag_error(s->d, d->name_span, "scan '%s' has no 'over' statement", d->name);
        return;
    }
    if (!over->name || !over->dim)
        return;
    d->scan.axis_var = over->name;
    d->scan.axis_dim = over->dim;
    int dim = sema_dim_find(d, over->dim);
    bool in_params = false;
    for (int i = 0; dim >= 0 && i < d->nparams; i++) {
        TypeRef *t = d->params[i] ? d->params[i]->type : NULL;
        for (int k = 0; t && t->kind == TY_TENSOR && k < t->ndims; k++)
            in_params |= t->dims[k].dim_id == dim;
    }
    if (!in_params) {
        diag_error(s->d, over->dim_span,
                   "'%s' is not a dimension of a parameter of scan '%s'; 'over' needs one",
                   over->dim, d->name);
        dim = -1; /* the variable still exists: no cascade of unknown names */
    }
    d->scan.axis_dim_id = dim;
    sc->tvar = ivar_get(&sc->b, over->name, dim, over->name_span);
    sc->b.visible |= bit(sc->tvar);
}

/* Binds the indices of a state or output left side; returns their bits.
 * `state` selects the rules: a state index needs `in DIM` unless it names a
 * visible index; an output index may also be the over variable. */
static uint64_t scan_bind(ScanCheck *sc, Stmt *st, bool state)
{
    Body *b = &sc->b;
    uint64_t bits = 0;
    for (int i = 0; i < st->nidx; i++) {
        IndexBinding *ib = &st->idx[i];
        ib->ivar = -1;
        if (!ib->name)
            continue;
        if (ib->dim) {
            int dim = scan_dim(b, ib->dim, ib->dim_span);
            ib->ivar = dim >= 0 ? ivar_get(b, ib->name, dim, ib->span) : -1;
        } else {
            int iv = ivar_find(b->decl, ib->name);
            bool ok = iv >= 0 && (b->visible & bit(iv)) && !(state && iv == sc->tvar);
            if (!ok)
                diag_error(b->s->d, ib->span, "index '%s' is not bound; write '%s in DIM'",
                           ib->name, ib->name);
            ib->ivar = ok ? iv : -1;
        }
        if (ib->ivar >= 0 && (bits & bit(ib->ivar)))
            diag_error(b->s->d, ib->span, "index '%s' is bound twice", ib->name);
        bits |= bit(ib->ivar);
    }
    return bits;
}

static void scan_state(ScanCheck *sc, Stmt *st)
{
    Body *b = &sc->b;
    Decl *d = b->decl;
    int prev = state_find(d, st->name);
    bool param = false;
    for (int i = 0; i < d->nparams; i++)
        param |= d->params[i] && strcmp(d->params[i]->name, st->name) == 0;
    for (int i = 0; i < d->noutputs; i++)
        param |= d->outputs[i] && strcmp(d->outputs[i]->name, st->name) == 0;
    if (prev >= 0 || param) {
        diag_error(b->s->d, st->name_span, "redefinition of '%s'", st->name);
        return;
    }
    uint64_t bits = scan_bind(sc, st, true);
    uint64_t visible = b->visible;
    b->visible |= bits;
    b->state_rule = SR_INIT;
    b->bound = bits;
    b->init_state = st->name;
    if (st->value) {
        sema_expr(b, st->value);
        sema_expect(b, st->value, SK_F32, arena_printf(b->s->a, "initial value of '%s'", st->name));
    }
    b->init_state = NULL;
    b->visible = visible | bits;
    st->target = d->scan.nstates;
    ptrvec_push(b->s->a, &sc->states, st);
    d->scan.states = (Stmt **)sc->states.items;
    d->scan.nstates = sc->states.len;
}

static uint64_t state_bits(const Stmt *st)
{
    uint64_t bits = 0;
    for (int i = 0; i < st->nidx; i++)
        bits |= bit(st->idx[i].ivar);
    return bits;
}

static void scan_update(ScanCheck *sc, Stmt *st)
{
    Body *b = &sc->b;
    Sema *s = b->s;
    int state = state_find(b->decl, st->name);
    if (state < 0) {
        diag_error(s->d, st->name_span, "'%s' is not a state", st->name);
        return;
    }
    st->target = state;
    if (sc->updated[state]) {
        diag_error(s->d, st->name_span, "state '%s' is already updated", st->name);
        diag_note(s->d, sc->updated[state]->span, "previous update is here");
        return;
    }
    sc->updated[state] = st;
    b->state_rule = SR_UPDATE;
    b->update_state = state;
    b->bound = state_bits(b->decl->scan.states[state]) | bit(sc->tvar);
    int errors = s->d->errors;
    sema_expr(b, st->value);
    if (!st->value ||
        !sema_expect(b, st->value, SK_F32, arena_printf(s->a, "the update of '%s'", st->name)))
        return;
    ptrvec_push(s->a, &sc->updates, st);
    if (s->d->errors == errors && !sema_is_error(st->value->ty))
        sema_affine_split(s, st, state);
}

static void scan_output(ScanCheck *sc, Stmt *st)
{
    Body *b = &sc->b;
    Sema *s = b->s;
    Decl *d = b->decl;
    int out = -1;
    for (int i = 0; i < d->noutputs; i++)
        if (d->outputs[i] && strcmp(d->outputs[i]->name, st->name) == 0)
            out = i;
    if (out < 0) {
        diag_error(s->d, st->name_span, "'%s' is not an output of scan '%s'", st->name, d->name);
        return;
    }
    st->target = out;
    if (sc->written[out]) {
        diag_error(s->d, st->name_span, "output '%s' is already written", st->name);
        diag_note(s->d, sc->written[out]->span, "previous assignment is here");
        return;
    }
    sc->written[out] = st;
    ptrvec_push(s->a, &sc->outs, st);
    TypeRef *t = d->outputs[out]->type;
    uint64_t visible = b->visible;
    uint64_t bits = scan_bind(sc, st, false);
    if (t && t->kind == TY_TENSOR && t->ndims != st->nidx)
        diag_error(s->d, st->name_span,
                   "output '%s' has %d dimension%s but is written with %d ind%s", st->name,
                   t->ndims, t->ndims == 1 ? "" : "s", st->nidx, st->nidx == 1 ? "ex" : "ices");
    for (int i = 0; t && t->kind == TY_TENSOR && i < st->nidx && i < t->ndims; i++) {
        int iv = st->idx[i].ivar, want = t->dims[i].dim_id;
        if (iv >= 0 && want >= 0 && d->scan.ivars[iv].dim_id >= 0 &&
            d->scan.ivars[iv].dim_id != want)
            diag_error(s->d, st->idx[i].span,
                       "index '%s' ranges over '%s' but dimension %d of '%s' is '%s'",
                       st->idx[i].name, d->dims[d->scan.ivars[iv].dim_id], i + 1, st->name,
                       d->dims[want]);
    }
    if (sc->tvar >= 0 && !(bits & bit(sc->tvar)))
        diag_error(s->d, st->name_span, "output '%s' must be indexed by '%s'", st->name,
                   d->scan.ivars[sc->tvar].name);
    b->visible |= bits;
    b->bound = bits;
    b->state_rule = SR_OUTPUT;
    sema_expr(b, st->value);
    if (st->value && t && t->kind == TY_TENSOR)
        sema_expect(b, st->value, sema_elem_type(t)->scalar,
                    arena_printf(s->a, "output '%s'", st->name));
    b->visible = visible;
}

static void scan_reset(ScanCheck *sc, Stmt *st)
{
    Body *b = &sc->b;
    Decl *d = b->decl;
    int state = state_find(d, st->name);
    if (state < 0)
        diag_error(b->s->d, st->name_span, "'%s' is not a state", st->name);
    st->target = state;
    Param *pack = NULL;
    for (int i = 0; st->pack && i < d->nparams; i++)
        if (d->params[i] && strcmp(d->params[i]->name, st->pack) == 0)
            pack = d->params[i];
    if (pack)
        pack->used = true;
    if (!pack || !pack->type || pack->type->kind != TY_PACK)
        diag_error(b->s->d, st->pack_span, "'%s' is not a pack parameter",
                   st->pack ? st->pack : "?");
    if (state >= 0)
        ptrvec_push(b->s->a, &sc->resets, st);
}

static void scan_let(ScanCheck *sc, Stmt *st)
{
    Body *b = &sc->b;
    st->let = arena_alloc(b->s->a, sizeof *st->let);
    st->let->name = st->name;
    st->let->span = st->name_span;
    st->let->value = st->value;
    b->state_rule = SR_LET;
    b->used = 0;
    sema_expr(b, st->value);
    sema_push_let(b, st->let, b->used);
}

static void scan_stmt(ScanCheck *sc, Stmt *st)
{
    Sema *s = sc->b.s;
    if (!st->name && st->kind != ST_OVER && st->kind != ST_MASK && st->kind != ST_SCORE)
        return;
    switch (st->kind) {
    case ST_OVER: break;
    case ST_LET: scan_let(sc, st); break;
    case ST_STATE: scan_state(sc, st); break;
    case ST_ASSIGN: scan_update(sc, st); break;
    case ST_OUTPUT: scan_output(sc, st); break;
    case ST_RESET: scan_reset(sc, st); break;
    case ST_MASK:
    case ST_SCORE:
        diag_error(s->d, st->span, "'%s =' is only allowed in an attention",
                   st->kind == ST_MASK ? "mask" : "score");
        break;
    }
}

/* The no-leakage rule uses every pack parameter of a scan that has a
 * zero-filled read: such packs count as used. */
static void scan_mark_packs(Decl *d)
{
    bool zero_fill = false;
    for (int i = 0; i < d->nfacts; i++)
        zero_fill |= d->facts[i]->kind == BOUNDS_ZERO_FILL;
    for (int i = 0; zero_fill && i < d->nparams; i++)
        if (d->params[i] && d->params[i]->type && d->params[i]->type->kind == TY_PACK)
            d->params[i]->used = true;
}

void sema_check_scan(Sema *s, Decl *d)
{
    sema_dims_build(s, d, false);
    sema_check_defaults(s, d);
    ScanCheck sc = {.tvar = -1};
    sema_body_init(&sc.b, s, d, d->module, CX_SCAN, "a scan");
    d->scan.ivars = arena_alloc(s->a, SEMA_MAX_IVARS * sizeof *d->scan.ivars);
    d->scan.axis_dim_id = -1;
    int nstates = 0;
    for (int i = 0; i < d->nstmts; i++)
        nstates += d->stmts[i] && d->stmts[i]->kind == ST_STATE;
    sc.updated = arena_alloc(s->a, (size_t)(nstates + 1) * sizeof *sc.updated);
    sc.written = arena_alloc(s->a, (size_t)(d->noutputs + 1) * sizeof *sc.written);
    scan_over(&sc, d);
    for (int i = 0; i < d->nstmts; i++)
        if (d->stmts[i])
            scan_stmt(&sc, d->stmts[i]);
    for (int i = 0; i < d->scan.nstates; i++)
        if (!sc.updated[i])
            diag_error(s->d, d->scan.states[i]->name_span, "state '%s' is never updated",
                       d->scan.states[i]->name);
    for (int i = 0; i < d->noutputs; i++)
        if (d->outputs[i] && !sc.written[i])
            diag_error(s->d, d->outputs[i]->span, "output '%s' is never written",
                       d->outputs[i]->name);
    sema_pop_lets(&sc.b, 0);
    d->scan.updates = (Stmt **)sc.updates.items;
    d->scan.nupdates = sc.updates.len;
    d->scan.outs = (Stmt **)sc.outs.items;
    d->scan.nouts = sc.outs.len;
    d->scan.resets = (Stmt **)sc.resets.items;
    d->scan.nresets = sc.resets.len;
    sema_store_facts(&sc.b, d);
    scan_mark_packs(d);
}
