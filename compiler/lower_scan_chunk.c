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
    for (int u = 0; u < d->scan.nupdates; u++) {
        const Stmt *st = d->scan.updates[u];
        if (!st->update_a || lower_scan_deps(sc, st->update_a).state || lower_scan_deps(sc, st->update_c).state)
            return false;
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

LLVMValueRef lower_scan_chunk_scratch(LowerEnv *env)
{
    Lower *L = env->L;
    LowerScan *sc = env->scan;
    const Decl *d = sc->d;
    LLVMValueRef rows = LLVMConstInt(L->t.i64, (unsigned long long)(sc->nblets + sc->nred), 0);
    for (int u = 0; u < d->scan.nupdates; u++) {
        LLVMValueRef n = chunk_lanes(env, d->scan.updates[u]->target);
        rows = LLVMBuildAdd(L->bld, rows, LLVMBuildAdd(L->bld, n, n, ""), "");
    }
    for (int s = 0; s < d->scan.nstates; s++)
        rows = LLVMBuildAdd(L->bld, rows, chunk_lanes(env, s), "");
    return LLVMBuildMul(L->bld, rows, LLVMConstInt(L->t.i64, SCAN_CHUNK, 0), "");
}

/* The chunk buffers, carved from the scratch after the states. */
typedef struct ChunkBufs {
    LLVMValueRef *a, *c; /* per update */
    LLVMValueRef *hist;  /* per state */
    LLVMValueRef *acc;   /* per hoisted sum */
    LLVMValueRef t0, tn; /* the chunk's first position and length (i32) */
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
    b->a = arena_alloc(L->arena, (size_t)(d->scan.nupdates + 1) * sizeof *b->a);
    b->c = arena_alloc(L->arena, (size_t)(d->scan.nupdates + 1) * sizeof *b->c);
    b->hist = arena_alloc(L->arena, (size_t)(d->scan.nstates + 1) * sizeof *b->hist);
    b->acc = arena_alloc(L->arena, (size_t)(sc->nred + 1) * sizeof *b->acc);
    for (int k = 0; k < sc->nblets; k++)
        sc->blet_buf[k] = chunk_carve(env, rest, &off, one);
    for (int i = 0; i < sc->nred; i++)
        b->acc[i] = chunk_carve(env, rest, &off, one);
    for (int u = 0; u < d->scan.nupdates; u++) {
        LLVMValueRef n = chunk_lanes(env, d->scan.updates[u]->target);
        b->a[u] = chunk_carve(env, rest, &off, n);
        b->c[u] = chunk_carve(env, rest, &off, n);
    }
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

/* Opens `for tt < tn`, binding t = t0 + tt and, when `lets`, the buffered
 * lets' values at tt. */
static void chunk_tt_open(LowerEnv *env, LowerLoop *lp, const ChunkBufs *b, bool lets)
{
    Lower *L = env->L;
    LowerScan *sc = env->scan;
    sc->tt = lower_loop_open(env, lp, b->tn, "tt");
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

/* a_u[lane][tt] = a, c_u[lane][tt] = c for every update u. */
static void chunk_coefficients(LowerEnv *env, const ChunkBufs *b)
{
    Lower *L = env->L;
    const Decl *d = env->scan->d;
    for (int u = 0; u < d->scan.nupdates && !L->failed; u++) {
        const Stmt *st = d->scan.updates[u];
        LowerLoop loops[ATTN_MAX_RANK], tl;
        lower_scan_lanes_open(env, st->target, loops);
        LLVMValueRef lane = lower_scan_lane_offset(env, st->target);
        chunk_tt_open(env, &tl, b, true);
        LLVMValueRef a = lower_expr(env, st->update_a, SK_F32);
        LLVMValueRef c = lower_expr(env, st->update_c, SK_F32);
        if (a && c && lane) {
            LLVMBuildStore(L->bld, a, chunk_at(env, L->t.f32, b->a[u], lane));
            LLVMBuildStore(L->bld, c, chunk_at(env, L->t.f32, b->c[u], lane));
        }
        lower_loop_close(env, &tl);
        lower_scan_lanes_close(env, st->target, loops);
    }
}

/* The sequential part: resets, h = a * h + c, and the states' history. */
static void chunk_recurrence(LowerEnv *env, const ChunkBufs *b)
{
    Lower *L = env->L;
    const Decl *d = env->scan->d;
    LowerLoop tl;
    chunk_tt_open(env, &tl, b, true);
    for (int r = 0; r < d->scan.nresets && !L->failed; r++)
        lower_scan_reset(env, d->scan.resets[r]);
    for (int u = 0; u < d->scan.nupdates && !L->failed; u++) {
        int s = d->scan.updates[u]->target;
        LowerLoop loops[ATTN_MAX_RANK];
        lower_scan_lanes_open(env, s, loops);
        LLVMValueRef lane = lower_scan_lane_offset(env, s), p = lower_scan_state_ptr(env, s);
        if (lane && p) {
            LLVMValueRef a = LLVMBuildLoad2(L->bld, L->t.f32, chunk_at(env, L->t.f32, b->a[u], lane), "");
            LLVMValueRef c = LLVMBuildLoad2(L->bld, L->t.f32, chunk_at(env, L->t.f32, b->c[u], lane), "");
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
