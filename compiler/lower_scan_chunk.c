/* lower_scan_chunk.c - the t walk of a row, in chunks. Sema guarantees that
 * the a and c of every update `h = a * h + c` read no state and that lets
 * read none, so everything but the recurrence can be evaluated for a whole
 * chunk at once. Per chunk of SCAN_CHUNK positions t0 .. t0 + tn - 1:
 *
 *     lets reading no state and no lane:  for tt: let_k[tt] = value
 *     every update u:        for lanes: for tt: a_u[lane][tt] = a;  c_u[lane][tt] = c
 *     the recurrence:        for tt: resets; for each update, lane: h = a_u * h + c_u;
 *                                    for each state, lane: hist[lane][tt] = h
 *     sums atop outputs:     for k: for tt: acc[tt] = acc[tt] op body   (states: hist)
 *     outputs:               for tt: out[row, t0 + tt] = value          (sums: acc[tt])
 *
 * The loops that do the arithmetic (exp, softplus, products, sums) run over
 * tt innermost, so they vectorize with contiguous loads of [.., t] tensors;
 * only the recurrence itself is sequential, a multiply-add per lane. The
 * buffers live in the row's scratch after the states. Results equal the
 * one-position-at-a-time walk's: every value is computed by the same
 * expression in the same order per (row, t). */
#include "lower_scan_internal.h"

static bool chunk_in(const int *v, int n, int x)
{
    for (int i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
}

/* Sums at the top of e: not inside another sum or a block. */
static void chunk_collect_sums(const Expr *e, Arena *a, PtrVec *out)
{
    if (!e || e->const_valid || e->kind == EX_BLOCK)
        return;
    if (e->kind == EX_REDUCE) {
        ptrvec_push(a, out, (void *)e);
        return;
    }
    chunk_collect_sums(e->a, a, out);
    chunk_collect_sums(e->b, a, out);
    chunk_collect_sums(e->c, a, out);
    for (int i = 0; i < e->nargs; i++)
        chunk_collect_sums(e->args[i], a, out);
}

bool lower_scan_chunk_plan(LowerScan *sc, const int *rows, int nrows, int over, Arena *a)
{
    const Decl *d = sc->d;
    sc->over = over;
    sc->let_deps = arena_alloc(a, (size_t)(d->nlets + 1) * sizeof *sc->let_deps);
    sc->let_deps_done = arena_alloc(a, (size_t)(d->nlets + 1) * sizeof *sc->let_deps_done);
    for (int i = 0; i < d->scan.nivars; i++)
        if (i != over && !chunk_in(rows, nrows, i))
            sc->lane_mask |= lower_scan_ivar_bit(i);
    sc->coef_flat = arena_alloc(a, (size_t)(2 * d->scan.nupdates + 1) * sizeof *sc->coef_flat);
    for (int u = 0; u < d->scan.nupdates; u++) {
        const Stmt *st = d->scan.updates[u];
        if (!st->update_a)
            return false;
        ScanDeps da = lower_scan_deps(sc, st->update_a), dc = lower_scan_deps(sc, st->update_c);
        if (da.state || dc.state)
            return false;
        sc->coef_flat[2 * u] = !(da.ivars & sc->lane_mask);
        sc->coef_flat[2 * u + 1] = !(dc.ivars & sc->lane_mask);
    }
    PtrVec lets = {0}, sums = {0};
    for (int i = 0; i < d->nstmts; i++) {
        const Stmt *st = d->stmts[i];
        if (st->kind != ST_LET || !st->let || !st->let->used)
            continue;
        ScanDeps dp = lower_scan_deps(sc, st->let->value);
        if (!dp.state && !(dp.ivars & sc->lane_mask))
            ptrvec_push(a, &lets, st->let);
    }
    for (int o = 0; o < d->scan.nouts; o++)
        chunk_collect_sums(d->scan.outs[o]->value, a, &sums);
    sc->blets = (LetBinding **)lets.items;
    sc->nblets = lets.len;
    sc->blet_buf = arena_alloc(a, (size_t)(lets.len + 1) * sizeof *sc->blet_buf);
    sc->red = (const Expr **)sums.items;
    sc->nred = sums.len;
    sc->red_acc = arena_alloc(a, (size_t)(sums.len + 1) * sizeof *sc->red_acc);
    return true;
}

/* Lanes of state s, as i64. */
static LLVMValueRef chunk_lanes(LowerEnv *env, int s)
{
    return lower_scan_product(env, env->scan->lanes[s], env->scan->nlanes[s]);
}

/* Chunk-long rows of coefficient buffer k (update k / 2's a or c): one when
 * flat, else one per lane (i64). */
static LLVMValueRef chunk_coef_rows(LowerEnv *env, int k)
{
    LowerScan *sc = env->scan;
    return sc->coef_flat[k] ? LLVMConstInt(env->L->t.i64, 1, 0) : chunk_lanes(env, sc->d->scan.updates[k / 2]->target);
}

LLVMValueRef lower_scan_chunk_scratch(LowerEnv *env)
{
    Lower *L = env->L;
    LowerScan *sc = env->scan;
    const Decl *d = sc->d;
    LLVMValueRef rows = LLVMConstInt(L->t.i64, (unsigned long long)(sc->nblets + sc->nred), 0);
    for (int k = 0; k < 2 * d->scan.nupdates; k++)
        rows = LLVMBuildAdd(L->bld, rows, chunk_coef_rows(env, k), "");
    for (int s = 0; s < d->scan.nstates; s++)
        rows = LLVMBuildAdd(L->bld, rows, chunk_lanes(env, s), "");
    return LLVMBuildMul(L->bld, rows, LLVMConstInt(L->t.i64, SCAN_CHUNK, 0), "");
}

/* The chunk buffers, carved from the scratch after the states. */
typedef struct ChunkBufs {
    LLVMValueRef *coef;  /* per update u: [2u] its a, [2u + 1] its c (lane-major or flat) */
    LLVMValueRef *hist;  /* per state */
    LLVMValueRef *acc;   /* per hoisted sum */
    LLVMValueRef t0, tn; /* the chunk's first position and length (i32) */
    LLVMValueRef vec_ok; /* i1: every state's lane count is a multiple of SCAN_VEC */
} ChunkBufs;

/* The next `rows` chunk-long rows of the scratch at *off. */
static LLVMValueRef chunk_carve(LowerEnv *env, LLVMValueRef rest, LLVMValueRef *off, LLVMValueRef rows)
{
    Lower *L = env->L;
    LLVMValueRef p = LLVMBuildInBoundsGEP2(L->bld, L->t.f32, rest, off, 1, "");
    *off = LLVMBuildAdd(L->bld, *off, LLVMBuildMul(L->bld, rows, LLVMConstInt(L->t.i64, SCAN_CHUNK, 0), ""), "");
    return p;
}

static void chunk_bufs(LowerEnv *env, LLVMValueRef rest, ChunkBufs *b)
{
    Lower *L = env->L;
    LowerScan *sc = env->scan;
    const Decl *d = sc->d;
    LLVMValueRef off = LLVMConstInt(L->t.i64, 0, 0), one = LLVMConstInt(L->t.i64, 1, 0);
    b->coef = arena_alloc(L->arena, (size_t)(2 * d->scan.nupdates + 1) * sizeof *b->coef);
    b->hist = arena_alloc(L->arena, (size_t)(d->scan.nstates + 1) * sizeof *b->hist);
    b->acc = arena_alloc(L->arena, (size_t)(sc->nred + 1) * sizeof *b->acc);
    for (int k = 0; k < sc->nblets; k++)
        sc->blet_buf[k] = chunk_carve(env, rest, &off, one);
    for (int i = 0; i < sc->nred; i++)
        b->acc[i] = chunk_carve(env, rest, &off, one);
    for (int k = 0; k < 2 * d->scan.nupdates; k++)
        b->coef[k] = chunk_carve(env, rest, &off, chunk_coef_rows(env, k));
    for (int s = 0; s < d->scan.nstates; s++)
        b->hist[s] = chunk_carve(env, rest, &off, chunk_lanes(env, s));
}

/* &buf[row * SCAN_CHUNK + tt] for an element type ty. */
static LLVMValueRef chunk_at(LowerEnv *env, LLVMTypeRef ty, LLVMValueRef buf, LLVMValueRef row)
{
    Lower *L = env->L;
    LLVMValueRef i = LLVMBuildSExt(L->bld, env->scan->tt, L->t.i64, "");
    if (row)
        i = LLVMBuildNSWAdd(L->bld, LLVMBuildNSWMul(L->bld, row, LLVMConstInt(L->t.i64, SCAN_CHUNK, 0), ""), i, "");
    return LLVMBuildInBoundsGEP2(L->bld, ty, buf, &i, 1, "");
}

static LLVMTypeRef chunk_let_type(Lower *L, const LetBinding *let)
{
    return lower_type(L, lower_scalar_kind(let->value));
}

/* Opens `for tt in lo .. lo + n - 1` (lo: i32 or NULL for 0), binding
 * t = t0 + tt and, when `lets`, the buffered lets' values at tt. */
static void chunk_tt_range(LowerEnv *env, LowerLoop *lp, const ChunkBufs *b, LLVMValueRef lo, LLVMValueRef n,
                           bool lets)
{
    Lower *L = env->L;
    LowerScan *sc = env->scan;
    sc->tt = lower_loop_open(env, lp, n, "tt");
    if (lo)
        sc->tt = LLVMBuildNSWAdd(L->bld, lo, sc->tt, "");
    sc->t = LLVMBuildNSWAdd(L->bld, b->t0, sc->tt, "t");
    if (sc->over >= 0)
        sc->ivals[sc->over] = sc->t;
    for (int k = 0; lets && k < sc->nblets; k++) {
        LLVMTypeRef ty = chunk_let_type(L, sc->blets[k]);
        LLVMValueRef v = LLVMBuildLoad2(L->bld, ty, chunk_at(env, ty, sc->blet_buf[k], NULL), "");
        ptrvec_push(L->arena, &env->let_keys, sc->blets[k]);
        ptrvec_push(L->arena, &env->let_values, v);
    }
}

/* Opens `for tt < tn` (chunk_tt_range over the whole chunk). */
static void chunk_tt_open(LowerEnv *env, LowerLoop *lp, const ChunkBufs *b, bool lets)
{
    chunk_tt_range(env, lp, b, NULL, b->tn, lets);
}

/* let_k[tt] = value for every buffered let (one loop: later lets reuse earlier ones). */
static void chunk_lets(LowerEnv *env, const ChunkBufs *b)
{
    Lower *L = env->L;
    LowerScan *sc = env->scan;
    if (sc->nblets == 0)
        return;
    LowerLoop tl;
    chunk_tt_open(env, &tl, b, false);
    for (int k = 0; k < sc->nblets; k++) {
        LLVMValueRef v = lower_let(env, sc->blets[k]);
        if (v)
            LLVMBuildStore(L->bld, v, chunk_at(env, LLVMTypeOf(v), sc->blet_buf[k], NULL));
    }
    lower_loop_close(env, &tl);
}

/* coef[k][lane][tt] = a or c of update k / 2 for its coefficients k whose
 * flatness is `flat` (flat ones: coef[k][tt], outside the lane loops). */
static void chunk_coef_pass(LowerEnv *env, const ChunkBufs *b, int u, bool flat)
{
    Lower *L = env->L;
    LowerScan *sc = env->scan;
    const Stmt *st = sc->d->scan.updates[u];
    const Expr *e[2] = {st->update_a, st->update_c};
    if (sc->coef_flat[2 * u] != flat && sc->coef_flat[2 * u + 1] != flat)
        return;
    LowerLoop loops[ATTN_MAX_RANK], tl;
    if (!flat)
        lower_scan_lanes_open(env, st->target, loops);
    LLVMValueRef lane = flat ? NULL : lower_scan_lane_offset(env, st->target);
    chunk_tt_open(env, &tl, b, true);
    for (int k = 0; k < 2 && (flat || lane); k++) {
        if (sc->coef_flat[2 * u + k] != flat)
            continue;
        LLVMValueRef v = lower_expr(env, e[k], SK_F32);
        if (v)
            LLVMBuildStore(L->bld, v, chunk_at(env, L->t.f32, b->coef[2 * u + k], lane));
    }
    lower_loop_close(env, &tl);
    if (!flat)
        lower_scan_lanes_close(env, st->target, loops);
}

/* Every update's a and c at every position of the chunk (and lane). */
static void chunk_coefficients(LowerEnv *env, const ChunkBufs *b)
{
    for (int u = 0; u < env->scan->d->scan.nupdates && !env->L->failed; u++) {
        chunk_coef_pass(env, b, u, true);
        chunk_coef_pass(env, b, u, false);
    }
}

/* Coefficient k at the current tt and lane. */
static LLVMValueRef chunk_coef(LowerEnv *env, const ChunkBufs *b, int k, LLVMValueRef lane)
{
    Lower *L = env->L;
    LLVMValueRef row = env->scan->coef_flat[k] ? NULL : lane;
    return LLVMBuildLoad2(L->bld, L->t.f32, chunk_at(env, L->t.f32, b->coef[k], row), "");
}

/* The sequential part at positions lo .. lo + n - 1, one position at a
 * time: resets, h = a * h + c, and the states' history. */
static void chunk_recurrence_scalar(LowerEnv *env, const ChunkBufs *b, LLVMValueRef lo, LLVMValueRef n)
{
    Lower *L = env->L;
    const Decl *d = env->scan->d;
    LowerLoop tl;
    chunk_tt_range(env, &tl, b, lo, n, true);
    for (int r = 0; r < d->scan.nresets && !L->failed; r++)
        lower_scan_reset(env, d->scan.resets[r]);
    for (int u = 0; u < d->scan.nupdates && !L->failed; u++) {
        int s = d->scan.updates[u]->target;
        LowerLoop loops[ATTN_MAX_RANK];
        lower_scan_lanes_open(env, s, loops);
        LLVMValueRef lane = lower_scan_lane_offset(env, s), p = lower_scan_state_ptr(env, s);
        if (lane && p) {
            LLVMValueRef a = chunk_coef(env, b, 2 * u, lane), c = chunk_coef(env, b, 2 * u + 1, lane);
            LLVMValueRef h = LLVMBuildLoad2(L->bld, L->t.f32, p, "");
            LLVMBuildStore(L->bld, LLVMBuildFAdd(L->bld, LLVMBuildFMul(L->bld, a, h, ""), c, ""), p);
        }
        lower_scan_lanes_close(env, s, loops);
    }
    for (int s = 0; s < d->scan.nstates && !L->failed; s++) {
        LowerLoop loops[ATTN_MAX_RANK];
        lower_scan_lanes_open(env, s, loops);
        LLVMValueRef lane = lower_scan_lane_offset(env, s), p = lower_scan_state_ptr(env, s);
        if (lane && p)
            LLVMBuildStore(L->bld, LLVMBuildLoad2(L->bld, L->t.f32, p, ""),
                           chunk_at(env, L->t.f32, b->hist[s], lane));
        lower_scan_lanes_close(env, s, loops);
    }
    lower_loop_close(env, &tl);
}

/* Whether a reset falls at one of the positions T .. T + SCAN_VEC - 1 of
 * the chunk (T = t0 + lo; all of them inside it): some pack's segment that
 * holds the last one starts at or after T, and not at 0. */
static LLVMValueRef chunk_resets_in(LowerEnv *env, const ChunkBufs *b, LLVMValueRef lo)
{
    Lower *L = env->L;
    const Decl *d = env->scan->d;
    LLVMValueRef t = LLVMBuildNSWAdd(L->bld, b->t0, lo, "");
    LLVMValueRef last = LLVMBuildNSWAdd(L->bld, t, LLVMConstInt(L->t.i32, SCAN_VEC - 1, 0), "");
    LLVMValueRef any = LLVMConstInt(L->t.i1, 0, 0);
    for (int r = 0; r < d->scan.nresets; r++) {
        LLVMValueRef start = lower_scan_seg_start(env, d->scan.resets[r], last);
        if (!start)
            return any;
        LLVMValueRef in = LLVMBuildAnd(L->bld, LLVMBuildICmp(L->bld, LLVMIntSGE, start, t, ""),
                                       LLVMBuildICmp(L->bld, LLVMIntSGT, start, LLVMConstInt(L->t.i32, 0, 0), ""), "");
        any = LLVMBuildOr(L->bld, any, in, "");
    }
    return any;
}

/* Every state's recurrence at positions lo .. lo + SCAN_VEC - 1, vectorized
 * over its lanes (lower_scan_vec.c). States are independent: an update reads
 * only its own state. */
static void chunk_recurrence_vec(LowerEnv *env, const ChunkBufs *b, LLVMValueRef lo)
{
    Lower *L = env->L;
    LowerScan *sc = env->scan;
    const Decl *d = sc->d;
    LLVMValueRef *coef = arena_alloc(L->arena, (size_t)(2 * d->scan.nupdates + 1) * sizeof *coef);
    bool *flat = arena_alloc(L->arena, (size_t)(2 * d->scan.nupdates + 1) * sizeof *flat);
    for (int s = 0; s < d->scan.nstates; s++) {
        int n = 0;
        for (int k = 0; k < 2 * d->scan.nupdates; k++)
            if (d->scan.updates[k / 2]->target == s) {
                coef[n] = b->coef[k];
                flat[n++] = sc->coef_flat[k];
            }
        lower_scan_vec_state(env, s, chunk_lanes(env, s), lo, coef, flat, n / 2, b->hist[s]);
    }
}

/* The recurrence over the chunk in blocks of SCAN_VEC positions: vectorized
 * over the lanes where the block is whole, holds no reset and every lane
 * count allows it, else one position at a time. */
static void chunk_recurrence(LowerEnv *env, const ChunkBufs *b)
{
    Lower *L = env->L;
    LLVMValueRef fn = env->scan->fn;
    LLVMValueRef vec = LLVMConstInt(L->t.i32, SCAN_VEC, 0);
    LLVMValueRef nblk = LLVMBuildSDiv(L->bld, LLVMBuildAdd(L->bld, b->tn, LLVMConstInt(L->t.i32, SCAN_VEC - 1, 0), ""),
                                      vec, "");
    LowerLoop bl;
    LLVMValueRef lo = LLVMBuildNSWMul(L->bld, lower_loop_open(env, &bl, nblk, "block"), vec, "lo");
    LLVMValueRef mm[2] = {LLVMBuildSub(L->bld, b->tn, lo, ""), vec};
    LLVMValueRef n = lower_intrinsic(L, "llvm.smin", mm, 2);
    LLVMValueRef whole = LLVMBuildAnd(L->bld, b->vec_ok, LLVMBuildICmp(L->bld, LLVMIntEQ, n, vec, ""), "");
    LLVMBasicBlockRef check = LLVMAppendBasicBlockInContext(L->ctx, fn, "resets_in");
    LLVMBasicBlockRef fast = LLVMAppendBasicBlockInContext(L->ctx, fn, "lanes_vec");
    LLVMBasicBlockRef slow = LLVMAppendBasicBlockInContext(L->ctx, fn, "lanes_scalar");
    LLVMBasicBlockRef after = LLVMAppendBasicBlockInContext(L->ctx, fn, "block_done");
    LLVMBuildCondBr(L->bld, whole, check, slow);
    LLVMPositionBuilderAtEnd(L->bld, check);
    LLVMBuildCondBr(L->bld, chunk_resets_in(env, b, lo), slow, fast);
    LLVMPositionBuilderAtEnd(L->bld, fast);
    chunk_recurrence_vec(env, b, lo);
    LLVMBuildBr(L->bld, after);
    LLVMPositionBuilderAtEnd(L->bld, slow);
    chunk_recurrence_scalar(env, b, lo, n);
    LLVMBuildBr(L->bld, after);
    LLVMPositionBuilderAtEnd(L->bld, after);
    lower_loop_close(env, &bl);
}

/* i1: every state's lane count is a multiple of SCAN_VEC (and its blocks
 * fit the i32 loop of lower_scan_vec_state). */
static LLVMValueRef chunk_vec_ok(LowerEnv *env)
{
    Lower *L = env->L;
    LLVMValueRef ok = LLVMConstInt(L->t.i1, 1, 0);
    for (int s = 0; s < env->scan->d->scan.nstates; s++) {
        LLVMValueRef n = chunk_lanes(env, s);
        LLVMValueRef rem = LLVMBuildURem(L->bld, n, LLVMConstInt(L->t.i64, SCAN_VEC, 0), "");
        LLVMValueRef fits = LLVMBuildICmp(L->bld, LLVMIntULT, n, LLVMConstInt(L->t.i64, 1ull << 31, 0), "");
        ok = LLVMBuildAnd(L->bld, ok, LLVMBuildICmp(L->bld, LLVMIntEQ, rem, LLVMConstInt(L->t.i64, 0, 0), ""), "");
        ok = LLVMBuildAnd(L->bld, ok, fits, "");
    }
    return ok;
}

/* acc_i[tt] = sum i's value at every tt, its index loop outside the tt loop. */
static void chunk_sum(LowerEnv *env, const ChunkBufs *b, int i)
{
    Lower *L = env->L;
    LowerScan *sc = env->scan;
    const Expr *e = sc->red[i];
    ScalarKind sk = lower_scalar_kind(e);
    LLVMValueRef n = e->ref == REF_INDEXVAR && e->index >= 0 && e->index < sc->d->scan.nivars
                         ? lower_scan_extent(env, sc->d->scan.ivars[e->index].dim_id) : NULL;
    if (!n || (sk != SK_F32 && sk != SK_I32)) {
        lower_fail(L, e->span, "this reduction");
        return;
    }
    LLVMTypeRef ty = lower_type(L, sk);
    LowerLoop tl, kl;
    chunk_tt_open(env, &tl, b, false);
    LLVMBuildStore(L->bld, lower_reduce_init(L, e->op, sk), chunk_at(env, ty, b->acc[i], NULL));
    lower_loop_close(env, &tl);
    LLVMValueRef saved = sc->ivals[e->index];
    sc->ivals[e->index] = lower_loop_open(env, &kl, n, "reduce");
    chunk_tt_open(env, &tl, b, true);
    LLVMValueRef v = lower_expr(env, e->a, sk);
    if (v) {
        LLVMValueRef p = chunk_at(env, ty, b->acc[i], NULL);
        LLVMBuildStore(L->bld, lower_reduce_step(L, e->op, sk, LLVMBuildLoad2(L->bld, ty, p, ""), v), p);
    }
    lower_loop_close(env, &tl);
    lower_loop_close(env, &kl);
    sc->ivals[e->index] = saved;
}

/* Hoisted sums, then every output at every tt (states read from history). */
static void chunk_outputs(LowerEnv *env, const ChunkBufs *b)
{
    Lower *L = env->L;
    LowerScan *sc = env->scan;
    sc->hist = b->hist;
    for (int i = 0; i < sc->nred && !L->failed; i++)
        chunk_sum(env, b, i);
    for (int i = 0; i < sc->nred; i++)
        sc->red_acc[i] = b->acc[i];
    LowerLoop tl;
    chunk_tt_open(env, &tl, b, true);
    for (int o = 0; o < sc->d->scan.nouts && !L->failed; o++)
        lower_scan_output(env, sc->d->scan.outs[o]);
    lower_loop_close(env, &tl);
    for (int i = 0; i < sc->nred; i++)
        sc->red_acc[i] = NULL;
    sc->hist = NULL;
}

void lower_scan_chunk_walk(LowerEnv *env, LLVMValueRef scratch_rest)
{
    Lower *L = env->L;
    LowerScan *sc = env->scan;
    ChunkBufs b;
    chunk_bufs(env, scratch_rest, &b);
    b.vec_ok = chunk_vec_ok(env);
    LLVMValueRef len = lower_scan_extent(env, sc->d->scan.axis_dim_id);
    LLVMValueRef zero = LLVMConstInt(L->t.i32, 0, 0), one = LLVMConstInt(L->t.i32, 1, 0);
    LLVMValueRef size = LLVMConstInt(L->t.i32, SCAN_CHUNK, 0);
    /* len > 0 ? (len - 1) / SCAN_CHUNK + 1 : 0, without overflow */
    LLVMValueRef nch = LLVMBuildAdd(L->bld, LLVMBuildSDiv(L->bld, LLVMBuildSub(L->bld, len, one, ""), size, ""), one, "");
    nch = LLVMBuildSelect(L->bld, LLVMBuildICmp(L->bld, LLVMIntSGT, len, zero, ""), nch, zero, "");
    LowerLoop cl;
    LLVMValueRef ch = lower_loop_open(env, &cl, nch, "chunk");
    b.t0 = LLVMBuildNSWMul(L->bld, ch, size, "t0");
    LLVMValueRef mm[2] = {LLVMBuildSub(L->bld, len, b.t0, ""), size};
    b.tn = lower_intrinsic(L, "llvm.smin", mm, 2);
    chunk_lets(env, &b);
    chunk_coefficients(env, &b);
    chunk_recurrence(env, &b);
    chunk_outputs(env, &b);
    lower_loop_close(env, &cl);
}
