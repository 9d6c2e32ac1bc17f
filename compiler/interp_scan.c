/* interp_scan.c - reference scan (LANGUAGE.md section 5): a sequential walk
 * over t. Each step
 *   1. resets every state with `reset h at p` to its init where
 *      p.start(t) == t (t > 0; at t = 0 every state holds its init),
 *   2. applies the state updates in statement order, each computed for every
 *      index tuple from the values before that update, then committed,
 *   3. evaluates every output element at position t from the updated states.
 * States are double arrays in C order over their index names; a scan with
 * no state is a windowed map. Shifted reads follow the no-leakage rule
 * (interp_data.c, BOUNDS_ZERO_FILL). */
#include <stdlib.h>
#include <string.h>

#include "interp_internal.h"

/* Size limit for one state (elements), so a bad launch cannot exhaust memory. */
#define INTERP_MAX_STATE_ELEMS ((int64_t)1 << 28)

/* Odometer over the index names of a state or output: position i walks
 * ivar[i] over [0, extent[i]) in C order; position `fixed` (or -1) stays at
 * `at`. */
typedef struct InterpWalk {
    int n;
    int ivar[ATTN_MAX_RANK];
    int64_t extent[ATTN_MAX_RANK];
    int64_t cur[ATTN_MAX_RANK];
    int fixed;
} InterpWalk;

static void interp_walk_set(InterpEnv *env, const InterpWalk *w)
{
    for (int i = 0; i < w->n; i++)
        if (i != w->fixed && w->ivar[i] >= 0)
            env->ivars[w->ivar[i]] = (int32_t)w->cur[i];
    interp_touch(env);
}

/* Moves to the first tuple; false when the walk is empty. */
static bool interp_walk_first(InterpEnv *env, InterpWalk *w)
{
    for (int i = 0; i < w->n; i++) {
        if (w->extent[i] <= 0)
            return false;
        w->cur[i] = i == w->fixed ? w->cur[i] : 0;
    }
    interp_walk_set(env, w);
    return true;
}

static bool interp_walk_next(InterpEnv *env, InterpWalk *w)
{
    for (int i = w->n - 1; i >= 0; i--) {
        if (i == w->fixed)
            continue;
        if (++w->cur[i] < w->extent[i]) {
            interp_walk_set(env, w);
            return true;
        }
        w->cur[i] = 0;
    }
    return false;
}

static int64_t interp_walk_offset(const InterpWalk *w)
{
    int64_t off = 0;
    for (int i = 0; i < w->n; i++)
        off = off * w->extent[i] + w->cur[i];
    return off;
}

/* ------------------------------------------------------------- states */

typedef struct InterpScan {
    InterpEnv *env;
    const Decl *d;
    int32_t len;           /* L */
    double *tmp;           /* update buffer, as large as the largest state */
    const attn_pack_arg **reset_pack; /* per reset statement */
} InterpScan;

static bool interp_valid_ivar(const InterpScan *sc, int ivar)
{
    return ivar >= 0 && ivar < sc->d->scan.nivars;
}

/* Extent of dimension id of the scan. */
static bool interp_scan_extent(const InterpScan *sc, int id, int64_t *out)
{
    if (id < 0 || id >= sc->d->ndims || id >= ATTN_MAX_VARIANT_DIMS)
        return interp_fail_plain(sc->env, "internal error: bad dimension id %d", id);
    *out = sc->env->ctx->dims[id];
    return true;
}

/* The walk over every element of state si. */
static void interp_state_walk(const InterpScan *sc, int si, InterpWalk *w)
{
    const InterpState *s = &sc->env->states[si];
    w->n = s->rank;
    w->fixed = -1;
    for (int i = 0; i < s->rank; i++) {
        w->ivar[i] = s->ivar[i];
        w->extent[i] = s->shape[i];
    }
}

static bool interp_state_alloc(InterpScan *sc, int si, int64_t *largest)
{
    const Stmt *st = sc->d->scan.states[si];
    InterpState *s = &sc->env->states[si];
    if (st->nidx > ATTN_MAX_RANK)
        return interp_fail(sc->env, st->span, "state '%s' has more than %d indices", st->name,
                           ATTN_MAX_RANK);
    s->rank = st->nidx;
    int64_t n = 1;
    for (int i = 0; i < st->nidx; i++) {
        s->ivar[i] = st->idx[i].ivar;
        if (!interp_valid_ivar(sc, s->ivar[i]) ||
            !interp_scan_extent(sc, sc->d->scan.ivars[s->ivar[i]].dim_id, &s->shape[i]))
            return interp_fail(sc->env, st->span, "internal error: bad index of state '%s'", st->name);
        if (s->shape[i] < 0)
            return interp_fail(sc->env, st->span, "state '%s' has a negative size", st->name);
        n *= s->shape[i];
        if (n > INTERP_MAX_STATE_ELEMS)
            return interp_fail(sc->env, st->span,
                               "state '%s' is too large for the reference interpreter", st->name);
    }
    s->data = calloc((size_t)(n ? n : 1), sizeof *s->data);
    if (!s->data)
        return interp_fail_plain(sc->env, "out of memory");
    if (n > *largest)
        *largest = n;
    return true;
}

/* Sets every element of state si to its init expression (default 0). */
static bool interp_state_init(InterpScan *sc, int si)
{
    const Stmt *st = sc->d->scan.states[si];
    InterpWalk w;
    interp_state_walk(sc, si, &w);
    for (bool more = interp_walk_first(sc->env, &w); more; more = interp_walk_next(sc->env, &w)) {
        InterpValue v = interp_f32(0.0);
        if (st->value && !interp_eval(sc->env, st->value, &v))
            return false;
        sc->env->states[si].data[interp_walk_offset(&w)] = interp_as_f(v);
    }
    return true;
}

/* Applies update statement u to every element of its state. */
static bool interp_state_update(InterpScan *sc, const Stmt *u)
{
    if (u->target < 0 || u->target >= sc->d->scan.nstates)
        return interp_fail(sc->env, u->span, "internal error: update of an unknown state");
    InterpState *s = &sc->env->states[u->target];
    InterpWalk w;
    interp_state_walk(sc, u->target, &w);
    int64_t n = 0;
    for (bool more = interp_walk_first(sc->env, &w); more; more = interp_walk_next(sc->env, &w), n++) {
        InterpValue v;
        if (!interp_eval(sc->env, u->value, &v))
            return false;
        sc->tmp[interp_walk_offset(&w)] = interp_as_f(v);
    }
    memcpy(s->data, sc->tmp, (size_t)n * sizeof *s->data);
    interp_touch(sc->env);
    return true;
}

/* ------------------------------------------------------------ outputs */

/* Extent of dimension k of a declared output type. */
static bool interp_type_extent(const InterpScan *sc, const TypeRef *ty, int k, int64_t *out)
{
    const DimRef *dr = &ty->dims[k];
    if (dr->dim_id < 0) {
        *out = dr->value;
        return true;
    }
    return interp_scan_extent(sc, dr->dim_id, out);
}

/* Evaluates output statement st at the current t into its output array. */
static bool interp_output_step(InterpScan *sc, const Stmt *st, double **outputs)
{
    const Decl *d = sc->d;
    if (st->target < 0 || st->target >= d->noutputs)
        return interp_fail(sc->env, st->span, "internal error: unknown output");
    const TypeRef *ty = d->outputs[st->target]->type;
    if (!ty || ty->kind != TY_TENSOR || ty->ndims != st->nidx || st->nidx > ATTN_MAX_RANK)
        return interp_fail(sc->env, st->span, "output '%s' is indexed with %d names, declared with %d",
                           st->name, st->nidx, ty && ty->kind == TY_TENSOR ? ty->ndims : 0);
    InterpWalk w = {.n = st->nidx, .fixed = -1};
    for (int i = 0; i < st->nidx; i++) {
        const IndexBinding *ib = &st->idx[i];
        bool is_t = ib->name && strcmp(ib->name, d->scan.axis_var) == 0;
        w.ivar[i] = is_t || !interp_valid_ivar(sc, ib->ivar) ? -1 : ib->ivar;
        if (!is_t && w.ivar[i] < 0)
            return interp_fail(sc->env, ib->span, "internal error: unbound output index '%s'",
                               ib->name ? ib->name : "?");
        if (!interp_type_extent(sc, ty, i, &w.extent[i]))
            return false;
        if (is_t) {
            w.fixed = i;
            w.cur[i] = sc->env->var[IV_T];
            if (w.cur[i] >= w.extent[i])
                return true; /* the output is shorter than L along t: nothing at this t */
        }
    }
    for (bool more = interp_walk_first(sc->env, &w); more; more = interp_walk_next(sc->env, &w)) {
        InterpValue v;
        if (!interp_eval(sc->env, st->value, &v))
            return false;
        outputs[st->target][interp_walk_offset(&w)] = interp_as_f(v);
    }
    return true;
}

int64_t interp_scan_output_elems(const Decl *scan, const attn_ctx *ctx, int i)
{
    if (!scan || scan->kind != DECL_SCAN || i < 0 || i >= scan->noutputs)
        return -1;
    const TypeRef *ty = scan->outputs[i]->type;
    if (!ty || ty->kind != TY_TENSOR)
        return -1;
    int64_t n = 1;
    for (int k = 0; k < ty->ndims; k++) {
        int id = ty->dims[k].dim_id;
        if (id >= ATTN_MAX_VARIANT_DIMS)
            return -1;
        int64_t e = id < 0 ? ty->dims[k].value : ctx->dims[id];
        if (e < 0)
            return -1;
        n *= e;
    }
    return n;
}

/* ------------------------------------------------------------- driver */

/* Resolves the pack of every reset statement and checks it spans L. */
static bool interp_scan_resets(InterpScan *sc)
{
    const Decl *d = sc->d;
    for (int r = 0; r < d->scan.nresets; r++) {
        const Stmt *st = d->scan.resets[r];
        sc->reset_pack[r] = NULL;
        for (int i = 0; i < d->nparams; i++)
            if (d->params[i]->type && d->params[i]->type->kind == TY_PACK &&
                strcmp(d->params[i]->name, st->pack) == 0)
                sc->reset_pack[r] = &sc->env->ctx->params[i].u.p;
        if (!sc->reset_pack[r] || st->target < 0 || st->target >= d->scan.nstates)
            return interp_fail(sc->env, st->span, "internal error: unresolved reset");
        if (sc->reset_pack[r]->length != sc->len)
            return interp_fail_plain(sc->env, "pack '%s' has length %d, but '%s' scans %s = %d",
                                     st->pack, (int)sc->reset_pack[r]->length, d->name,
                                     d->scan.axis_dim, (int)sc->len);
    }
    return true;
}

/* Binds t (and every index name that stands for the scanned axis). */
static void interp_scan_bind_t(InterpScan *sc, int32_t t)
{
    sc->env->var[IV_T] = t;
    for (int i = 0; i < sc->d->scan.nivars; i++)
        if (strcmp(sc->d->scan.ivars[i].name, sc->d->scan.axis_var) == 0)
            sc->env->ivars[i] = t;
    interp_touch(sc->env);
}

static bool interp_scan_step(InterpScan *sc, int32_t t, double **outputs)
{
    const Decl *d = sc->d;
    interp_scan_bind_t(sc, t);
    for (int r = 0; r < d->scan.nresets && t > 0; r++) {
        const attn_pack_arg *p = sc->reset_pack[r];
        if (p->offsets[interp_pack_seg(p, t)] == t &&
            !interp_state_init(sc, d->scan.resets[r]->target))
            return false;
        interp_scan_bind_t(sc, t);
    }
    for (int u = 0; u < d->scan.nupdates; u++)
        if (!interp_state_update(sc, d->scan.updates[u]))
            return false;
    for (int o = 0; o < d->scan.nouts; o++)
        if (!interp_output_step(sc, d->scan.outs[o], outputs))
            return false;
    return true;
}

static bool interp_scan_run(InterpScan *sc, double **outputs)
{
    const Decl *d = sc->d;
    InterpEnv *env = sc->env;
    int64_t len = 0;
    if (!d->scan.axis_var || !interp_scan_extent(sc, d->scan.axis_dim_id, &len))
        return interp_fail_plain(env, "internal error: scan without an axis");
    sc->len = (int32_t)len;
    for (int o = 0; o < d->noutputs; o++) {
        int64_t n = interp_scan_output_elems(d, env->ctx, o);
        if (n < 0 || (n > 0 && !outputs[o]))
            return interp_fail_plain(env, "output '%s': bad shape or no buffer", d->outputs[o]->name);
        memset(outputs[o], 0, (size_t)n * sizeof **outputs);
    }
    int64_t largest = 1;
    for (int si = 0; si < d->scan.nstates; si++)
        if (!interp_state_alloc(sc, si, &largest))
            return false;
    sc->tmp = malloc((size_t)largest * sizeof *sc->tmp);
    if (!sc->tmp)
        return interp_fail_plain(env, "out of memory");
    if (!interp_scan_resets(sc))
        return false;
    interp_scan_bind_t(sc, 0);
    for (int si = 0; si < d->scan.nstates; si++)
        if (!interp_state_init(sc, si))
            return false;
    for (int32_t t = 0; t < sc->len; t++)
        if (!interp_scan_step(sc, t, outputs))
            return false;
    return true;
}

bool interp_scan_opts(const Decl *scan, const attn_ctx *ctx, double **outputs,
                      const InterpOptions *opts, char *err, size_t errlen)
{
    InterpEnv env;
    InterpScan sc = {.env = &env, .d = scan};
    bool ok = interp_env_init(&env, scan, ctx, opts, err, errlen);
    if (ok && scan->kind != DECL_SCAN)
        ok = interp_fail_plain(&env, "'%s' is not a scan declaration", scan->name);
    if (ok && scan->noutputs && !outputs)
        ok = interp_fail_plain(&env, "no output buffers");
    if (ok) {
        env.ivars = calloc((size_t)scan->scan.nivars + 1, sizeof *env.ivars);
        env.states = calloc((size_t)scan->scan.nstates + 1, sizeof *env.states);
        sc.reset_pack = calloc((size_t)scan->scan.nresets + 1, sizeof *sc.reset_pack);
        if (!env.ivars || !env.states || !sc.reset_pack)
            ok = interp_fail_plain(&env, "out of memory");
    }
    ok = ok && interp_check_params(&env) && interp_scan_run(&sc, outputs);
    for (int si = 0; env.states && si < scan->scan.nstates; si++)
        free(env.states[si].data);
    free(env.states);
    free(env.ivars);
    free(sc.tmp);
    free(sc.reset_pack);
    interp_env_free(&env);
    return ok;
}

bool interp_scan(const Decl *scan, const attn_ctx *ctx, double **outputs, char *err,
                 size_t errlen)
{
    return interp_scan_opts(scan, ctx, outputs, NULL, err, errlen);
}
