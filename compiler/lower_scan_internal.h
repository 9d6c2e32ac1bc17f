/* lower_scan_internal.h - state shared by lower_scan.c (the row hook: row
 * decoding, states, the t loop, resets, updates, outputs) and
 * lower_scan_expr.c (scan forms of expressions, counted loops). */
#ifndef ATTN_LOWER_SCAN_INTERNAL_H
#define ATTN_LOWER_SCAN_INTERNAL_H

#include "lower_internal.h"

/* The row hook being generated (LowerEnv.scan). */
typedef struct LowerScan {
    const Decl *d;
    LLVMValueRef fn;          /* attn_scan_hook_row */
    LLVMValueRef *ivals;      /* per Decl.scan.ivars: its i32 value where bound, else NULL */
    LLVMValueRef t;           /* the over variable (i32) inside the t loop */
    LLVMValueRef *state_base; /* per state: float * to its lanes in the scratch */
    int **lanes;              /* per state: ivars of its lane indices, in state order */
    int *nlanes;
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

#endif
