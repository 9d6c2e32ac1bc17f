/* lower_scan_gpu.c - lower_scan_gpu: the hook module of one scan for the GPU
 * template (kernels/scan_gpu.c; attn_abi.h, "GPU scans").
 *
 * The template walks (row, chunk, state, lane) and asks the hooks for one
 * value at a time: a state's init, the lets that read no lane at (row, t)
 * (once per position: lower_scan_chunk_plan's buffered lets, the f32 ones),
 * the step (a, c, reset) of its update at (row, lane, t), what h at
 * (row, lane, t) adds to the outputs' sums, and the outputs at (row, t) from
 * those sums. Rows and lanes are lower_scan's
 * (lower_scan_prepare); expressions go through the same lowering as the CPU
 * walk (lower_expr with env->scan), so index names, t, sums, lets and the
 * zero-filled shifted reads behave identically.
 *
 * What the outputs read of the states must be per position and separable
 * per lane. Supported: a state without lanes read anywhere in an output, and
 * a sum/max/min at the top of an output (outside other sums) over a state's
 * one lane index whose body reads that state only. One update per state.
 * Anything else is refused with a message naming the construct. */
#include <stdio.h>
#include <string.h>

#include "lower_scan_internal.h"

_Static_assert(ATTN_SCAN_GPU_MAX_VALS == 8, "gpu_plan_expr's messages say 8");

/* What the outputs read of the states: the per-position "vals" array. */
typedef struct GpuPlan {
    const Expr **sums; /* vals[0 .. nsums): top-level sums over a state's lane */
    int *sum_state;    /* the state each reads */
    int nsums;
    int *direct;       /* per state: its vals slot when lane-less and read, else -1 */
    int nvals;
    int *update;       /* per state: its update statement, or -1 */
    LetBinding **lets; /* the lets evaluated once per position (attn_scan_gpu_hook_lets) */
    int nlets;
} GpuPlan;

/* A hook being generated: its parameters (NULL where it has none). */
typedef struct GpuHook {
    LowerScan *sc;
    const GpuPlan *plan;
    LLVMValueRef row, lane, t, h, vals, c_out, reset_out;
} GpuHook;

static bool gpu_refuse(const Decl *d, Span at, const char *what, const char *name, char *err)
{
    snprintf(err, LOWER_ERR_LEN, "%d:%d: scan '%.60s': the GPU code generator does not support %s%.40s%s",
             at.line, at.col, d->name, what, name ? name : "", name ? "'" : "");
    return false;
}

/* Bit s set for every state e reads (lets read none: sema). */
static uint64_t gpu_states_read(const Expr *e)
{
    if (!e || e->const_valid)
        return 0;
    if (e->kind == EX_NAME)
        return e->ref == REF_STATE && e->index >= 0 ? lower_scan_ivar_bit(e->index) : 0;
    uint64_t m = gpu_states_read(e->a) | gpu_states_read(e->b) | gpu_states_read(e->c);
    for (int i = 0; i < e->nargs; i++)
        m |= gpu_states_read(e->args[i]);
    for (int i = 0; e->kind == EX_BLOCK && i < e->nlets; i++)
        m |= gpu_states_read(e->lets[i]->value);
    return m;
}

/* The state of bit mask m when it has exactly one, else -1. */
static int gpu_single_state(const LowerScan *sc, uint64_t m)
{
    for (int s = 0; s < sc->d->scan.nstates && s < 63; s++)
        if (m == lower_scan_ivar_bit(s))
            return s;
    return -1;
}

/* Whether e holds a sum that reads a state. */
static bool gpu_nested_state_sum(const Expr *e)
{
    if (!e || e->const_valid)
        return false;
    if (e->kind == EX_REDUCE && gpu_states_read(e->a))
        return true;
    bool r = gpu_nested_state_sum(e->a) || gpu_nested_state_sum(e->b) || gpu_nested_state_sum(e->c);
    for (int i = 0; i < e->nargs && !r; i++)
        r = gpu_nested_state_sum(e->args[i]);
    return r;
}

static bool gpu_is_top_sum(const LowerScan *sc, const Expr *e)
{
    for (int i = 0; i < sc->nred; i++)
        if (sc->red[i] == e)
            return true;
    return false;
}

/* Adds the state reads of output value e (outside any sum) to the plan. */
static bool gpu_plan_expr(LowerScan *sc, GpuPlan *p, const Expr *e, char *err)
{
    const Decl *d = sc->d;
    if (!e || e->const_valid || !gpu_states_read(e))
        return true;
    if (e->kind == EX_NAME) {
        int s = e->index;
        if (sc->nlanes[s] != 0)
            return gpu_refuse(d, e->span, "reading a state with lanes outside a sum over them: '",
                              d->scan.states[s]->name, err);
        if (p->direct[s] < 0 && p->nvals == ATTN_SCAN_GPU_MAX_VALS)
            return gpu_refuse(d, e->span, "outputs reading more than 8 sums and states", NULL, err);
        if (p->direct[s] < 0)
            p->direct[s] = p->nvals++;
        return true;
    }
    if (e->kind == EX_REDUCE) {
        int s = gpu_single_state(sc, gpu_states_read(e->a));
        if (s < 0 || !gpu_is_top_sum(sc, e))
            return gpu_refuse(d, e->span, "a sum reading several states", NULL, err);
        if (sc->nlanes[s] != 1 || sc->lanes[s][0] != e->index)
            return gpu_refuse(d, e->span, "a sum that does not run over the one lane index of state '",
                              d->scan.states[s]->name, err);
        if (gpu_nested_state_sum(e->a) || lower_scalar_kind(e) != SK_F32)
            return gpu_refuse(d, e->span, "a nested sum over states", NULL, err);
        if (p->nvals == ATTN_SCAN_GPU_MAX_VALS)
            return gpu_refuse(d, e->span, "outputs reading more than 8 sums and states", NULL, err);
        p->sums[p->nsums] = e;
        p->sum_state[p->nsums++] = s;
        p->nvals++;
        return true;
    }
    if (e->kind == EX_BLOCK)
        return gpu_refuse(d, e->span, "a block reading a state", NULL, err);
    bool ok = gpu_plan_expr(sc, p, e->a, err) && gpu_plan_expr(sc, p, e->b, err) &&
              gpu_plan_expr(sc, p, e->c, err);
    for (int i = 0; ok && i < e->nargs; i++)
        ok = gpu_plan_expr(sc, p, e->args[i], err);
    return ok;
}

static bool gpu_plan(LowerScan *sc, GpuPlan *p, Arena *a, char *err)
{
    const Decl *d = sc->d;
    int ns = d->scan.nstates;
    *p = (GpuPlan){0};
    p->sums = arena_alloc(a, ATTN_SCAN_GPU_MAX_VALS * sizeof *p->sums);
    p->sum_state = arena_alloc(a, ATTN_SCAN_GPU_MAX_VALS * sizeof *p->sum_state);
    p->direct = arena_alloc(a, (size_t)(ns + 1) * sizeof *p->direct);
    p->update = arena_alloc(a, (size_t)(ns + 1) * sizeof *p->update);
    if (ns > 63)
        return gpu_refuse(d, d->span, "more than 63 states", NULL, err);
    for (int s = 0; s < ns; s++)
        p->direct[s] = p->update[s] = -1;
    for (int u = 0; u < d->scan.nupdates; u++) {
        const Stmt *st = d->scan.updates[u];
        if (st->target < 0 || st->target >= ns || !st->update_a || !st->update_c)
            return gpu_refuse(d, st->span, "this update", NULL, err);
        if (p->update[st->target] >= 0)
            return gpu_refuse(d, st->span, "two updates of state '", st->name, err);
        p->update[st->target] = u;
    }
    for (int o = 0; o < d->scan.nouts; o++)
        if (!gpu_plan_expr(sc, p, d->scan.outs[o]->value, err))
            return false;
    p->lets = arena_alloc(a, ATTN_SCAN_GPU_MAX_LETS * sizeof *p->lets);
    for (int k = 0; k < sc->nblets && p->nlets < ATTN_SCAN_GPU_MAX_LETS; k++)
        if (lower_scalar_kind(sc->blets[k]->value) == SK_F32)
            p->lets[p->nlets++] = sc->blets[k];
    return true;
}

/* Starts hook `name`: its function, an env whose ctx is parameter 0, every
 * parameter and dimension read in the entry block, no index name bound. */
static LLVMValueRef gpu_hook_begin(Lower *L, LowerScan *sc, LowerEnv *env, const char *name,
                                   LLVMTypeRef ret, LLVMTypeRef *args, int nargs)
{
    sc->fn = lower_add_function(L, name, ret, args, nargs, false);
    memset(sc->ivals, 0, (size_t)sc->d->scan.nivars * sizeof *sc->ivals);
    sc->t = NULL;
    if (nargs == 0)
        return sc->fn;
    lower_env_init(env, L, sc->d, LLVMGetParam(sc->fn, 0));
    env->scan = sc;
    lower_scan_preload(env);
    return sc->fn;
}

/* Binds t (and the over variable) to v. */
static void gpu_bind_t(LowerScan *sc, LLVMValueRef v)
{
    sc->t = v;
    if (sc->over >= 0)
        sc->ivals[sc->over] = v;
}

/* &vals[i] of a float array. */
static LLVMValueRef gpu_val_ptr(Lower *L, LLVMValueRef vals, int i)
{
    LLVMValueRef idx = LLVMConstInt(L->t.i64, (unsigned)i, 0);
    return LLVMBuildInBoundsGEP2(L->bld, L->t.f32, vals, &idx, 1, "");
}

/* The lets of the plan take their values from lets[] (attn_scan_gpu_hook_lets). */
static void gpu_bind_lets(LowerEnv *env, const GpuPlan *p, LLVMValueRef lets)
{
    Lower *L = env->L;
    for (int k = 0; k < p->nlets; k++) {
        ptrvec_push(L->arena, &env->let_keys, p->lets[k]);
        ptrvec_push(L->arena, &env->let_values, LLVMBuildLoad2(L->bld, L->t.f32, gpu_val_ptr(L, lets, k), ""));
    }
}

/* Per state s, the code of fn in its own case of `switch (s)`, with the
 * lanes of s decoded from h->lane (when set); returns the phi of the values
 * (type ty; 0 for other s) or NULL for void (ty NULL). */
typedef LLVMValueRef (*GpuStateFn)(LowerEnv *env, const GpuHook *h, int s);
static LLVMValueRef gpu_switch_states(LowerEnv *env, const GpuHook *h, LLVMValueRef s, LLVMTypeRef ty,
                                      GpuStateFn fn)
{
    Lower *L = env->L;
    LowerScan *sc = h->sc;
    int n = sc->d->scan.nstates;
    LLVMBasicBlockRef entry = LLVMGetInsertBlock(L->bld);
    LLVMBasicBlockRef after = LLVMAppendBasicBlockInContext(L->ctx, sc->fn, "states_done");
    LLVMValueRef sw = LLVMBuildSwitch(L->bld, s, after, (unsigned)n);
    LLVMValueRef *vals = arena_alloc(L->arena, (size_t)(n + 1) * sizeof *vals);
    LLVMBasicBlockRef *from = arena_alloc(L->arena, (size_t)(n + 1) * sizeof *from);
    for (int k = 0; k < n && !L->failed; k++) {
        LLVMBasicBlockRef bb = LLVMAppendBasicBlockInContext(L->ctx, sc->fn, "state");
        LLVMAddCase(sw, LLVMConstInt(L->t.i32, (unsigned)k, 0), bb);
        LLVMPositionBuilderAtEnd(L->bld, bb);
        int nlets = env->let_keys.len;
        if (h->lane)
            lower_scan_decode(env, sc->lanes[k], sc->nlanes[k], LLVMBuildSExt(L->bld, h->lane, L->t.i64, ""));
        vals[k] = fn(env, h, k);
        lower_lets_truncate(env, nlets);
        for (int i = 0; i < sc->nlanes[k]; i++)
            sc->ivals[sc->lanes[k][i]] = NULL;
        from[k] = LLVMGetInsertBlock(L->bld);
        LLVMBuildBr(L->bld, after);
    }
    LLVMPositionBuilderAtEnd(L->bld, after);
    if (!ty || L->failed)
        return NULL;
    LLVMValueRef phi = LLVMBuildPhi(L->bld, ty, "");
    LLVMValueRef zero = LLVMConstNull(ty);
    LLVMAddIncoming(phi, &zero, &entry, 1);
    for (int k = 0; k < n; k++)
        if (vals[k])
            LLVMAddIncoming(phi, &vals[k], &from[k], 1);
        else
            LLVMAddIncoming(phi, &zero, &from[k], 1);
    return phi;
}

static LLVMValueRef gpu_init_value(LowerEnv *env, int s)
{
    const Stmt *st = env->scan->d->scan.states[s];
    return st->value ? lower_expr(env, st->value, SK_F32) : LLVMConstReal(env->L->t.f32, 0.0);
}

static LLVMValueRef gpu_lanes_of(LowerEnv *env, const GpuHook *h, int s)
{
    (void)h;
    LLVMValueRef n = lower_scan_product(env, env->scan->lanes[s], env->scan->nlanes[s]);
    return LLVMBuildTrunc(env->L->bld, n, env->L->t.i32, "");
}

static LLVMValueRef gpu_init_of(LowerEnv *env, const GpuHook *h, int s)
{
    (void)h;
    return gpu_init_value(env, s);
}

/* a of state s's step at t; stores c (the init folded in on a reset) and the reset flag. */
static LLVMValueRef gpu_coef_of(LowerEnv *env, const GpuHook *h, int s)
{
    Lower *L = env->L;
    const Decl *d = h->sc->d;
    int u = h->plan->update[s];
    LLVMValueRef a = u >= 0 ? lower_expr(env, d->scan.updates[u]->update_a, SK_F32) : LLVMConstReal(L->t.f32, 1.0);
    LLVMValueRef c = u >= 0 ? lower_expr(env, d->scan.updates[u]->update_c, SK_F32) : LLVMConstReal(L->t.f32, 0.0);
    if (!a || !c)
        return NULL;
    LLVMValueRef reset = LLVMConstInt(L->t.i1, 0, 0);
    bool resets = false;
    for (int r = 0; r < d->scan.nresets; r++)
        if (d->scan.resets[r]->target == s) {
            LLVMValueRef cond = lower_scan_reset_cond(env, d->scan.resets[r]);
            reset = cond ? LLVMBuildOr(L->bld, reset, cond, "") : reset;
            resets = true;
        }
    LLVMValueRef init = resets ? gpu_init_value(env, s) : NULL;
    if (init) /* h = init just before t, then the update: a * init + c */
        c = LLVMBuildSelect(L->bld, reset, LLVMBuildFAdd(L->bld, LLVMBuildFMul(L->bld, a, init, ""), c, ""), c, "");
    LLVMBuildStore(L->bld, c, h->c_out);
    LLVMBuildStore(L->bld, LLVMBuildZExt(L->bld, reset, L->t.i32, ""), h->reset_out);
    return a;
}

/* vals[r] op= body of every sum r over state s at this lane; a lane-less s is stored. */
static LLVMValueRef gpu_terms_of(LowerEnv *env, const GpuHook *h, int s)
{
    Lower *L = env->L;
    const GpuPlan *p = h->plan;
    h->sc->state_val[s] = h->h;
    for (int r = 0; r < p->nsums && !L->failed; r++) {
        if (p->sum_state[r] != s)
            continue;
        LLVMValueRef v = lower_expr(env, p->sums[r]->a, SK_F32);
        LLVMValueRef at = gpu_val_ptr(L, h->vals, r);
        if (v)
            LLVMBuildStore(L->bld, lower_reduce_step(L, p->sums[r]->op, SK_F32,
                                                     LLVMBuildLoad2(L->bld, L->t.f32, at, ""), v), at);
    }
    if (p->direct[s] >= 0)
        LLVMBuildStore(L->bld, h->h, gpu_val_ptr(L, h->vals, p->direct[s]));
    h->sc->state_val[s] = NULL;
    return NULL;
}

/* i64 rows(ctx), i32 length(ctx), i32 nstates(), i32 lanes(ctx, s),
 * float init(ctx, row, s, lane). */
static void gpu_hooks_sizes(Lower *L, LowerScan *sc, const ScanShape *sh, const GpuPlan *p)
{
    LowerEnv env;
    gpu_hook_begin(L, sc, &env, "attn_scan_gpu_hook_rows", L->t.i64, &L->t.ptr, 1);
    LLVMBuildRet(L->bld, lower_scan_product(&env, sh->rows, sh->nrows));
    gpu_hook_begin(L, sc, &env, "attn_scan_gpu_hook_length", L->t.i32, &L->t.ptr, 1);
    LLVMBuildRet(L->bld, lower_scan_extent(&env, sc->d->scan.axis_dim_id));
    gpu_hook_begin(L, sc, &env, "attn_scan_gpu_hook_nstates", L->t.i32, NULL, 0);
    LLVMBuildRet(L->bld, LLVMConstInt(L->t.i32, (unsigned)sc->d->scan.nstates, 0));
    LLVMTypeRef la[] = {L->t.ptr, L->t.i32};
    gpu_hook_begin(L, sc, &env, "attn_scan_gpu_hook_lanes", L->t.i32, la, 2);
    GpuHook h = {.sc = sc, .plan = p};
    LLVMBuildRet(L->bld, gpu_switch_states(&env, &h, LLVMGetParam(sc->fn, 1), L->t.i32, gpu_lanes_of));
    LLVMTypeRef ia[] = {L->t.ptr, L->t.i64, L->t.i32, L->t.i32};
    gpu_hook_begin(L, sc, &env, "attn_scan_gpu_hook_init", L->t.f32, ia, 4);
    lower_scan_decode(&env, sh->rows, sh->nrows, LLVMGetParam(sc->fn, 1));
    gpu_bind_t(sc, LLVMConstInt(L->t.i32, 0, 0)); /* inits see t = 0 */
    h.lane = LLVMGetParam(sc->fn, 3);
    LLVMValueRef v = gpu_switch_states(&env, &h, LLVMGetParam(sc->fn, 2), L->t.f32, gpu_init_of);
    if (v)
        LLVMBuildRet(L->bld, v);
}

/* void lets(ctx, row, t, float *lets);
 * float coef(ctx, row, s, lane, t, const float *lets, float *c, i32 *reset);
 * void terms(ctx, row, s, lane, t, const float *lets, float h, float *vals). */
static void gpu_hooks_step(Lower *L, LowerScan *sc, const ScanShape *sh, const GpuPlan *p)
{
    LowerEnv env;
    LLVMTypeRef la[] = {L->t.ptr, L->t.i64, L->t.i32, L->t.ptr};
    gpu_hook_begin(L, sc, &env, "attn_scan_gpu_hook_lets", L->t.vd, la, 4);
    lower_scan_decode(&env, sh->rows, sh->nrows, LLVMGetParam(sc->fn, 1));
    gpu_bind_t(sc, LLVMGetParam(sc->fn, 2));
    for (int k = 0; k < p->nlets && !L->failed; k++) {
        LLVMValueRef v = lower_let(&env, p->lets[k]);
        if (v)
            LLVMBuildStore(L->bld, v, gpu_val_ptr(L, LLVMGetParam(sc->fn, 3), k));
    }
    LLVMBuildRetVoid(L->bld);
    LLVMTypeRef ca[] = {L->t.ptr, L->t.i64, L->t.i32, L->t.i32, L->t.i32, L->t.ptr, L->t.ptr, L->t.ptr};
    gpu_hook_begin(L, sc, &env, "attn_scan_gpu_hook_coef", L->t.f32, ca, 8);
    lower_scan_decode(&env, sh->rows, sh->nrows, LLVMGetParam(sc->fn, 1));
    gpu_bind_t(sc, LLVMGetParam(sc->fn, 4));
    gpu_bind_lets(&env, p, LLVMGetParam(sc->fn, 5));
    GpuHook h = {.sc = sc, .plan = p, .lane = LLVMGetParam(sc->fn, 3), .c_out = LLVMGetParam(sc->fn, 6),
                 .reset_out = LLVMGetParam(sc->fn, 7)};
    LLVMValueRef a = gpu_switch_states(&env, &h, LLVMGetParam(sc->fn, 2), L->t.f32, gpu_coef_of);
    if (a)
        LLVMBuildRet(L->bld, a);
    LLVMTypeRef ta[] = {L->t.ptr, L->t.i64, L->t.i32, L->t.i32, L->t.i32, L->t.ptr, L->t.f32, L->t.ptr};
    gpu_hook_begin(L, sc, &env, "attn_scan_gpu_hook_terms", L->t.vd, ta, 8);
    lower_scan_decode(&env, sh->rows, sh->nrows, LLVMGetParam(sc->fn, 1));
    gpu_bind_t(sc, LLVMGetParam(sc->fn, 4));
    gpu_bind_lets(&env, p, LLVMGetParam(sc->fn, 5));
    h = (GpuHook){.sc = sc, .plan = p, .lane = LLVMGetParam(sc->fn, 3), .h = LLVMGetParam(sc->fn, 6),
                  .vals = LLVMGetParam(sc->fn, 7)};
    gpu_switch_states(&env, &h, LLVMGetParam(sc->fn, 2), NULL, gpu_terms_of);
    LLVMBuildRetVoid(L->bld);
}

/* void vals_init(float *vals);
 * void output(ctx, io, row, t, const float *lets, const float *vals). */
static void gpu_hooks_output(Lower *L, LowerScan *sc, const ScanShape *sh, const GpuPlan *p)
{
    LowerEnv env;
    LLVMValueRef fn = gpu_hook_begin(L, sc, &env, "attn_scan_gpu_hook_vals_init", L->t.vd, &L->t.ptr, 1);
    for (int r = 0; r < p->nsums; r++)
        LLVMBuildStore(L->bld, lower_reduce_init(L, p->sums[r]->op, SK_F32), gpu_val_ptr(L, LLVMGetParam(fn, 0), r));
    LLVMBuildRetVoid(L->bld);
    LLVMTypeRef oa[] = {L->t.ptr, L->t.ptr, L->t.i64, L->t.i32, L->t.ptr, L->t.ptr};
    fn = gpu_hook_begin(L, sc, &env, "attn_scan_gpu_hook_output", L->t.vd, oa, 6);
    sc->io = LLVMGetParam(fn, 1);
    lower_scan_preload_outputs(&env);
    lower_scan_decode(&env, sh->rows, sh->nrows, LLVMGetParam(fn, 2));
    gpu_bind_t(sc, LLVMGetParam(fn, 3));
    gpu_bind_lets(&env, p, LLVMGetParam(fn, 4));
    LLVMValueRef vals = LLVMGetParam(fn, 5);
    sc->tt = LLVMConstInt(L->t.i32, 0, 0); /* hoisted sums: red_acc[i][tt] = vals[r] */
    for (int i = 0; i < sc->nred; i++)
        for (int r = 0; r < p->nsums; r++)
            if (sc->red[i] == p->sums[r])
                sc->red_acc[i] = gpu_val_ptr(L, vals, r);
    for (int s = 0; s < sc->d->scan.nstates; s++)
        if (p->direct[s] >= 0)
            sc->state_val[s] = LLVMBuildLoad2(L->bld, L->t.f32, gpu_val_ptr(L, vals, p->direct[s]), "");
    for (int o = 0; o < sc->d->scan.nouts && !L->failed; o++)
        lower_scan_output(&env, sc->d->scan.outs[o]);
    LLVMBuildRetVoid(L->bld);
    memset(sc->red_acc, 0, (size_t)sc->nred * sizeof *sc->red_acc);
    memset(sc->state_val, 0, (size_t)sc->d->scan.nstates * sizeof *sc->state_val);
}

LLVMModuleRef lower_scan_gpu(LLVMContextRef ctx, Arena *arena, const Decl *d, const char *triple,
                             const char *data_layout, char *err)
{
    Lower L = {.ctx = ctx, .arena = arena, .root = d, .err = err};
    ScanShape sh;
    LowerScan sc;
    GpuPlan plan;
    if (!lower_scan_prepare(d, arena, &sh, &sc, err) || !gpu_plan(&sc, &plan, arena, err))
        return NULL;
    sc.state_val = arena_alloc(arena, (size_t)(d->scan.nstates + 1) * sizeof *sc.state_val);
    lower_module_begin(&L, d->name, triple, data_layout);
    gpu_hooks_sizes(&L, &sc, &sh, &plan);
    gpu_hooks_step(&L, &sc, &sh, &plan);
    gpu_hooks_output(&L, &sc, &sh, &plan);
    LLVMDisposeBuilder(L.bld);
    if (L.failed) {
        LLVMDisposeModule(L.mod);
        return NULL;
    }
    for (LLVMValueRef f = LLVMGetFirstFunction(L.mod); f; f = LLVMGetNextFunction(f))
        if (!LLVMIsDeclaration(f))
            lower_mark_invariant(&L, f);
    return L.mod;
}
