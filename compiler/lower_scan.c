/* lower_scan.c - lower_scan: the hook module of one scan (attn_abi.h,
 * "scans").
 *
 * A scan is split into rows: the tuples of the output index names other than
 * the `over` variable (every output must have the same ones). The state
 * indices that are not row indices are the state's lanes; sum/max/min over
 * lanes happen inside expressions. attn_scan_hook_row(ctx, io, scratch, row)
 * decodes the row's index values (C order), inits every state's lanes (its
 * init expression, or 0) and walks t in chunks (lower_scan_chunk.c): per t,
 * the resets, the updates h = a * h + c in order and the outputs, which is
 * the reference interpreter's order (interp_scan.c). States and the chunk
 * buffers live in the caller's scratch (noalias), one after the other. */
#include <stdio.h>
#include <string.h>

#include "attn_abi.h"
#include "lower_scan_internal.h"

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

LLVMValueRef lower_scan_product(LowerEnv *env, const int *v, int n)
{
    Lower *L = env->L;
    LLVMValueRef p = LLVMConstInt(L->t.i64, 1, 0);
    for (int i = 0; i < n; i++) {
        LLVMValueRef e = lower_scan_extent(env, env->scan->d->scan.ivars[v[i]].dim_id);
        p = LLVMBuildMul(L->bld, p, LLVMBuildSExt(L->bld, e, L->t.i64, ""), "");
    }
    return p;
}

void lower_scan_preload(LowerEnv *env)
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
void lower_scan_lanes_open(LowerEnv *env, int s, LowerLoop *loops)
{
    LowerScan *sc = env->scan;
    for (int k = 0; k < sc->nlanes[s]; k++) {
        int iv = sc->lanes[s][k];
        sc->ivals[iv] = lower_loop_open(env, &loops[k], lower_scan_extent(env, sc->d->scan.ivars[iv].dim_id),
                                        "lane");
    }
}

void lower_scan_lanes_close(LowerEnv *env, int s, LowerLoop *loops)
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
    lower_scan_lanes_open(env, s, loops);
    LLVMValueRef v = st->value ? lower_expr(env, st->value, SK_F32) : LLVMConstReal(L->t.f32, 0.0);
    LLVMValueRef p = v ? lower_scan_state_ptr(env, s) : NULL;
    if (p)
        LLVMBuildStore(L->bld, v, p);
    lower_scan_lanes_close(env, s, loops);
    lower_lets_truncate(env, nlets);
}

LLVMValueRef lower_scan_seg_start(LowerEnv *env, const Stmt *st, LLVMValueRef pos)
{
    Lower *L = env->L;
    const Decl *d = env->scan->d;
    LLVMValueRef slot = NULL;
    for (int i = 0; i < d->nparams; i++)
        if (d->params[i]->type->kind == TY_PACK && strcmp(d->params[i]->name, st->pack) == 0)
            slot = env->params[i];
    if (!slot || st->target < 0 || st->target >= d->scan.nstates) {
        lower_fail(L, st->span, "an unresolved reset");
        return NULL;
    }
    LLVMValueRef idx = LLVMBuildSExt(L->bld, pos, L->t.i64, "");
    LLVMValueRef seg_of = lower_load_field(L, L->t.pack, slot, 1, -1, L->t.ptr);
    LLVMValueRef seg = LLVMBuildLoad2(L->bld, L->t.i32, LLVMBuildGEP2(L->bld, L->t.i32, seg_of, &idx, 1, ""), "");
    LLVMValueRef offs = lower_load_field(L, L->t.pack, slot, 0, -1, L->t.ptr);
    LLVMValueRef sidx = LLVMBuildSExt(L->bld, seg, L->t.i64, "");
    return LLVMBuildLoad2(L->bld, L->t.i32, LLVMBuildGEP2(L->bld, L->t.i32, offs, &sidx, 1, ""), "");
}

LLVMValueRef lower_scan_reset_cond(LowerEnv *env, const Stmt *st)
{
    Lower *L = env->L;
    LLVMValueRef t = env->scan->t;
    LLVMValueRef start = lower_scan_seg_start(env, st, t);
    if (!start)
        return NULL;
    return LLVMBuildAnd(L->bld, LLVMBuildICmp(L->bld, LLVMIntEQ, start, t, ""),
                        LLVMBuildICmp(L->bld, LLVMIntSGT, t, LLVMConstInt(L->t.i32, 0, 0), ""), "");
}

/* `reset h at p`: if t > 0 and offsets[seg_of[t]] == t, init h. */
void lower_scan_reset(LowerEnv *env, const Stmt *st)
{
    Lower *L = env->L;
    LLVMValueRef cond = lower_scan_reset_cond(env, st);
    if (!cond)
        return;
    LLVMValueRef fn = env->scan->fn;
    LLVMBasicBlockRef yes = LLVMAppendBasicBlockInContext(L->ctx, fn, "reset");
    LLVMBasicBlockRef after = LLVMAppendBasicBlockInContext(L->ctx, fn, "after_reset");
    LLVMBuildCondBr(L->bld, cond, yes, after);
    LLVMPositionBuilderAtEnd(L->bld, yes);
    scan_state_init(env, st->target);
    LLVMBuildBr(L->bld, after);
    LLVMPositionBuilderAtEnd(L->bld, after);
}

/* Whether axis k of output o ranges over the scanned dimension itself (then
 * every t lies inside it: the runtime binds it to the same extent). */
static bool scan_axis_is_scanned(const Decl *d, int o, int k)
{
    const TypeRef *ty = o >= 0 && o < d->noutputs ? d->outputs[o]->type : NULL;
    return ty && k < ty->ndims && ty->dims[k].dim_id >= 0 && ty->dims[k].dim_id == d->scan.axis_dim_id;
}

/* out[row, t] = value, when t lies inside the output along its t axis. */
void lower_scan_output(LowerEnv *env, const Stmt *st)
{
    Lower *L = env->L;
    LowerScan *sc = env->scan;
    LLVMValueRef v = lower_expr(env, st->value, SK_F32);
    if (!v)
        return;
    LLVMValueRef off = LLVMConstInt(L->t.i64, 0, 0);
    LLVMValueRef inside = LLVMConstInt(L->t.i1, 1, 0);
    for (int k = 0; k < st->nidx && k < ATTN_MAX_RANK; k++) {
        bool over = scan_is_over(sc->d, &st->idx[k]);
        LLVMValueRef i64 = LLVMBuildSExt(L->bld, over ? sc->t : sc->ivals[st->idx[k].ivar], L->t.i64, "");
        if (over && !scan_axis_is_scanned(sc->d, st->target, k))
            inside = LLVMBuildAnd(L->bld, inside,
                                  LLVMBuildICmp(L->bld, LLVMIntSLT, i64, sc->out_size[st->target][k], ""), "");
        off = LLVMBuildAdd(L->bld, off, LLVMBuildMul(L->bld, i64, sc->out_stride[st->target][k], ""), "");
    }
    LLVMBasicBlockRef yes = LLVMAppendBasicBlockInContext(L->ctx, sc->fn, "store");
    LLVMBasicBlockRef after = LLVMAppendBasicBlockInContext(L->ctx, sc->fn, "stored");
    LLVMBuildCondBr(L->bld, inside, yes, after);
    LLVMPositionBuilderAtEnd(L->bld, yes);
    LLVMBuildStore(L->bld, v, LLVMBuildGEP2(L->bld, L->t.f32, sc->out_data[st->target], &off, 1, ""));
    LLVMBuildBr(L->bld, after);
    LLVMPositionBuilderAtEnd(L->bld, after);
}

void lower_scan_preload_outputs(LowerEnv *env)
{
    Lower *L = env->L;
    LowerScan *sc = env->scan;
    LLVMTypeRef outs_ty = LLVMArrayType2(L->t.tensor, ATTN_MAX_SCAN_OUTPUTS);
    LLVMTypeRef io_fields[2] = {outs_ty, L->t.i32};
    LLVMTypeRef io_ty = LLVMStructTypeInContext(L->ctx, io_fields, 2, 0);
    for (int o = 0; o < sc->d->noutputs && o < ATTN_MAX_SCAN_OUTPUTS; o++) {
        LLVMValueRef gi[3] = {LLVMConstInt(L->t.i32, 0, 0), LLVMConstInt(L->t.i32, 0, 0),
                              LLVMConstInt(L->t.i32, (unsigned)o, 0)};
        LLVMValueRef slot = LLVMBuildInBoundsGEP2(L->bld, io_ty, sc->io, gi, 3, "");
        sc->out_data[o] = lower_load_field(L, L->t.tensor, slot, 0, -1, L->t.ptr);
        for (int k = 0; k < ATTN_MAX_RANK; k++) {
            sc->out_size[o][k] = lower_load_field(L, L->t.tensor, slot, 1, k, L->t.i64);
            sc->out_stride[o][k] = lower_load_field(L, L->t.tensor, slot, 2, k, L->t.i64);
        }
    }
}

void lower_scan_decode(LowerEnv *env, const int *ivars, int n, LLVMValueRef row)
{
    Lower *L = env->L;
    for (int k = n - 1; k >= 0; k--) {
        int iv = ivars[k];
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

/* void attn_scan_hook_row(const attn_ctx *noalias, const attn_scan_io *noalias,
 *                         float *noalias, i64 row) */
static void scan_row_hook(Lower *L, LowerScan *sc, const ScanShape *sh)
{
    const Decl *d = sc->d;
    LLVMTypeRef args[] = {L->t.ptr, L->t.ptr, L->t.ptr, L->t.i64};
    sc->fn = lower_add_function(L, "attn_scan_hook_row", L->t.vd, args, 4, false);
    unsigned noalias = LLVMGetEnumAttributeKindForName("noalias", 7);
    for (unsigned i = 1; i <= 3; i++)
        LLVMAddAttributeAtIndex(sc->fn, i, LLVMCreateEnumAttribute(L->ctx, noalias, 0));
    LowerEnv env;
    lower_env_init(&env, L, d, LLVMGetParam(sc->fn, 0));
    env.scan = sc;
    sc->io = LLVMGetParam(sc->fn, 1);
    lower_scan_preload(&env);
    lower_scan_preload_outputs(&env);
    lower_scan_decode(&env, sh->rows, sh->nrows, LLVMGetParam(sc->fn, 3));
    LLVMValueRef scratch = LLVMGetParam(sc->fn, 2), off = LLVMConstInt(L->t.i64, 0, 0);
    for (int s = 0; s < d->scan.nstates; s++) {
        sc->state_base[s] = LLVMBuildInBoundsGEP2(L->bld, L->t.f32, scratch, &off, 1, "");
        off = LLVMBuildAdd(L->bld, off, lower_scan_product(&env, sc->lanes[s], sc->nlanes[s]), "");
    }
    sc->t = LLVMConstInt(L->t.i32, 0, 0); /* state inits see t = 0 */
    if (sh->over >= 0)
        sc->ivals[sh->over] = sc->t;
    for (int s = 0; s < d->scan.nstates && !L->failed; s++)
        scan_state_init(&env, s);
    lower_scan_chunk_walk(&env, LLVMBuildInBoundsGEP2(L->bld, L->t.f32, scratch, &off, 1, ""));
    LLVMBuildRetVoid(L->bld);
    lower_mark_invariant(L, sc->fn);
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
    LLVMValueRef v = scratch ? LLVMConstInt(L->t.i64, 0, 0) : lower_scan_product(&env, sh->rows, sh->nrows);
    for (int s = 0; scratch && s < sc->d->scan.nstates; s++)
        v = LLVMBuildAdd(L->bld, v, lower_scan_product(&env, sc->lanes[s], sc->nlanes[s]), "");
    if (scratch)
        v = LLVMBuildAdd(L->bld, v, lower_scan_chunk_scratch(&env), "");
    LLVMBuildRet(L->bld, v);
}

bool lower_scan_prepare(const Decl *d, Arena *arena, ScanShape *sh, LowerScan *sc, char *err)
{
    if (d->kind != DECL_SCAN || d->has_error || d->scan.axis_dim_id < 0) {
        snprintf(err, LOWER_ERR_LEN, "'%.200s' is not a checked scan declaration",
                 d->name ? d->name : "?");
        return false;
    }
    if (!scan_shape(d, sh, err))
        return false;
    *sc = (LowerScan){.d = d};
    sc->ivals = arena_alloc(arena, (size_t)(d->scan.nivars + 1) * sizeof *sc->ivals);
    sc->state_base = arena_alloc(arena, (size_t)(d->scan.nstates + 1) * sizeof *sc->state_base);
    sc->out_data = arena_alloc(arena, (size_t)(d->noutputs + 1) * sizeof *sc->out_data);
    sc->out_stride = arena_alloc(arena, (size_t)(d->noutputs + 1) * sizeof *sc->out_stride);
    sc->out_size = arena_alloc(arena, (size_t)(d->noutputs + 1) * sizeof *sc->out_size);
    scan_lanes(sc, sh, arena);
    if (!lower_scan_chunk_plan(sc, sh->rows, sh->nrows, sh->over, arena)) {
        snprintf(err, LOWER_ERR_LEN, "scan '%.200s': an update's coefficients read a state", d->name);
        return false;
    }
    return true;
}

/* The dim ids of ivars[0..n). */
static const int *scan_dim_ids(const Decl *d, const int *ivars, int n, Arena *arena)
{
    int *ids = arena_alloc(arena, (size_t)(n + 1) * sizeof *ids);
    for (int i = 0; i < n; i++)
        ids[i] = d->scan.ivars[ivars[i]].dim_id;
    return ids;
}

bool lower_scan_geometry(const Decl *d, Arena *arena, ScanGeometry *g, char *err)
{
    ScanShape sh;
    LowerScan sc;
    if (!lower_scan_prepare(d, arena, &sh, &sc, err))
        return false;
    const int **lanes = arena_alloc(arena, (size_t)(d->scan.nstates + 1) * sizeof *lanes);
    for (int s = 0; s < d->scan.nstates; s++)
        lanes[s] = scan_dim_ids(d, sc.lanes[s], sc.nlanes[s], arena);
    *g = (ScanGeometry){.row_dims = scan_dim_ids(d, sh.rows, sh.nrows, arena), .nrow_dims = sh.nrows,
                        .nstates = d->scan.nstates, .lane_dims = lanes, .nlane_dims = sc.nlanes};
    return true;
}

LLVMModuleRef lower_scan(LLVMContextRef ctx, Arena *arena, const Decl *d, const char *triple,
                         const char *data_layout, char *err)
{
    Lower L = {.ctx = ctx, .arena = arena, .root = d, .err = err};
    ScanShape sh;
    LowerScan sc;
    if (!lower_scan_prepare(d, arena, &sh, &sc, err))
        return NULL;
    lower_module_begin(&L, d->name, triple, data_layout);
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
