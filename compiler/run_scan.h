/* run_scan.h - a scan declaration made runnable in-process: JIT-compiled
 * entries (cg.h) and the runtime's attn_variant describing its parameters,
 * outputs and launch-time preconditions (attn.h). Used by `attnc run`
 * (run_scan.c), the scan tests and the scan benchmark. */
#ifndef ATTN_RUN_SCAN_H
#define ATTN_RUN_SCAN_H

#include <stdbool.h>

#include "ast.h"
#include "attn.h"
#include "cg.h"

typedef struct ScanProgram {
    CgJit *jit;
    attn_variant var;
    attn_scan_desc desc;
} ScanProgram;

/* Compiles scan `d` (sema-checked without error) for the host and fills
 * *p; descriptor memory comes from `arena`. False + err[CG_ERR_LEN]. */
bool run_scan_program(Arena *arena, Decl *d, ScanProgram *p, char *err);
void run_scan_program_free(ScanProgram *p);

/* Fills desc from a declared parameter or output (its type; its default
 * for scalars); the dims are d's dimension ids. */
void run_scan_param_desc(const Decl *d, const Param *prm, attn_param_desc *desc);

/* Fills v's launch-time preconditions from d's BOUNDS_PRECOND facts (any
 * attention or scan; memory from `arena`). */
void run_variant_preconds(Arena *arena, const Decl *d, attn_variant *v);

#endif
