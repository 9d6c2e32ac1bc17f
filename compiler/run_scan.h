/* run_scan.h - a scan declaration made runnable in-process: JIT-compiled
 * entries (cg.h) and the runtime's attn_variant describing its parameters,
 * outputs and launch-time preconditions (attn.h). Used by `attnc run`
 * (run_scan.c), the scan tests and the scan benchmark. */
#ifndef ATTN_RUN_SCAN_H
#define ATTN_RUN_SCAN_H

#include <stdbool.h>

#include "ast.h"
#include "attn.h"
#include "attn_scan_gpu.h"
#include "cg.h"

typedef struct ScanProgram {
    CgJit *jit;
    attn_variant var;
    attn_scan_desc desc;
    attn_scan_gpu_variant gpu; /* run_scan_gpu_program only */
} ScanProgram;

/* Compiles scan `d` (sema-checked without error) for the host and fills
 * *p; descriptor memory comes from `arena`. False + err[CG_ERR_LEN]. */
bool run_scan_program(Arena *arena, Decl *d, ScanProgram *p, char *err);
void run_scan_program_free(ScanProgram *p);

/* Compiles scan `d` for the GPU: the GPU template JIT-compiled for the SIMT
 * emulator (the emulated kernel and the host's shared-memory function) and,
 * when `ptx` is not NULL, its PTX for that sm target; fills p->var (no CPU
 * entries) and p->gpu (attn_scan_gpu). Free with run_scan_program_free.
 * False + err[CG_ERR_LEN], e.g. for a scan the GPU code generator refuses. */
bool run_scan_gpu_program(Arena *arena, Decl *d, const CgTarget *ptx, ScanProgram *p, char *err);

/* The runtime's description of scan `d` (parameters, outputs, axis,
 * preconditions; memory from `arena`) in *var, which points to *desc; the
 * entry points (desc->rows, scratch, cpu) are left NULL. */
void run_scan_describe(Arena *arena, const Decl *d, attn_variant *var, attn_scan_desc *desc);

/* Fills desc from a declared parameter or output (its type; its default
 * for scalars); the dims are d's dimension ids. */
void run_scan_param_desc(const Decl *d, const Param *prm, attn_param_desc *desc);

/* Fills v's launch-time preconditions from d's BOUNDS_PRECOND facts (any
 * attention or scan; memory from `arena`). */
void run_variant_preconds(Arena *arena, const Decl *d, attn_variant *v);

#endif
