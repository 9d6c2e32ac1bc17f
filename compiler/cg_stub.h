/* cg_stub.h - `attnc FILE.attn -o NAME --target sm_80,sm_90a --emit stubs`:
 * GPU launch stubs for linking compiled variants into applications that
 * need only libattn at build and run time (no LLVM, no attnc).
 *
 * The kernels compute the scale themselves (ATTN_GPU_SCALE_ON_DEVICE), so
 * no host object is written or needed:
 *   NAME.ptx, or NAME.<target>.ptx with several targets: the PTX files;
 *   NAME.h  the `--emit header` header (cg_header.h), including attn_gpu.h,
 *           plus per attention variant V
 *             attn_gpu_variant NAME_V_gpu_variant(void);
 *             attn_status NAME_V_forward_gpu(q, k, v, out, lse,
 *                 const NAME_V_params *p, const attn_launch_opts *opts);
 *   NAME.c  the PTX of every target as NUL-terminated strings, the kernel
 *           tables and those two functions (the descriptor has no host
 *           hooks); NAME_V_forward_gpu calls attn_forward_gpu(...,
 *           ATTN_GPU_CUDA, ...) (attn_gpu.h).
 * An application compiles NAME.c and links libattn only; NAME.h's CPU
 * entries (NAME_V_forward, NAME_V_variant) would need `--emit header`'s
 * NAME.o and must not be called. */
#ifndef ATTN_CG_STUB_H
#define ATTN_CG_STUB_H

#include <stdbool.h>

#include "ast.h"
#include "cg.h"

/* Writes the PTX files, STEM.h and STEM.c for the attention variants among
 * decls[0..n) of `source` (sema-checked without error) and the sm targets
 * targets[0..ntargets). STEM.o is the caller's. False + err[CG_ERR_LEN]. */
bool cg_stub_write(Arena *arena, Decl *const *decls, int n, const CgTarget *targets, int ntargets,
                   const char *stem, const char *source, char *err);

#endif
