/* lower_scan_internal.h - state shared by lower_scan.c (the row hook: row
 * decoding, states, the t loop, resets, updates, outputs) and
 * lower_scan_expr.c (scan forms of expressions, counted loops). */
#ifndef ATTN_LOWER_SCAN_INTERNAL_H
#define ATTN_LOWER_SCAN_INTERNAL_H

#include "lower_internal.h"

#include <stdint.h>

#include "attn_abi.h"

/* Positions per chunk of the chunked walk. */
#define SCAN_CHUNK 64

/* What an expression depends on (lower_scan_deps.c). */
typedef struct ScanDeps {
    uint64_t ivars; /* bit i: reads ivar i (i >= 63 all share bit 63) */
    bool t, state;  /* reads t (implicit) / reads a state */
} ScanDeps;

/* Row and lane layout of a scan, decided before any IR is built. */
typedef struct ScanShape {
    int rows[ATTN_MAX_RANK]; /* row ivars, C order */
    int nrows;
    int over;                /* the ivar of the over variable, or -1 */
} ScanShape;

/* The row hook being generated (LowerEnv.scan). */
typedef struct LowerScan {
    const Decl *d;
    LLVMValueRef fn;          /* attn_scan_hook_row */
    LLVMValueRef *ivals;      /* per Decl.scan.ivars: its i32 value where bound, else NULL */
    LLVMValueRef t;           /* the over variable (i32) inside the t loop */
    LLVMValueRef *state_base; /* per state: float * to its lanes in the scratch */
    int **lanes;              /* per state: ivars of its lane indices, in state order */
    int *nlanes;
    LLVMValueRef io;          /* const attn_scan_io * */
    LLVMValueRef *out_data;   /* per output: its data pointer, read once per row */
    LLVMValueRef (*out_stride)[ATTN_MAX_RANK]; /* per output and axis: its stride (i64) */
    LLVMValueRef (*out_size)[ATTN_MAX_RANK];   /* per output and axis: its size (i64) */
    /* The chunked walk (lower_scan_chunk.c). */
    int over;                 /* the ivar of the over variable, or -1 */
    uint64_t lane_mask;       /* ivars that are neither row indices nor the over variable */
    ScanDeps *let_deps;       /* per let slot, memoized by lower_scan_deps */
    bool *let_deps_done;
    LetBinding **blets;       /* lets evaluated per chunk into buffers */
    int nblets;
    LLVMValueRef *blet_buf;   /* their buffers (chunk-long) */
    const Expr **red;         /* sums at the top of output values, evaluated per chunk */
    int nred;
    LLVMValueRef *red_acc;    /* their accumulators (chunk-long), NULL until filled */
    bool *coef_flat;          /* per update u: [2u] its a, [2u + 1] its c reads no lane
                                 index: buffered as one chunk-long row, not one per lane */
    LLVMValueRef tt;          /* position inside the chunk (i32), inside chunk loops */
    LLVMValueRef *hist;       /* per state: its values at every position of the chunk
                                 (lane-major, chunk-long rows), NULL: read the live state */
    LLVMValueRef *state_val;  /* GPU hooks (lower_scan_gpu.c): per state, the f32 value its
                                 reads give, or NULL (no array: none) */
} LowerScan;

/* A counted loop `for (iv = 0; iv < n; iv++)` over i32. */
typedef struct LowerLoop {
    LLVMBasicBlockRef head, exit;
    LLVMValueRef iv;
    int nlets; /* the let cache length when opened */
} LowerLoop;

/* Opens the loop at the builder and leaves the builder in its body; lets
 * lowered inside are forgotten by lower_loop_close (they do not dominate
 * the code after the loop). Returns the induction variable. */
LLVMValueRef lower_loop_open(LowerEnv *env, LowerLoop *lp, LLVMValueRef n, const char *name);
/* Closes the loop and leaves the builder after it. */
void lower_loop_close(LowerEnv *env, LowerLoop *lp);
/* Forgets the lets lowered since the cache had `n` entries. */
void lower_lets_truncate(LowerEnv *env, int n);
/* An alloca of `ty` in the entry block of the function being built. */
LLVMValueRef lower_scan_alloca(LowerEnv *env, LLVMTypeRef ty);
/* The extent (i32) of scan dimension `dim_id`. */
LLVMValueRef lower_scan_extent(LowerEnv *env, int dim_id);
/* Address of state s at the current values of its lane indices. */
LLVMValueRef lower_scan_state_ptr(LowerEnv *env, int s);

/* Linear offset (i64) of state s's lane at the current lane index values. */
LLVMValueRef lower_scan_lane_offset(LowerEnv *env, int s);
/* The identity of reduction `op` on kind sk, and one accumulation step. */
LLVMValueRef lower_reduce_init(Lower *L, Op op, ScalarKind sk);
LLVMValueRef lower_reduce_step(Lower *L, Op op, ScalarKind sk, LLVMValueRef acc, LLVMValueRef v);

/* lower_scan_deps.c */
ScanDeps lower_scan_deps(LowerScan *sc, const Expr *e);
/* The ScanDeps.ivars bit of ivar i. */
uint64_t lower_scan_ivar_bit(int i);

/* lower_scan.c: the pieces of the row walk both walks share. */
/* Checks that d is a checked scan this code generator supports and fills sh
 * and sc (lanes, chunk plan; memory from `arena`); false + err. */
bool lower_scan_prepare(const Decl *d, Arena *arena, ScanShape *sh, LowerScan *sc, char *err);
/* Reads every parameter and dimension in the entry block, so their values
 * dominate all the loops built later. */
void lower_scan_preload(LowerEnv *env);
/* Reads the data pointer, sizes and strides of every output (attn_scan_io at
 * sc->io) once, in the entry block. */
void lower_scan_preload_outputs(LowerEnv *env);
/* Decodes the i64 `index` into ivars[0..n) (C order: the last varies fastest). */
void lower_scan_decode(LowerEnv *env, const int *ivars, int n, LLVMValueRef index);
/* Whether `reset h at p` (st) resets at the current t: t > 0 and
 * offsets[seg_of[t]] == t (i1); NULL after a failure. */
LLVMValueRef lower_scan_reset_cond(LowerEnv *env, const Stmt *st);
/* Where the segment of reset st's pack that holds position pos (i32, inside
 * the pack) starts: offsets[seg_of[pos]] (i32); NULL after a failure. */
LLVMValueRef lower_scan_seg_start(LowerEnv *env, const Stmt *st, LLVMValueRef pos);
void lower_scan_lanes_open(LowerEnv *env, int s, LowerLoop *loops);
void lower_scan_lanes_close(LowerEnv *env, int s, LowerLoop *loops);
void lower_scan_reset(LowerEnv *env, const Stmt *st);
void lower_scan_output(LowerEnv *env, const Stmt *st);
/* Product of the extents of ivars v[0..n) as i64 (1 when n = 0). */
LLVMValueRef lower_scan_product(LowerEnv *env, const int *v, int n);

/* lower_scan_chunk.c */
/* Fills sc's plan (buffered lets, hoisted sums); false when an update's a
 * or c reads a state (sema rejects such scans: an update reads only its own
 * state, which its split moves out of a and c). */
bool lower_scan_chunk_plan(LowerScan *sc, const int *rows, int nrows, int over, Arena *a);
/* Floats of scratch the chunked walk needs beyond the states (i64). */
LLVMValueRef lower_scan_chunk_scratch(LowerEnv *env);
/* The t walk of one row, in chunks; scratch_rest points past the states. */
void lower_scan_chunk_walk(LowerEnv *env, LLVMValueRef scratch_rest);

/* lower_scan_vec.c */
/* Positions and lanes per block of the vectorized recurrence. */
#define SCAN_VEC 16
/* The recurrence of state s at positions lo .. lo + SCAN_VEC - 1 of the
 * chunk (lo: i32), which hold no reset, for all its lanes (nlanes: i64, a
 * multiple of SCAN_VEC): coef[2k], coef[2k + 1] are the chunk buffers of the
 * a and c of the state's k-th update (nupd in all, in order), flat[] says
 * which of them are one row for all lanes. Updates the state and writes its
 * history (hist). */
void lower_scan_vec_state(LowerEnv *env, int s, LLVMValueRef nlanes, LLVMValueRef lo,
                          const LLVMValueRef *coef, const bool *flat, int nupd, LLVMValueRef hist);

#endif
