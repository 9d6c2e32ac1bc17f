/* lower_ranges_list.c - from the atoms' intervals (lower_ranges.c) to the
 * hook's sorted, disjoint attn_kv_range list.
 *
 * Every interval end, plus 0 and KV, is a cut point; sorted (a min/max
 * network), consecutive cuts bound pieces on which every atom is constant.
 * Each piece is classified by evaluating the formula at its first key with
 * (full, some) truth values: And (f1 & f2, s1 & s2), Or (f1 | f2, s1 | s2),
 * Not (!s, !f). Pieces are appended to a local list, a piece continuing the
 * previous one of the same class extends it. If the list is longer than
 * ATTN_MAX_KV_RANGES, a loop merges the two neighbours with the smallest gap
 * into one partial range until it fits. */
#include "attn_abi.h"
#include "lower_ranges.h"

typedef struct Truth {
    LLVMValueRef full, some;
} Truth;

static LLVMValueRef rl_in(LLVMBuilderRef bld, LLVMValueRef p, LLVMValueRef lo, LLVMValueRef hi)
{
    return LLVMBuildAnd(bld, LLVMBuildICmp(bld, LLVMIntSLE, lo, p, ""),
                        LLVMBuildICmp(bld, LLVMIntSLT, p, hi, ""), "");
}

/* The formula at key p (inside one piece). */
static Truth rl_eval(RangeGen *G, const AnaNode *n, LLVMValueRef p)
{
    LLVMBuilderRef bld = G->L->bld;
    LLVMValueRef t = LLVMConstInt(G->L->t.i1, 1, 0), f = LLVMConstInt(G->L->t.i1, 0, 0);
    switch (n->kind) {
    case AN_TRUE: return (Truth){t, t};
    case AN_FALSE: return (Truth){f, f};
    case AN_NOT: {
        Truth a = rl_eval(G, n->a, p);
        return (Truth){LLVMBuildNot(bld, a.some, ""), LLVMBuildNot(bld, a.full, "")};
    }
    case AN_ATOM: {
        int i = 0;
        while (G->m->atoms[i] != n->atom)
            i++;
        return (Truth){rl_in(bld, p, G->full_lo[i], G->full_hi[i]),
                       rl_in(bld, p, G->some_lo[i], G->some_hi[i])};
    }
    default: {
        Truth a = rl_eval(G, n->a, p), b = rl_eval(G, n->b, p);
        if (n->kind == AN_AND)
            return (Truth){LLVMBuildAnd(bld, a.full, b.full, ""), LLVMBuildAnd(bld, a.some, b.some, "")};
        return (Truth){LLVMBuildOr(bld, a.full, b.full, ""), LLVMBuildOr(bld, a.some, b.some, "")};
    }
    }
}

/* &list[idx].field */
static LLVMValueRef rl_field(RangeGen *G, LLVMValueRef list, LLVMValueRef idx, int field)
{
    Lower *L = G->L;
    LLVMValueRef ix[2] = {idx, LLVMConstInt(L->t.i32, (unsigned)field, 0)};
    return LLVMBuildInBoundsGEP2(L->bld, L->t.range, list, ix, 2, "");
}

static LLVMValueRef rl_i32(RangeGen *G, int v) { return LLVMConstInt(G->L->t.i32, (unsigned long long)v, 1); }

/* Sorts v[0..n) ascending in place (bubble network of smin / smax). */
static void rl_sort(RangeGen *G, LLVMValueRef *v, int n)
{
    for (int i = 0; i < n - 1; i++)
        for (int j = 0; j + 1 < n - i; j++) {
            LLVMValueRef a[2] = {v[j], v[j + 1]};
            v[j] = lower_intrinsic(G->L, "llvm.smin", a, 2);
            v[j + 1] = lower_intrinsic(G->L, "llvm.smax", a, 2);
        }
}

/* Appends the pieces to `list` (npieces + 1 slots, the last one a scratch
 * slot for skipped pieces); returns the count. */
static LLVMValueRef rl_pieces(RangeGen *G, LLVMValueRef *cut, int npieces, LLVMValueRef list)
{
    Lower *L = G->L;
    LLVMBuilderRef bld = L->bld;
    LLVMValueRef count = rl_i32(G, 0), last_lo = cut[0], last_hi = cut[0];
    LLVMValueRef last_full = LLVMConstInt(L->t.i1, 0, 0);
    for (int i = 0; i < npieces; i++) {
        LLVMValueRef lo = cut[i], hi = cut[i + 1];
        Truth t = rl_eval(G, G->m->root, lo);
        LLVMValueRef present = LLVMBuildAnd(bld, t.some, LLVMBuildICmp(bld, LLVMIntSLT, lo, hi, ""), "");
        LLVMValueRef cont = LLVMBuildAnd(bld, LLVMBuildICmp(bld, LLVMIntSGT, count, rl_i32(G, 0), ""),
                                         LLVMBuildICmp(bld, LLVMIntEQ, last_hi, lo, ""), "");
        cont = LLVMBuildAnd(bld, cont, LLVMBuildICmp(bld, LLVMIntEQ, last_full, t.full, ""), "");
        LLVMValueRef extend = LLVMBuildAnd(bld, present, cont, "");
        LLVMValueRef append = LLVMBuildAnd(bld, present, LLVMBuildNot(bld, cont, ""), "");
        LLVMValueRef idx = LLVMBuildSelect(bld, extend, LLVMBuildSub(bld, count, rl_i32(G, 1), ""),
                                           LLVMBuildSelect(bld, append, count, rl_i32(G, npieces), ""), "");
        LLVMValueRef new_lo = LLVMBuildSelect(bld, extend, last_lo, lo, "");
        LLVMBuildStore(bld, LLVMBuildTrunc(bld, new_lo, L->t.i32, ""), rl_field(G, list, idx, 0));
        LLVMBuildStore(bld, LLVMBuildTrunc(bld, hi, L->t.i32, ""), rl_field(G, list, idx, 1));
        LLVMBuildStore(bld, LLVMBuildZExt(bld, t.full, L->t.i32, ""), rl_field(G, list, idx, 2));
        count = LLVMBuildAdd(bld, count, LLVMBuildZExt(bld, append, L->t.i32, ""), "");
        last_lo = LLVMBuildSelect(bld, present, new_lo, last_lo, "");
        last_hi = LLVMBuildSelect(bld, present, hi, last_hi, "");
        last_full = LLVMBuildSelect(bld, present, t.full, last_full, "");
    }
    return count;
}

typedef struct Loop {
    LLVMBasicBlockRef head, body, exit;
} Loop;

/* Blocks of `for (*var = from; *var < limit; ) body`: positions the builder
 * in the body and returns the loaded variable in *cur. */
static Loop rl_loop(RangeGen *G, LLVMValueRef var, LLVMValueRef from, LLVMValueRef limit,
                    LLVMValueRef *cur)
{
    Lower *L = G->L;
    LLVMValueRef fn = LLVMGetBasicBlockParent(LLVMGetInsertBlock(L->bld));
    Loop lp = {LLVMAppendBasicBlockInContext(L->ctx, fn, "loop"),
               LLVMAppendBasicBlockInContext(L->ctx, fn, "body"),
               LLVMAppendBasicBlockInContext(L->ctx, fn, "exit")};
    LLVMBuildStore(L->bld, from, var);
    LLVMBuildBr(L->bld, lp.head);
    LLVMPositionBuilderAtEnd(L->bld, lp.head);
    *cur = LLVMBuildLoad2(L->bld, L->t.i32, var, "");
    LLVMBuildCondBr(L->bld, LLVMBuildICmp(L->bld, LLVMIntSLT, *cur, limit, ""), lp.body, lp.exit);
    LLVMPositionBuilderAtEnd(L->bld, lp.body);
    return lp;
}

/* Ends the loop body: var += 1, and continues after the loop. */
static void rl_loop_end(RangeGen *G, Loop lp, LLVMValueRef var, LLVMValueRef cur)
{
    LLVMBuildStore(G->L->bld, LLVMBuildAdd(G->L->bld, cur, rl_i32(G, 1), ""), var);
    LLVMBuildBr(G->L->bld, lp.head);
    LLVMPositionBuilderAtEnd(G->L->bld, lp.exit);
}

/* While *countp > ATTN_MAX_KV_RANGES: merge list[i] and list[i + 1] with the
 * smallest gap list[i + 1].lo - list[i].hi into one partial range. */
static void rl_cap(RangeGen *G, LLVMValueRef list, LLVMValueRef countp)
{
    Lower *L = G->L;
    LLVMBuilderRef bld = L->bld;
    LLVMValueRef j = LLVMBuildAlloca(bld, L->t.i32, "j"), best = LLVMBuildAlloca(bld, L->t.i32, "best");
    LLVMValueRef best_gap = LLVMBuildAlloca(bld, L->t.i32, "gap"), round = LLVMBuildAlloca(bld, L->t.i32, "r");
    LLVMValueRef count = LLVMBuildLoad2(bld, L->t.i32, countp, ""), r;
    /* One round per range too many. */
    LLVMValueRef extra = LLVMBuildSub(bld, count, rl_i32(G, ATTN_MAX_KV_RANGES), "");
    Loop rounds = rl_loop(G, round, rl_i32(G, 0), extra, &r);
    LLVMValueRef n = LLVMBuildLoad2(bld, L->t.i32, countp, ""), cur;
    LLVMValueRef n1 = LLVMBuildSub(bld, n, rl_i32(G, 1), "");
    LLVMBuildStore(bld, rl_i32(G, 0), best);
    LLVMBuildStore(bld, rl_i32(G, INT32_MAX), best_gap);
    Loop find = rl_loop(G, j, rl_i32(G, 0), n1, &cur);
    LLVMValueRef next = LLVMBuildAdd(bld, cur, rl_i32(G, 1), "");
    LLVMValueRef gap = LLVMBuildSub(bld, LLVMBuildLoad2(bld, L->t.i32, rl_field(G, list, next, 0), ""),
                                    LLVMBuildLoad2(bld, L->t.i32, rl_field(G, list, cur, 1), ""), "");
    LLVMValueRef better = LLVMBuildICmp(bld, LLVMIntSLT, gap, LLVMBuildLoad2(bld, L->t.i32, best_gap, ""), "");
    LLVMBuildStore(bld, LLVMBuildSelect(bld, better, gap, LLVMBuildLoad2(bld, L->t.i32, best_gap, ""), ""), best_gap);
    LLVMBuildStore(bld, LLVMBuildSelect(bld, better, cur, LLVMBuildLoad2(bld, L->t.i32, best, ""), ""), best);
    rl_loop_end(G, find, j, cur);
    LLVMValueRef i = LLVMBuildLoad2(bld, L->t.i32, best, "");
    LLVMValueRef i1 = LLVMBuildAdd(bld, i, rl_i32(G, 1), "");
    LLVMBuildStore(bld, LLVMBuildLoad2(bld, L->t.i32, rl_field(G, list, i1, 1), ""), rl_field(G, list, i, 1));
    LLVMBuildStore(bld, rl_i32(G, 0), rl_field(G, list, i, 2));
    Loop shift = rl_loop(G, j, i1, n1, &cur);
    LLVMValueRef src = LLVMBuildLoad2(bld, L->t.range, rl_field(G, list, LLVMBuildAdd(bld, cur, rl_i32(G, 1), ""), 0), "");
    LLVMBuildStore(bld, src, rl_field(G, list, cur, 0));
    rl_loop_end(G, shift, j, cur);
    LLVMBuildStore(bld, n1, countp);
    rl_loop_end(G, rounds, round, r);
}

LLVMValueRef lower_ranges_list(RangeGen *G, LLVMValueRef out)
{
    Lower *L = G->L;
    LLVMBuilderRef bld = L->bld;
    int ncut = 4 * G->m->natoms + 2, npieces = ncut - 1;
    LLVMValueRef *cut = arena_alloc(L->arena, (size_t)ncut * sizeof *cut);
    cut[0] = LLVMConstInt(L->t.i64, 0, 0);
    cut[1] = G->kv;
    for (int i = 0; i < G->m->natoms; i++) {
        cut[2 + 4 * i] = G->full_lo[i];
        cut[3 + 4 * i] = G->full_hi[i];
        cut[4 + 4 * i] = G->some_lo[i];
        cut[5 + 4 * i] = G->some_hi[i];
    }
    rl_sort(G, cut, ncut);
    LLVMTypeRef lt = LLVMArrayType2(L->t.range, (uint64_t)npieces + 1);
    LLVMValueRef list = LLVMBuildAlloca(bld, lt, "ranges");
    LLVMBuildStore(bld, LLVMConstNull(lt), list);
    LLVMValueRef countp = LLVMBuildAlloca(bld, L->t.i32, "count");
    LLVMBuildStore(bld, rl_pieces(G, cut, npieces, list), countp);
    if (npieces > ATTN_MAX_KV_RANGES)
        rl_cap(G, list, countp);
    int ncopy = npieces < ATTN_MAX_KV_RANGES ? npieces : ATTN_MAX_KV_RANGES;
    for (int i = 0; i < ncopy; i++) {
        LLVMValueRef v = LLVMBuildLoad2(bld, L->t.range, rl_field(G, list, rl_i32(G, i), 0), "");
        LLVMBuildStore(bld, v, rl_field(G, out, rl_i32(G, i), 0));
    }
    return LLVMBuildLoad2(bld, L->t.i32, countp, "");
}
