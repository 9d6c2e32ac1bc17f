/* lower_scan_deps.c - what a scan expression depends on: the index names it
 * reads (free ones: a sum binds its own), whether it reads t and whether it
 * reads a state, following let references. The chunked row walk
 * (lower_scan_chunk.c) uses it to decide what can be evaluated ahead of the
 * recurrence. */
#include "lower_scan_internal.h"

/* Ivars past 63 share bit 63: an expression reading one counts as reading
 * all of them, which is merely conservative. */
uint64_t lower_scan_ivar_bit(int ivar)
{
    return 1ull << (ivar < 63 ? ivar : 63);
}

static void deps_merge(ScanDeps *into, ScanDeps from)
{
    into->ivars |= from.ivars;
    into->t |= from.t;
    into->state |= from.state;
}

/* deps of a let, memoized by its slot (let chains may share subtrees). */
static ScanDeps deps_let(LowerScan *sc, const LetBinding *let)
{
    if (let->slot < 0 || let->slot >= sc->d->nlets || !sc->let_deps)
        return lower_scan_deps(sc, let->value);
    if (!sc->let_deps_done[let->slot]) {
        sc->let_deps[let->slot] = lower_scan_deps(sc, let->value);
        sc->let_deps_done[let->slot] = true;
    }
    return sc->let_deps[let->slot];
}

ScanDeps lower_scan_deps(LowerScan *sc, const Expr *e)
{
    ScanDeps r = {0};
    if (!e || e->const_valid)
        return r;
    if (e->kind == EX_NAME) {
        if (e->ref == REF_INDEXVAR && e->index >= 0)
            r.ivars = lower_scan_ivar_bit(e->index);
        else if (e->ref == REF_IMPLICIT && e->index == IV_T)
            r.t = true;
        else if (e->ref == REF_STATE)
            r.state = true;
        else if (e->ref == REF_LET && e->let)
            r = deps_let(sc, e->let);
        return r;
    }
    deps_merge(&r, lower_scan_deps(sc, e->a));
    deps_merge(&r, lower_scan_deps(sc, e->b));
    deps_merge(&r, lower_scan_deps(sc, e->c));
    for (int i = 0; i < e->nargs; i++)
        deps_merge(&r, lower_scan_deps(sc, e->args[i]));
    for (int i = 0; e->kind == EX_BLOCK && i < e->nlets; i++)
        deps_merge(&r, lower_scan_deps(sc, e->lets[i]->value));
    if (e->kind == EX_REDUCE && e->ref == REF_INDEXVAR && e->index >= 0 && e->index < 63)
        r.ivars &= ~lower_scan_ivar_bit(e->index);
    return r;
}
