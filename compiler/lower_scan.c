/* lower_scan.c - lower_scan: the hook module of one scan (attn_abi.h,
 * "scans").
 *
 * A scan is split into rows: the tuples of the output index names other than
 * the `over` variable (every output must have the same ones). The state
 * indices that are not row indices are the state's lanes; sum/max/min over
 * lanes happen inside expressions. attn_scan_hook_row(ctx, io, scratch, row)
 * decodes the row's index values (C order), then
 *
 *     init every state's lanes (its init expression, or 0)
 *     for t in 0 .. L-1:
 *         for each `reset h at p` with t > 0 and p.start(t) == t: init h
 *         for each update h = a * h + c, in order:
 *             for each lane: h = a * h + c          (counted loops: vectorized)
 *         for each output: out[row, t] = value     (sums are counted loops)
 *
 * which is the reference interpreter's order (interp_scan.c). States live in
 * the caller's scratch (noalias), one after the other. */
#include <stdio.h>
#include <string.h>

#include "attn_abi.h"
#include "lower_scan_internal.h"

/* Row and lane layout of a scan, decided before any IR is built. */
typedef struct ScanShape {
    int rows[ATTN_MAX_RANK]; /* row ivars, C order */
    int nrows;
    int over;                /* the ivar of the over variable, or -1 */
} ScanShape;

static bool scan_is_over(const Decl *d, const IndexBinding *ib)
{
    return ib->name && d->scan.axis_var && strcmp(ib->name, d->scan.axis_var) == 0;
}

static bool scan_has(const int *v, int n, int x)
{
    for (int i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
}

/* Fills sh from the outputs; false with a message when unsupported. */
static bool scan_shape(const Decl *d, ScanShape *sh, char *err)
{
    sh->nrows = 0;
    sh->over = -1;
    for (int i = 0; i < d->scan.nivars; i++)
        if (d->scan.axis_var && strcmp(d->scan.ivars[i].name, d->scan.axis_var) == 0)
            sh->over = i;
    for (int o = 0; o < d->noutputs; o++) {
        const TypeRef *ty = d->outputs[o]->type;
        if (!ty || ty->kind != TY_TENSOR || ty->scalar != SK_F32) {
            snprintf(err, LOWER_ERR_LEN, "scan '%.100s': output '%.60s' must be an f32 tensor "
                     "for this code generator", d->name, d->outputs[o]->name);
            return false;
        }
    }
    for (int s = 0; s < d->scan.nouts; s++) {
        const Stmt *st = d->scan.outs[s];
        int here[ATTN_MAX_RANK], n = 0;
        for (int k = 0; k < st->nidx && n < ATTN_MAX_RANK; k++)
            if (!scan_is_over(d, &st->idx[k]))
                here[n++] = st->idx[k].ivar;
        if (s == 0) {
            memcpy(sh->rows, here, sizeof here);
            sh->nrows = n;
            continue;
        }
        bool same = n == sh->nrows;
        for (int k = 0; k < n && same; k++)
            same = scan_has(sh->rows, sh->nrows, here[k]);
        if (!same) {
            snprintf(err, LOWER_ERR_LEN,
                     "%d:%d: outputs '%.30s' and '%.30s' of '%.30s' differ in their indices "
                     "besides '%.20s'; this code generator needs them equal",
                     st->span.line, st->span.col, d->scan.outs[0]->name, st->name, d->name,
                     d->scan.axis_var);
            return false;
        }
    }
    return true;
}

/* Product of the extents of ivars v[0..n) as i64 (1 when n = 0). */
static LLVMValueRef scan_product(LowerEnv *env, const int *v, int n)
{
    Lower *L = env->L;
    LLVMValueRef p = LLVMConstInt(L->t.i64, 1, 0);
    for (int i = 0; i < n; i++) {
        LLVMValueRef e = lower_scan_extent(env, env->scan->d->scan.ivars[v[i]].dim_id);
        p = LLVMBuildMul(L->bld, p, LLVMBuildSExt(L->bld, e, L->t.i64, ""), "");
    }
    return p;
}

/* Reads every parameter and dimension in the entry block, so their values
 * dominate all the loops built later. */
static void scan_preload(LowerEnv *env)
{
    const Decl *d = env->decl;
    for (int i = 0; i < d->nparams; i++) {
        const TypeRef *ty = d->params[i]->type;
        LLVMValueRef slot = lower_ctx_param(env->L, env->ctx, i);
        env->params[i] = ty->kind == TY_SCALAR ? lower_param_scalar(env->L, slot, ty->scalar) : slot;
    }
    for (int j = 0; j < d->ndims && j < ATTN_MAX_VARIANT_DIMS; j++)
        env->dims[j] = lower_ctx_dim(env->L, env->ctx, j);
}

/* Opens loops over the lanes of state s (binding their ivars). */
static void scan_lanes_open(LowerEnv *env, int s, LowerLoop *loops)
{
    LowerScan *sc = env->scan;
    for (int k = 0; k < sc->nlanes[s]; k++) {
        int iv = sc->lanes[s][k];
        sc->ivals[iv] = lower_loop_open(env, &loops[k], lower_scan_extent(env, sc->d->scan.ivars[iv].dim_id),
                                        "lane");
    }
}

static void scan_lanes_close(LowerEnv *env, int s, LowerLoop *loops)
{
    LowerScan *sc = env->scan;
    for (int k = sc->nlanes[s] - 1; k >= 0; k--) {
        lower_loop_close(env, &loops[k]);
        sc->ivals[sc->lanes[s][k]] = NULL;
    }
}

/* Every lane of state s := its init expression (default 0). */
static void scan_state_init(LowerEnv *env, int s)
{
    Lower *L = env->L;
    const Stmt *st = env->scan->d->scan.states[s];
    LowerLoop loops[ATTN_MAX_RANK];
    int nlets = env->let_keys.len;
    scan_lanes_open(env, s, loops);
    LLVMValueRef v = st->value ? lower_expr(env, st->value, SK_F32) : LLVMConstReal(L->t.f32, 0.0);
    LLVMValueRef p = v ? lower_scan_state_ptr(env, s) : NULL;
    if (p)
        LLVMBuildStore(L->bld, v, p);
    scan_lanes_close(env, s, loops);
    lower_lets_truncate(env, nlets);
}

/* `reset h at p`: if t > 0 and offsets[seg_of[t]] == t, init h. */
static void scan_reset(LowerEnv *env, const Stmt *st)
{
    Lower *L = env->L;
    const Decl *d = env->scan->d;
    LLVMValueRef slot = NULL;
    for (int i = 0; i < d->nparams; i++)
        if (d->params[i]->type->kind == TY_PACK && strcmp(d->params[i]->name, st->pack) == 0)
            slot = env->params[i];
    if (!slot || st->target < 0 || st->target >= d->scan.nstates) {
        lower_fail(L, st->span, "an unresolved reset");
        return;
    }
    LLVMValueRef t = env->scan->t;
    LLVMValueRef idx = LLVMBuildSExt(L->bld, t, L->t.i64, "");
    LLVMValueRef seg_of = lower_load_field(L, L->t.pack, slot, 1, -1, L->t.ptr);
    LLVMValueRef seg = LLVMBuildLoad2(L->bld, L->t.i32, LLVMBuildGEP2(L->bld, L->t.i32, seg_of, &idx, 1, ""), "");
    LLVMValueRef offs = lower_load_field(L, L->t.pack, slot, 0, -1, L->t.ptr);
    LLVMValueRef sidx = LLVMBuildSExt(L->bld, seg, L->t.i64, "");
    LLVMValueRef start = LLVMBuildLoad2(L->bld, L->t.i32, LLVMBuildGEP2(L->bld, L->t.i32, offs, &sidx, 1, ""), "");
    LLVMValueRef cond = LLVMBuildAnd(L->bld, LLVMBuildICmp(L->bld, LLVMIntEQ, start, t, ""),
                                     LLVMBuildICmp(L->bld, LLVMIntSGT, t, LLVMConstInt(L->t.i32, 0, 0), ""), "");
    LLVMValueRef fn = env->scan->fn;
    LLVMBasicBlockRef yes = LLVMAppendBasicBlockInContext(L->ctx, fn, "reset");
    LLVMBasicBlockRef after = LLVMAppendBasicBlockInContext(L->ctx, fn, "after_reset");
    LLVMBuildCondBr(L->bld, cond, yes, after);
    LLVMPositionBuilderAtEnd(L->bld, yes);
    scan_state_init(env, st->target);
    LLVMBuildBr(L->bld, after);
    LLVMPositionBuilderAtEnd(L->bld, after);
}

/* h = a * h + c over the lanes of the updated state. */
static void scan_update(LowerEnv *env, const Stmt *st)
{
    Lower *L = env->L;
    if (st->target < 0 || st->target >= env->scan->d->scan.nstates || !st->update_a) {
        lower_fail(L, st->span, "this state update");
        return;
    }
    LowerLoop loops[ATTN_MAX_RANK];
    scan_lanes_open(env, st->target, loops);
    LLVMValueRef a = lower_expr(env, st->update_a, SK_F32);
    LLVMValueRef c = lower_expr(env, st->update_c, SK_F32);
    LLVMValueRef p = a && c ? lower_scan_state_ptr(env, st->target) : NULL;
    if (p) {
        LLVMValueRef h = LLVMBuildLoad2(L->bld, L->t.f32, p, "");
        LLVMBuildStore(L->bld, LLVMBuildFAdd(L->bld, LLVMBuildFMul(L->bld, a, h, ""), c, ""), p);
    }
    scan_lanes_close(env, st->target, loops);
}

/* out[row, t] = value, when t lies inside the output along its t axis. */
static void scan_output(LowerEnv *env, const Stmt *st, LLVMValueRef io)
{
    Lower *L = env->L;
    LowerScan *sc = env->scan;
    LLVMValueRef v = lower_expr(env, st->value, SK_F32);
    if (!v)
        return;
    LLVMTypeRef outs_ty = LLVMArrayType2(L->t.tensor, ATTN_MAX_SCAN_OUTPUTS);
    LLVMValueRef gi[3] = {LLVMConstInt(L->t.i32, 0, 0), LLVMConstInt(L->t.i32, 0, 0),
                          LLVMConstInt(L->t.i32, (unsigned)st->target, 0)};
    LLVMTypeRef io_fields[2] = {outs_ty, L->t.i32};
    LLVMTypeRef io_ty = LLVMStructTypeInContext(L->ctx, io_fields, 2, 0);
    LLVMValueRef slot = LLVMBuildInBoundsGEP2(L->bld, io_ty, io, gi, 3, "");
    LLVMValueRef off = LLVMConstInt(L->t.i64, 0, 0);
    LLVMValueRef inside = LLVMConstInt(L->t.i1, 1, 0);
    for (int k = 0; k < st->nidx; k++) {
        bool over = scan_is_over(sc->d, &st->idx[k]);
        LLVMValueRef iv = over ? sc->t : sc->ivals[st->idx[k].ivar];
        LLVMValueRef i64 = LLVMBuildSExt(L->bld, iv, L->t.i64, "");
        if (over) {
            LLVMValueRef size = lower_load_field(L, L->t.tensor, slot, 1, k, L->t.i64);
            inside = LLVMBuildAnd(L->bld, inside, LLVMBuildICmp(L->bld, LLVMIntSLT, i64, size, ""), "");
        }
        LLVMValueRef stride = lower_load_field(L, L->t.tensor, slot, 2, k, L->t.i64);
        off = LLVMBuildAdd(L->bld, off, LLVMBuildMul(L->bld, i64, stride, ""), "");
    }
    LLVMValueRef data = lower_load_field(L, L->t.tensor, slot, 0, -1, L->t.ptr);
    LLVMBasicBlockRef yes = LLVMAppendBasicBlockInContext(L->ctx, sc->fn, "store");
    LLVMBasicBlockRef after = LLVMAppendBasicBlockInContext(L->ctx, sc->fn, "stored");
    LLVMBuildCondBr(L->bld, inside, yes, after);
    LLVMPositionBuilderAtEnd(L->bld, yes);
    LLVMBuildStore(L->bld, v, LLVMBuildGEP2(L->bld, L->t.f32, data, &off, 1, ""));
    LLVMBuildBr(L->bld, after);
    LLVMPositionBuilderAtEnd(L->bld, after);
}

/* Decodes `row` into the row ivars (C order: the last varies fastest). */
static void scan_decode_row(LowerEnv *env, const ScanShape *sh, LLVMValueRef row)
{
    Lower *L = env->L;
    for (int k = sh->nrows - 1; k >= 0; k--) {
        int iv = sh->rows[k];
        LLVMValueRef e = LLVMBuildSExt(L->bld, lower_scan_extent(env, env->scan->d->scan.ivars[iv].dim_id),
                                       L->t.i64, "");
        env->scan->ivals[iv] = LLVMBuildTrunc(L->bld, LLVMBuildURem(L->bld, row, e, ""), L->t.i32, "");
        row = LLVMBuildUDiv(L->bld, row, e, "");
    }
}

/* Lane ivars of every state: its indices that are not row indices. */
static void scan_lanes(LowerScan *sc, const ScanShape *sh, Arena *a)
{
    const Decl *d = sc->d;
    sc->lanes = arena_alloc(a, (size_t)(d->scan.nstates + 1) * sizeof *sc->lanes);
    sc->nlanes = arena_alloc(a, (size_t)(d->scan.nstates + 1) * sizeof *sc->nlanes);
    for (int s = 0; s < d->scan.nstates; s++) {
        const Stmt *st = d->scan.states[s];
        sc->lanes[s] = arena_alloc(a, (size_t)(st->nidx + 1) * sizeof **sc->lanes);
        for (int k = 0; k < st->nidx && k < ATTN_MAX_RANK; k++)
            if (!scan_has(sh->rows, sh->nrows, st->idx[k].ivar))
                sc->lanes[s][sc->nlanes[s]++] = st->idx[k].ivar;
    }
}

/* void attn_scan_hook_row(const attn_ctx *, const attn_scan_io *, float *noalias, i64 row) */
static void scan_row_hook(Lower *L, LowerScan *sc, const ScanShape *sh)
{
    const Decl *d = sc->d;
    LLVMTypeRef args[] = {L->t.ptr, L->t.ptr, L->t.ptr, L->t.i64};
    sc->fn = lower_add_function(L, "attn_scan_hook_row", L->t.vd, args, 4, false);
    unsigned noalias = LLVMGetEnumAttributeKindForName("noalias", 7);
    LLVMAddAttributeAtIndex(sc->fn, 3, LLVMCreateEnumAttribute(L->ctx, noalias, 0));
    LowerEnv env;
    lower_env_init(&env, L, d, LLVMGetParam(sc->fn, 0));
    env.scan = sc;
    scan_preload(&env);
    scan_decode_row(&env, sh, LLVMGetParam(sc->fn, 3));
    LLVMValueRef scratch = LLVMGetParam(sc->fn, 2), off = LLVMConstInt(L->t.i64, 0, 0);
    for (int s = 0; s < d->scan.nstates; s++) {
        sc->state_base[s] = LLVMBuildInBoundsGEP2(L->bld, L->t.f32, scratch, &off, 1, "");
        off = LLVMBuildAdd(L->bld, off, scan_product(&env, sc->lanes[s], sc->nlanes[s]), "");
    }
    sc->t = LLVMConstInt(L->t.i32, 0, 0); /* state inits see t = 0 */
    if (sh->over >= 0)
        sc->ivals[sh->over] = sc->t;
    for (int s = 0; s < d->scan.nstates && !L->failed; s++)
        scan_state_init(&env, s);
    LowerLoop tl;
    sc->t = lower_loop_open(&env, &tl, lower_scan_extent(&env, d->scan.axis_dim_id), "t");
    if (sh->over >= 0)
        sc->ivals[sh->over] = sc->t;
    for (int r = 0; r < d->scan.nresets && !L->failed; r++)
        scan_reset(&env, d->scan.resets[r]);
    for (int u = 0; u < d->scan.nupdates && !L->failed; u++)
        scan_update(&env, d->scan.updates[u]);
    for (int o = 0; o < d->scan.nouts && !L->failed; o++)
        scan_output(&env, d->scan.outs[o], LLVMGetParam(sc->fn, 1));
    lower_loop_close(&env, &tl);
    LLVMBuildRetVoid(L->bld);
}

/* i64 NAME(const attn_ctx *): the product of the extents of the ivars `per`
 * returns (rows: the row ivars; scratch: summed over the states' lanes). */
static void scan_size_hook(Lower *L, LowerScan *sc, const ScanShape *sh, bool scratch)
{
    LLVMValueRef fn = lower_add_function(L, scratch ? "attn_scan_hook_scratch" : "attn_scan_hook_rows",
                                         L->t.i64, &L->t.ptr, 1, false);
    LowerEnv env;
    lower_env_init(&env, L, sc->d, LLVMGetParam(fn, 0));
    env.scan = sc;
    LLVMValueRef v = scratch ? LLVMConstInt(L->t.i64, 0, 0) : scan_product(&env, sh->rows, sh->nrows);
    for (int s = 0; scratch && s < sc->d->scan.nstates; s++)
        v = LLVMBuildAdd(L->bld, v, scan_product(&env, sc->lanes[s], sc->nlanes[s]), "");
    LLVMBuildRet(L->bld, v);
}

LLVMModuleRef lower_scan(LLVMContextRef ctx, Arena *arena, const Decl *d, const char *triple,
                         const char *data_layout, char *err)
{
    Lower L = {.ctx = ctx, .arena = arena, .root = d, .err = err};
    if (d->kind != DECL_SCAN || d->has_error || d->scan.axis_dim_id < 0) {
        snprintf(err, LOWER_ERR_LEN, "'%.200s' is not a checked scan declaration",
                 d->name ? d->name : "?");
        return NULL;
    }
    ScanShape sh;
    if (!scan_shape(d, &sh, err))
        return NULL;
    LowerScan sc = {.d = d};
    sc.ivals = arena_alloc(arena, (size_t)(d->scan.nivars + 1) * sizeof *sc.ivals);
    sc.state_base = arena_alloc(arena, (size_t)(d->scan.nstates + 1) * sizeof *sc.state_base);
    scan_lanes(&sc, &sh, arena);
    L.mod = LLVMModuleCreateWithNameInContext(d->name, ctx);
    LLVMSetTarget(L.mod, triple);
    LLVMSetDataLayout(L.mod, data_layout);
    L.bld = LLVMCreateBuilderInContext(ctx);
    lower_types_init(&L);
    scan_size_hook(&L, &sc, &sh, false);
    scan_size_hook(&L, &sc, &sh, true);
    scan_row_hook(&L, &sc, &sh);
    LLVMDisposeBuilder(L.bld);
    if (L.failed) {
        LLVMDisposeModule(L.mod);
        return NULL;
    }
    return L.mod;
}
