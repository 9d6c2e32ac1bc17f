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
    LLVMValueRef tt;          /* position inside the chunk (i32), inside chunk loops */
    LLVMValueRef *hist;       /* per state: its values at every position of the chunk
                                 (lane-major, chunk-long rows), NULL: read the live state */
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

#endif
