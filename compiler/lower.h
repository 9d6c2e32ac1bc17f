/* lower.h - lowering of checked declarations to LLVM IR (LLVM-C builder).
 *
 * An attention declaration becomes a module holding the six hooks of
 * kernels/attn_abi.h with external linkage:
 *     float   attn_hook_scale(const attn_ctx *)
 *     float   attn_hook_score(float s, i32 b, i32 h, i32 q, i32 kv, const attn_ctx *)
 *     i32     attn_hook_score_identity(const attn_ctx *)   (a constant)
 *     i32     attn_hook_mask(i32 b, i32 h, i32 q, i32 kv, const attn_ctx *)
 *     i32     attn_hook_mask_cost(const attn_ctx *)        (a constant)
 *     i32     attn_hook_kv_ranges(i32 b, i32 h, i32 q0, i32 q1, const attn_ctx *,
 *                                 attn_kv_range *out)
 * Masks, scores and fns the variant calls become internal functions; math
 * builtins are calls to attn_math_* (kernels/attn_math.h), resolved when the
 * module is linked with a kernel template (cg_link.c).
 *
 * Semantics of generated code where the language leaves a choice
 * (docs/codegen.md): i32 `/` and `%` floor (x / 0 = 0, x % 0 = x,
 * INT_MIN / -1 = INT_MIN); shift counts outside [0, 31] shift every bit out
 * (`<<` gives 0, `>>` the sign); i32(x) saturates (NaN gives 0); tensor indices
 * that are not proved in range are clamped into the tensor. */
#ifndef ATTN_LOWER_H
#define ATTN_LOWER_H

#include <stdbool.h>
#include <stddef.h>

#include <llvm-c/Core.h>

#include "ast.h"

enum { LOWER_ERR_LEN = 256 };

/* Lowers attention `d` (sema-checked without error) into a new module in
 * `ctx` with the given target triple and data layout string. Scratch memory
 * comes from `arena`. Returns NULL with a message in err[LOWER_ERR_LEN] when
 * the tree holds something lowering cannot express (an internal error). The
 * caller owns the module. */
LLVMModuleRef lower_attention(LLVMContextRef ctx, Arena *arena, const Decl *d,
                              const char *triple, const char *data_layout, char *err);

/* Lowers scan `d` (sema-checked without error) into a new module holding the
 * three scan hooks of kernels/attn_abi.h (rows, scratch, row), as for
 * lower_attention. Fails with a message in err when the scan is outside what
 * this code generator supports (lower_scan.c: outputs with different row
 * indices, non-f32 outputs). */
LLVMModuleRef lower_scan(LLVMContextRef ctx, Arena *arena, const Decl *d, const char *triple,
                         const char *data_layout, char *err);

/* Lowers scan `d` into a new module holding the GPU scan hooks of
 * kernels/attn_abi.h ("GPU scans", lower_scan_gpu.c) for kernels/scan_gpu.c,
 * as for lower_scan. Also fails when the outputs read the states in a way
 * the GPU template cannot split per lane; the message names the construct. */
LLVMModuleRef lower_scan_gpu(LLVMContextRef ctx, Arena *arena, const Decl *d, const char *triple,
                             const char *data_layout, char *err);

/* Scan d's rows and state lanes as dimension ids, for code that computes a
 * launch's geometry from attn_ctx.dims without LLVM (cg_stub_scan.c): the
 * rows are the product of the extents of row_dims[0..nrow_dims), state s
 * has the product of those of lane_dims[s][0..nlane_dims[s]) lanes, as in
 * the scan hooks (rows, lanes). Arrays come from `arena`. False + err as for
 * lower_scan. */
typedef struct ScanGeometry {
    const int *row_dims;
    int nrow_dims;
    int nstates;
    const int *const *lane_dims;
    const int *nlane_dims;
} ScanGeometry;
bool lower_scan_geometry(const Decl *d, Arena *arena, ScanGeometry *g, char *err);

#endif
