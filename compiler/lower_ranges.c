/* lower_ranges.c - the kv_ranges hook: which keys a query block must visit.
 *
 * i32 attn_hook_kv_ranges(i32 b, i32 h, i32 q0, i32 q1, const attn_ctx *,
 *                         attn_kv_range *out)
 *
 * From the mask analysis (analysis.h): each atom's keys that are visible for
 * every query of [q0, q1) and for some query, as intervals. The q-dependent
 * parts of an atom are monotone in q, so their extremes over the block are
 * at q0 and q1 - 1: the atom's sub-expressions are lowered twice, with q
 * bound to each end, through the ordinary expression lowering (lower_expr)
 * in one environment per inlined frame. lower_ranges_list.c combines the
 * intervals. Without a mask: one full range [0, KV). */
#include "attn_abi.h"
#include "lower_ranges.h"

/* Far outside any key index, and small enough that sums stay exact. */
#define RANGE_INF (INT64_C(1) << 40)
/* Affine values whose terms reach this magnitude could wrap in the mask's
 * own i32 arithmetic: the atom is then treated as opaque. */
#define RANGE_SAFE (INT64_C(1) << 31)

static LLVMValueRef rg_i64(RangeGen *G, int64_t v)
{
    return LLVMConstInt(G->L->t.i64, (unsigned long long)v, 1);
}

static LLVMValueRef rg_minmax(RangeGen *G, const char *which, LLVMValueRef a, LLVMValueRef b)
{
    LLVMValueRef args[2] = {a, b};
    return lower_intrinsic(G->L, which, args, 2);
}

static LLVMValueRef rg_clip(RangeGen *G, LLVMValueRef v)
{
    return rg_minmax(G, "llvm.smax", rg_minmax(G, "llvm.smin", v, G->kv), rg_i64(G, 0));
}

/* The lowering environment of frame f with q bound to G->q[k]. A callee's
 * parameters are its arguments lowered in the caller's environment, where
 * they are free of kv (the others are never read by what is lowered here). */
static LowerEnv *rg_env(RangeGen *G, const AnaFrame *f, int k)
{
    Lower *L = G->L;
    int i = 0;
    while (i < G->frames.len && G->frames.items[i] != f)
        i++;
    if (i == G->frames.len) {
        ptrvec_push(L->arena, &G->frames, (void *)f);
        ptrvec_push(L->arena, &G->envs[0], NULL);
        ptrvec_push(L->arena, &G->envs[1], NULL);
    }
    if (G->envs[k].items[i])
        return G->envs[k].items[i];
    LowerEnv *env = arena_alloc(L->arena, sizeof *env);
    lower_env_init(env, L, f->decl, G->ctx);
    env->implicit[IV_B] = G->b;
    env->implicit[IV_H] = G->h;
    env->implicit[IV_Q] = G->q[k];
    if (f->parent) {
        LowerEnv *caller = rg_env(G, f->parent, k);
        for (int p = 0; p < f->decl->nparams; p++) {
            const TypeRef *ty = f->decl->params[p]->type;
            const Expr *arg = analysis_frame_arg(f, p);
            bool scalar = ty->kind == TY_SCALAR;
            if (arg && analysis_free_of(arg, f->parent, false))
                env->params[p] = scalar ? lower_expr(caller, arg, ty->scalar) : lower_slot(caller, arg);
            else
                env->params[p] = LLVMGetUndef(scalar ? lower_type(L, ty->scalar) : L->t.ptr);
        }
    }
    G->envs[k].items[i] = env;
    return env;
}

/* An i32 expression of frame f with q = G->q[k], as i64. */
static LLVMValueRef rg_value(RangeGen *G, const Expr *e, const AnaFrame *f, int k)
{
    LLVMValueRef v = lower_expr(rg_env(G, f, k), e, SK_I32);
    return v ? LLVMBuildSExt(G->L->bld, v, G->L->t.i64, "") : rg_i64(G, 0);
}

/* l at q = G->q[k]; *ok &= its guards (divisors > 0, no i32 wrap). */
static LLVMValueRef rg_lin(RangeGen *G, const AnaLin *l, int k, LLVMValueRef *ok)
{
    LLVMBuilderRef bld = G->L->bld;
    LLVMValueRef q = LLVMBuildSExt(bld, G->q[k], G->L->t.i64, "");
    LLVMValueRef v = LLVMBuildAdd(bld, rg_i64(G, l->c), LLVMBuildMul(bld, rg_i64(G, l->cq), q, ""), "");
    int64_t cabs = l->c < 0 ? -l->c : l->c, qabs = l->cq < 0 ? -l->cq : l->cq;
    LLVMValueRef mag = LLVMBuildAdd(bld, rg_i64(G, cabs), LLVMBuildMul(bld, rg_i64(G, qabs), q, ""), "");
    mag = LLVMBuildAdd(bld, mag, G->kv, "");
    for (int i = 0; i < l->n; i++) {
        const AnaTerm *t = &l->t[i];
        LLVMValueRef x = rg_value(G, t->e, t->f, t->qdep ? k : 0);
        v = LLVMBuildAdd(bld, v, LLVMBuildMul(bld, rg_i64(G, t->coef), x, ""), "");
        LLVMValueRef ax = LLVMBuildMul(bld, rg_i64(G, t->coef < 0 ? -t->coef : t->coef),
                                       rg_minmax(G, "llvm.smax", x, LLVMBuildNeg(bld, x, "")), "");
        mag = LLVMBuildAdd(bld, mag, ax, "");
        if (t->guard) {
            LLVMValueRef d = rg_value(G, t->guard, t->guard_f, 0);
            *ok = LLVMBuildAnd(bld, *ok, LLVMBuildICmp(bld, LLVMIntSGT, d, rg_i64(G, 0), ""), "");
        }
    }
    *ok = LLVMBuildAnd(bld, *ok, LLVMBuildICmp(bld, LLVMIntSLT, mag, rg_i64(G, RANGE_SAFE), ""), "");
    return v;
}

/* min and max of l over the block (l is monotone: the ends). */
static void rg_lin_extremes(RangeGen *G, const AnaLin *l, LLVMValueRef *ok, LLVMValueRef *mn,
                            LLVMValueRef *mx)
{
    LLVMValueRef a = rg_lin(G, l, 0, ok), b = rg_lin(G, l, 1, ok);
    *mn = rg_minmax(G, "llvm.smin", a, b);
    *mx = rg_minmax(G, "llvm.smax", a, b);
}

/* K in [lo(q), hi(q)): full [max lo, min hi), some [min lo, max hi); with
 * K = (kv + off) / d, a bound b of K is the key bound b * d - off (floor
 * division, d > 0; K's bounds are first clamped to +-2^31, which holds every
 * K whose kv + off does not wrap in i32, as the guard on off ensures). */
static void rg_range_atom(RangeGen *G, const AnaAtom *at, int i, LLVMValueRef *ok)
{
    LLVMBuilderRef bld = G->L->bld;
    LLVMValueRef lo_mn = rg_i64(G, -RANGE_INF), lo_mx = lo_mn;
    LLVMValueRef hi_mn = rg_i64(G, RANGE_INF), hi_mx = hi_mn;
    if (at->has_lo)
        rg_lin_extremes(G, &at->lo, ok, &lo_mn, &lo_mx);
    if (at->has_hi)
        rg_lin_extremes(G, &at->hi, ok, &hi_mn, &hi_mx);
    LLVMValueRef v[4] = {lo_mx, hi_mn, lo_mn, hi_mx};
    LLVMValueRef d = NULL, off = rg_i64(G, 0);
    if (at->key.div) {
        d = rg_value(G, at->key.div, at->key.div_f, 0);
        *ok = LLVMBuildAnd(bld, *ok, LLVMBuildICmp(bld, LLVMIntSGT, d, rg_i64(G, 0), ""), "");
        d = rg_minmax(G, "llvm.smax", d, rg_i64(G, 1));
        if (at->key.off)
            off = rg_lin(G, at->key.off, 0, ok); /* guarded: |off| + KV < 2^31 */
    }
    for (int j = 0; j < 4; j++) {
        if (d) {
            LLVMValueRef k = rg_minmax(G, "llvm.smax", v[j], rg_i64(G, -RANGE_SAFE));
            k = rg_minmax(G, "llvm.smin", k, rg_i64(G, RANGE_SAFE));
            v[j] = LLVMBuildSub(bld, LLVMBuildMul(bld, k, d, ""), off, "");
        }
        v[j] = rg_clip(G, v[j]);
    }
    G->full_lo[i] = v[0];
    G->full_hi[i] = v[1];
    G->some_lo[i] = v[2];
    G->some_hi[i] = v[3];
}

/* Sets atom i's intervals to [0, all ? KV : 0) and [0, some ? KV : 0). */
static void rg_whole(RangeGen *G, int i, LLVMValueRef all, LLVMValueRef some)
{
    LLVMValueRef zero = rg_i64(G, 0);
    G->full_lo[i] = G->some_lo[i] = zero;
    G->full_hi[i] = LLVMBuildSelect(G->L->bld, all, G->kv, zero, "");
    G->some_hi[i] = LLVMBuildSelect(G->L->bld, some, G->kv, zero, "");
}

/* e(q) <= 0 or == 0 with e monotone: decided at the block's ends. */
static void rg_qonly_atom(RangeGen *G, const AnaAtom *at, int i, LLVMValueRef *ok)
{
    LLVMBuilderRef bld = G->L->bld;
    LLVMValueRef mn, mx, zero = rg_i64(G, 0);
    rg_lin_extremes(G, &at->e, ok, &mn, &mx);
    LLVMValueRef all, some;
    if (at->eq) {
        all = LLVMBuildAnd(bld, LLVMBuildICmp(bld, LLVMIntEQ, mn, zero, ""),
                           LLVMBuildICmp(bld, LLVMIntEQ, mx, zero, ""), "");
        some = LLVMBuildAnd(bld, LLVMBuildICmp(bld, LLVMIntSLE, mn, zero, ""),
                            LLVMBuildICmp(bld, LLVMIntSGE, mx, zero, ""), "");
    } else {
        all = LLVMBuildICmp(bld, LLVMIntSLE, mx, zero, "");
        some = LLVMBuildICmp(bld, LLVMIntSLE, mn, zero, "");
    }
    rg_whole(G, i, all, some);
}

void lower_ranges_atoms(RangeGen *G)
{
    Lower *L = G->L;
    LLVMBuilderRef bld = L->bld;
    for (int i = 0; i < G->m->natoms && !L->failed; i++) {
        const AnaAtom *at = G->m->atoms[i];
        LLVMValueRef ok = LLVMConstInt(L->t.i1, 1, 0);
        LLVMValueRef t = LLVMConstInt(L->t.i1, 1, 0), f = LLVMConstInt(L->t.i1, 0, 0);
        switch (at->kind) {
        case AA_RANGE: rg_range_atom(G, at, i, &ok); break;
        case AA_QONLY: rg_qonly_atom(G, at, i, &ok); break;
        case AA_BOOL: {
            LLVMValueRef v = lower_expr(rg_env(G, at->f, 0), at->value, SK_BOOL);
            v = v ? v : f;
            rg_whole(G, i, v, v);
            break;
        }
        case AA_OPAQUE: rg_whole(G, i, f, t); break;
        }
        /* A failed guard: nothing known (no key full, every key possible). */
        G->full_hi[i] = LLVMBuildSelect(bld, ok, G->full_hi[i], G->full_lo[i], "");
        G->some_lo[i] = LLVMBuildSelect(bld, ok, G->some_lo[i], rg_i64(G, 0), "");
        G->some_hi[i] = LLVMBuildSelect(bld, ok, G->some_hi[i], G->kv, "");
    }
}

/* No mask: one full range [0, KV). */
static LLVMValueRef rg_all_visible(Lower *L, LLVMValueRef ctx, LLVMValueRef out)
{
    LLVMValueRef fields[3] = {LLVMConstInt(L->t.i32, 0, 0), lower_ctx_dim(L, ctx, ATTN_DIM_KV),
                              LLVMConstInt(L->t.i32, 1, 0)};
    for (unsigned i = 0; i < 3; i++) {
        LLVMValueRef idx[2] = {LLVMConstInt(L->t.i32, 0, 0), LLVMConstInt(L->t.i32, i, 0)};
        LLVMBuildStore(L->bld, fields[i], LLVMBuildInBoundsGEP2(L->bld, L->t.range, out, idx, 2, ""));
    }
    return LLVMConstInt(L->t.i32, 1, 0);
}

void lower_kv_ranges_hook(Lower *L, const MaskAnalysis *m)
{
    LLVMTypeRef args[] = {L->t.i32, L->t.i32, L->t.i32, L->t.i32, L->t.ptr, L->t.ptr};
    LLVMValueRef fn = lower_add_function(L, "attn_hook_kv_ranges", L->t.i32, args, 6, false);
    LLVMValueRef ctx = LLVMGetParam(fn, 4), out = LLVMGetParam(fn, 5);
    if (!m->root) {
        LLVMBuildRet(L->bld, rg_all_visible(L, ctx, out));
        return;
    }
    RangeGen G = {.L = L, .m = m, .ctx = ctx, .b = LLVMGetParam(fn, 0), .h = LLVMGetParam(fn, 1)};
    LLVMValueRef q0 = LLVMGetParam(fn, 2), q1 = LLVMGetParam(fn, 3);
    LLVMValueRef last = LLVMBuildSub(L->bld, q1, LLVMConstInt(L->t.i32, 1, 0), "");
    LLVMValueRef pair[2] = {last, q0};
    G.q[0] = q0;
    G.q[1] = lower_intrinsic(L, "llvm.smax", pair, 2);
    G.kv = LLVMBuildSExt(L->bld, lower_ctx_dim(L, ctx, ATTN_DIM_KV), L->t.i64, "");
    size_t n = (size_t)(m->natoms ? m->natoms : 1) * sizeof(LLVMValueRef);
    G.full_lo = arena_alloc(L->arena, n);
    G.full_hi = arena_alloc(L->arena, n);
    G.some_lo = arena_alloc(L->arena, n);
    G.some_hi = arena_alloc(L->arena, n);
    lower_ranges_atoms(&G);
    if (!L->failed)
        LLVMBuildRet(L->bld, lower_ranges_list(&G, out));
}
