/* lower_scan_vec.c - the recurrence of one state over a block of SCAN_VEC
 * positions, vectorized over its lanes (lower_scan_chunk.c uses it when the
 * block holds no reset and the lane count is a multiple of SCAN_VEC).
 *
 * The chunk buffers are lane-major (a[lane][tt], contiguous in tt, for the
 * vectorized coefficient and output phases), but the recurrence runs along
 * tt with lanes independent. So per block of SCAN_VEC lanes:
 *
 *     h = state[lane0 ..]                          (one vector over lanes)
 *     A = transpose(a[lane0 ..][lo ..])            (SCAN_VEC x SCAN_VEC, in registers)
 *     C = transpose(c[lane0 ..][lo ..])            (per update of the state)
 *     for tt: h = A[tt] * h + C[tt]; H[tt] = h     (per update, in order)
 *     hist[lane0 ..][lo ..] = transpose(H);  state[lane0 ..] = h
 *
 * Every lane sees the same multiply then add, in the same order, as the
 * scalar walk, so results are bit-identical to it. */
#include "lower_scan_internal.h"

static LLVMTypeRef vec_type(Lower *L)
{
    return LLVMVectorType(L->t.f32, SCAN_VEC);
}

/* One butterfly step of the transpose: rows x (row bit s clear) and y (set)
 * exchange their elements whose column bit s differs from the row bit. */
static LLVMValueRef vec_swap(Lower *L, LLVMValueRef x, LLVMValueRef y, int s, bool high)
{
    LLVMValueRef mask[SCAN_VEC];
    for (int j = 0; j < SCAN_VEC; j++) {
        int k = high ? ((j & s) ? SCAN_VEC + j : j + s) : ((j & s) ? SCAN_VEC + j - s : j);
        mask[j] = LLVMConstInt(L->t.i32, (unsigned long long)k, 0);
    }
    return LLVMBuildShuffleVector(L->bld, x, y, LLVMConstVector(mask, SCAN_VEC), "");
}

/* Transposes the SCAN_VEC x SCAN_VEC block r (rows as vectors) in place. */
static void vec_transpose(Lower *L, LLVMValueRef *r)
{
    for (int s = 1; s < SCAN_VEC; s <<= 1)
        for (int i = 0; i < SCAN_VEC; i++)
            if (!(i & s)) {
                LLVMValueRef lo = vec_swap(L, r[i], r[i + s], s, false);
                r[i + s] = vec_swap(L, r[i], r[i + s], s, true);
                r[i] = lo;
            }
}

/* &buf[(lane0 + i) * SCAN_CHUNK + lo] (lane0, lo: i64). */
static LLVMValueRef vec_row(Lower *L, LLVMValueRef buf, LLVMValueRef lane0, LLVMValueRef lo, int i)
{
    LLVMValueRef lane = LLVMBuildNSWAdd(L->bld, lane0, LLVMConstInt(L->t.i64, (unsigned)i, 0), "");
    LLVMValueRef off = LLVMBuildNSWAdd(L->bld, LLVMBuildNSWMul(L->bld, lane, LLVMConstInt(L->t.i64, SCAN_CHUNK, 0), ""),
                                       lo, "");
    return LLVMBuildInBoundsGEP2(L->bld, L->t.f32, buf, &off, 1, "");
}

static LLVMValueRef vec_load(Lower *L, LLVMValueRef p)
{
    LLVMValueRef v = LLVMBuildLoad2(L->bld, vec_type(L), p, "");
    LLVMSetAlignment(v, 4);
    return v;
}

static void vec_store(Lower *L, LLVMValueRef v, LLVMValueRef p)
{
    LLVMSetAlignment(LLVMBuildStore(L->bld, v, p), 4);
}

/* The block of buf at lanes lane0.., positions lo.., transposed: r[tt] is
 * the vector over the lanes at position lo + tt (a flat buf holds one value
 * per position for all lanes: r[tt] is that value in every element). */
static void vec_load_block(Lower *L, LLVMValueRef buf, bool flat, LLVMValueRef lane0, LLVMValueRef lo,
                           LLVMValueRef *r)
{
    if (flat) {
        LLVMValueRef zeros = LLVMConstNull(LLVMVectorType(L->t.i32, SCAN_VEC));
        for (int tt = 0; tt < SCAN_VEC; tt++) {
            LLVMValueRef i = LLVMBuildNSWAdd(L->bld, lo, LLVMConstInt(L->t.i64, (unsigned)tt, 0), "");
            LLVMValueRef p = LLVMBuildInBoundsGEP2(L->bld, L->t.f32, buf, &i, 1, "");
            LLVMValueRef v = LLVMBuildLoad2(L->bld, L->t.f32, p, "");
            v = LLVMBuildInsertElement(L->bld, LLVMGetPoison(vec_type(L)), v, LLVMConstInt(L->t.i32, 0, 0), "");
            r[tt] = LLVMBuildShuffleVector(L->bld, v, LLVMGetPoison(vec_type(L)), zeros, "");
        }
        return;
    }
    for (int i = 0; i < SCAN_VEC; i++)
        r[i] = vec_load(L, vec_row(L, buf, lane0, lo, i));
    vec_transpose(L, r);
}

void lower_scan_vec_state(LowerEnv *env, int s, LLVMValueRef nlanes, LLVMValueRef lo,
                          const LLVMValueRef *coef, const bool *flat, int nupd, LLVMValueRef hist)
{
    Lower *L = env->L;
    LLVMValueRef *v = arena_alloc(L->arena, (size_t)(2 * nupd + 1) * SCAN_VEC * sizeof *v);
    LLVMValueRef blocks = LLVMBuildTrunc(L->bld, LLVMBuildUDiv(L->bld, nlanes, LLVMConstInt(L->t.i64, SCAN_VEC, 0), ""),
                                         L->t.i32, "");
    LLVMValueRef lo64 = LLVMBuildSExt(L->bld, lo, L->t.i64, "");
    LowerLoop lp;
    LLVMValueRef blk = lower_loop_open(env, &lp, blocks, "lanes16");
    LLVMValueRef lane0 = LLVMBuildNSWMul(L->bld, LLVMBuildSExt(L->bld, blk, L->t.i64, ""),
                                         LLVMConstInt(L->t.i64, SCAN_VEC, 0), "");
    LLVMValueRef hp = LLVMBuildInBoundsGEP2(L->bld, L->t.f32, env->scan->state_base[s], &lane0, 1, "");
    LLVMValueRef h = vec_load(L, hp);
    for (int k = 0; k < 2 * nupd; k++)
        vec_load_block(L, coef[k], flat[k], lane0, lo64, v + k * SCAN_VEC);
    LLVMValueRef hv[SCAN_VEC];
    for (int tt = 0; tt < SCAN_VEC; tt++) {
        for (int k = 0; k < nupd; k++)
            h = LLVMBuildFAdd(L->bld, LLVMBuildFMul(L->bld, v[2 * k * SCAN_VEC + tt], h, ""),
                              v[(2 * k + 1) * SCAN_VEC + tt], "");
        hv[tt] = h;
    }
    vec_store(L, h, hp);
    vec_transpose(L, hv);
    for (int i = 0; i < SCAN_VEC; i++)
        vec_store(L, hv[i], vec_row(L, hist, lane0, lo64, i));
    lower_loop_close(env, &lp);
}
