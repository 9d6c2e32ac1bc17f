/* lower_ranges.h - shared state of lower_ranges.c (atoms: their key
 * intervals for a query block) and lower_ranges_list.c (the segments those
 * intervals cut [0, KV) into, classified and written as attn_kv_range). */
#ifndef ATTN_LOWER_RANGES_H
#define ATTN_LOWER_RANGES_H

#include "analysis.h"
#include "lower_internal.h"

typedef struct RangeGen {
    Lower *L;
    const MaskAnalysis *m;
    LLVMValueRef ctx, b, h;
    LLVMValueRef q[2];     /* i32: the block's first and last query */
    LLVMValueRef kv;       /* i64: KV */
    PtrVec frames;         /* const AnaFrame * ... */
    PtrVec envs[2];        /* ... and its LowerEnv * with q = q[0] / q[1] (or NULL) */
    /* Per atom, i64 in [0, KV]: the fully visible keys [full_lo, full_hi)
     * and the keys visible for some query [some_lo, some_hi). */
    LLVMValueRef *full_lo, *full_hi, *some_lo, *some_hi;
} RangeGen;

/* lower_ranges.c: fills the four interval arrays of G, one entry per atom. */
void lower_ranges_atoms(RangeGen *G);

/* lower_ranges_list.c: writes the ranges to `out` (attn_kv_range *) and
 * returns their count (i32): [0, KV) cut at every interval end, each piece
 * classified by evaluating the formula, adjacent pieces of one class joined,
 * at most ATTN_MAX_KV_RANGES (the smallest gaps merged into partial ranges). */
LLVMValueRef lower_ranges_list(RangeGen *G, LLVMValueRef out);

#endif
