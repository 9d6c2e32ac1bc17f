/* lower_scan_expr.c - the forms of expressions that only scans have: index
 * names and t, state reads, sum/max/min over an index name (a counted loop),
 * and zero-filled shifted reads (the no-leakage rule, LANGUAGE.md 5). Also
 * the counted loops lower_scan.c builds its row walk from. */
#include <math.h>
#include <stdint.h>

#include "lower_scan_internal.h"

void lower_lets_truncate(LowerEnv *env, int n)
{
    if (env->let_keys.len > n) {
        env->let_keys.len = n;
        env->let_values.len = n;
    }
}

LLVMValueRef lower_loop_open(LowerEnv *env, LowerLoop *lp, LLVMValueRef n, const char *name)
{
    Lower *L = env->L;
    LLVMValueRef fn = LLVMGetBasicBlockParent(LLVMGetInsertBlock(L->bld));
    LLVMBasicBlockRef pre = LLVMGetInsertBlock(L->bld);
    lp->head = LLVMAppendBasicBlockInContext(L->ctx, fn, name);
    LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(L->ctx, fn, "body");
    lp->exit = LLVMAppendBasicBlockInContext(L->ctx, fn, "done");
    LLVMBuildBr(L->bld, lp->head);
    LLVMPositionBuilderAtEnd(L->bld, lp->head);
    lp->iv = LLVMBuildPhi(L->bld, L->t.i32, name);
    LLVMValueRef zero = LLVMConstInt(L->t.i32, 0, 0);
    LLVMAddIncoming(lp->iv, &zero, &pre, 1);
    LLVMBuildCondBr(L->bld, LLVMBuildICmp(L->bld, LLVMIntSLT, lp->iv, n, ""), body, lp->exit);
    LLVMPositionBuilderAtEnd(L->bld, body);
    lp->nlets = env->let_keys.len;
    return lp->iv;
}

void lower_loop_close(LowerEnv *env, LowerLoop *lp)
{
    Lower *L = env->L;
    LLVMBasicBlockRef latch = LLVMGetInsertBlock(L->bld);
    LLVMValueRef next = LLVMBuildNSWAdd(L->bld, lp->iv, LLVMConstInt(L->t.i32, 1, 0), "");
    LLVMBuildBr(L->bld, lp->head);
    LLVMAddIncoming(lp->iv, &next, &latch, 1);
    LLVMPositionBuilderAtEnd(L->bld, lp->exit);
    lower_lets_truncate(env, lp->nlets);
}

LLVMValueRef lower_scan_alloca(LowerEnv *env, LLVMTypeRef ty)
{
    Lower *L = env->L;
    LLVMBasicBlockRef entry = LLVMGetEntryBasicBlock(env->scan->fn);
    LLVMBuilderRef b = LLVMCreateBuilderInContext(L->ctx);
    LLVMValueRef first = LLVMGetFirstInstruction(entry);
    if (first)
        LLVMPositionBuilderBefore(b, first);
    else
        LLVMPositionBuilderAtEnd(b, entry);
    LLVMValueRef a = LLVMBuildAlloca(b, ty, "");
    LLVMDisposeBuilder(b);
    return a;
}

LLVMValueRef lower_scan_extent(LowerEnv *env, int dim_id)
{
    const Decl *d = env->scan->d;
    if (dim_id < 0 || dim_id >= d->ndims)
        return NULL;
    return lower_dim(env, d->dims[dim_id], d->span);
}

LLVMValueRef lower_scan_lane_offset(LowerEnv *env, int s)
{
    Lower *L = env->L;
    LowerScan *sc = env->scan;
    LLVMValueRef off = LLVMConstInt(L->t.i64, 0, 0);
    for (int k = 0; k < sc->nlanes[s]; k++) {
        int iv = sc->lanes[s][k];
        LLVMValueRef ext = lower_scan_extent(env, sc->d->scan.ivars[iv].dim_id);
        if (!ext || !sc->ivals[iv]) {
            lower_fail(L, sc->d->scan.states[s]->span, "a state read with an unbound index");
            return NULL;
        }
        off = LLVMBuildNSWMul(L->bld, off, LLVMBuildSExt(L->bld, ext, L->t.i64, ""), "");
        off = LLVMBuildNSWAdd(L->bld, off, LLVMBuildSExt(L->bld, sc->ivals[iv], L->t.i64, ""), "");
    }
    return off;
}

/* Inside a chunk loop after the recurrence, state reads come from the
 * state's history: hist[lane * SCAN_CHUNK + tt]. */
LLVMValueRef lower_scan_state_ptr(LowerEnv *env, int s)
{
    Lower *L = env->L;
    LowerScan *sc = env->scan;
    LLVMValueRef off = lower_scan_lane_offset(env, s);
    if (!off)
        return NULL;
    if (!sc->hist || !sc->hist[s])
        return LLVMBuildInBoundsGEP2(L->bld, L->t.f32, sc->state_base[s], &off, 1, "");
    off = LLVMBuildNSWMul(L->bld, off, LLVMConstInt(L->t.i64, SCAN_CHUNK, 0), "");
    off = LLVMBuildNSWAdd(L->bld, off, LLVMBuildSExt(L->bld, sc->tt, L->t.i64, ""), "");
    return LLVMBuildInBoundsGEP2(L->bld, L->t.f32, sc->hist[s], &off, 1, "");
}

LLVMValueRef lower_reduce_init(Lower *L, Op op, ScalarKind sk)
{
    if (sk == SK_F32)
        return LLVMConstReal(L->t.f32, op == OP_SUM ? 0.0 : op == OP_MAX ? -INFINITY : INFINITY);
    long long v = op == OP_SUM ? 0 : op == OP_MAX ? INT32_MIN : INT32_MAX;
    return LLVMConstInt(L->t.i32, (unsigned long long)v, 1);
}

/* acc op v; an f32 sum may be reassociated so sums over lanes vectorize. */
LLVMValueRef lower_reduce_step(Lower *L, Op op, ScalarKind sk, LLVMValueRef acc,
                                      LLVMValueRef v)
{
    LLVMValueRef args[2] = {acc, v};
    if (sk != SK_F32)
        return op == OP_SUM   ? LLVMBuildAdd(L->bld, acc, v, "")
               : op == OP_MAX ? lower_intrinsic(L, "llvm.smax", args, 2)
                              : lower_intrinsic(L, "llvm.smin", args, 2);
    if (op != OP_SUM)
        return lower_intrinsic(L, op == OP_MAX ? "llvm.maximum" : "llvm.minimum", args, 2);
    LLVMValueRef r = LLVMBuildFAdd(L->bld, acc, v, "");
    LLVMSetFastMathFlags(r, LLVMFastMathAllowReassoc);
    return r;
}

/* sum/max/min(k [in K], body): a loop over k's extent. */
static LLVMValueRef lower_reduce(LowerEnv *env, const Expr *e, ScalarKind *kind)
{
    Lower *L = env->L;
    LowerScan *sc = env->scan;
    ScalarKind sk = lower_scalar_kind(e);
    for (int i = 0; i < sc->nred; i++)
        if (sc->red[i] == e && sc->red_acc[i]) {
            /* evaluated ahead for the whole chunk (lower_scan_chunk.c) */
            LLVMValueRef tt = LLVMBuildSExt(L->bld, sc->tt, L->t.i64, "");
            *kind = sk;
            return LLVMBuildLoad2(L->bld, lower_type(L, sk),
                                  LLVMBuildInBoundsGEP2(L->bld, lower_type(L, sk), sc->red_acc[i], &tt, 1, ""), "");
        }
    if (e->ref != REF_INDEXVAR || e->index < 0 || e->index >= sc->d->scan.nivars ||
        (sk != SK_F32 && sk != SK_I32)) {
        lower_fail(L, e->span, "this reduction");
        return NULL;
    }
    LLVMValueRef n = lower_scan_extent(env, sc->d->scan.ivars[e->index].dim_id);
    if (!n) {
        lower_fail(L, e->span, "a reduction over an unknown dimension");
        return NULL;
    }
    LLVMValueRef acc = lower_scan_alloca(env, lower_type(L, sk));
    LLVMBuildStore(L->bld, lower_reduce_init(L, e->op, sk), acc);
    LLVMValueRef saved = sc->ivals[e->index];
    LowerLoop lp;
    sc->ivals[e->index] = lower_loop_open(env, &lp, n, "reduce");
    LLVMValueRef v = lower_expr(env, e->a, sk);
    if (v)
        LLVMBuildStore(L->bld, lower_reduce_step(L, e->op, sk, LLVMBuildLoad2(L->bld, lower_type(L, sk), acc, ""), v), acc);
    lower_loop_close(env, &lp);
    sc->ivals[e->index] = saved;
    *kind = sk;
    return v ? LLVMBuildLoad2(L->bld, lower_type(L, sk), acc, "") : NULL;
}

/* Whether position pos (i32) of a zero-filled axis of size `size` (i64) is
 * readable from t: inside [0, size) and in t's segment of every pack. */
static LLVMValueRef lower_visible(LowerEnv *env, LLVMValueRef pos, LLVMValueRef size)
{
    Lower *L = env->L;
    const Decl *d = env->scan->d;
    LLVMValueRef pos64 = LLVMBuildSExt(L->bld, pos, L->t.i64, "");
    LLVMValueRef ok = LLVMBuildICmp(L->bld, LLVMIntULT, pos64, size, ""); /* 0 <= pos < size */
    for (int i = 0; i < d->nparams; i++) {
        if (d->params[i]->type->kind != TY_PACK)
            continue;
        LLVMValueRef slot = env->params[i];
        LLVMValueRef len = lower_load_field(L, L->t.pack, slot, 3, -1, L->t.i32);
        ok = LLVMBuildAnd(L->bld, ok, LLVMBuildICmp(L->bld, LLVMIntULT, pos, len, ""), "");
        LLVMValueRef same = LLVMBuildICmp(L->bld, LLVMIntEQ, lower_pack_id(L, slot, pos),
                                          lower_pack_id(L, slot, env->scan->t), "");
        ok = LLVMBuildAnd(L->bld, ok, same, "");
    }
    return ok;
}

/* x[..., t + c]: the element where every zero-filled position is visible, else 0. */
static LLVMValueRef lower_zero_fill_index(LowerEnv *env, const Expr *e, ScalarKind *kind)
{
    Lower *L = env->L;
    LLVMValueRef slot = lower_slot(env, e->a);
    if (!slot)
        return NULL;
    LLVMValueRef ok = LLVMConstInt(L->t.i1, 1, 0);
    for (int k = 0; k < e->nargs; k++) {
        if (e->bounds[k].kind != BOUNDS_ZERO_FILL)
            continue;
        LLVMValueRef pos = lower_expr(env, e->args[k], SK_I32);
        if (!pos)
            return NULL;
        LLVMValueRef size = lower_load_field(L, L->t.tensor, slot, 1, k, L->t.i64);
        ok = LLVMBuildAnd(L->bld, ok, lower_visible(env, pos, size), "");
    }
    LLVMValueRef v = lower_index(env, e, kind);
    if (!v)
        return NULL;
    return LLVMBuildSelect(L->bld, ok, v, LLVMConstNull(LLVMTypeOf(v)), "");
}

static bool lower_has_zero_fill(const Expr *e)
{
    for (int k = 0; e->bounds && k < e->nargs; k++)
        if (e->bounds[k].kind == BOUNDS_ZERO_FILL)
            return true;
    return false;
}

LLVMValueRef lower_scan_expr(LowerEnv *env, const Expr *e, ScalarKind *kind, bool *handled)
{
    LowerScan *sc = env->scan;
    *handled = true;
    if (e->kind == EX_REDUCE)
        return lower_reduce(env, e, kind);
    if (e->kind == EX_INDEX && lower_has_zero_fill(e))
        return lower_zero_fill_index(env, e, kind);
    if (e->kind == EX_NAME && e->ref == REF_IMPLICIT && e->index == IV_T && sc->t) {
        *kind = SK_I32;
        return sc->t;
    }
    if (e->kind == EX_NAME && e->ref == REF_INDEXVAR && e->index >= 0 &&
        e->index < sc->d->scan.nivars) {
        if (!sc->ivals[e->index]) {
            lower_fail(env->L, e->span, "an index name that is not bound here");
            return NULL;
        }
        *kind = SK_I32;
        return sc->ivals[e->index];
    }
    if (e->kind == EX_NAME && e->ref == REF_STATE && e->index >= 0 &&
        e->index < sc->d->scan.nstates) {
        *kind = SK_F32;
        if (sc->state_val && sc->state_val[e->index])
            return sc->state_val[e->index];
        LLVMValueRef p = lower_scan_state_ptr(env, e->index);
        return p ? LLVMBuildLoad2(env->L->bld, env->L->t.f32, p, "") : NULL;
    }
    *handled = false;
    return NULL;
}
