/* cg_stub.h - `attnc FILE.attn -o NAME --target sm_80,sm_90a --emit stubs`:
 * GPU launch stubs for linking compiled variants into applications that
 * need only libattn at build and run time (no LLVM, no attnc).
 *
 * The kernels compute the scale themselves (ATTN_GPU_SCALE_ON_DEVICE), so
 * no host object is written or needed:
 *   NAME.ptx, or NAME.<target>.ptx with several targets: the PTX files;
 *   NAME.h  the `--emit header` header (cg_header.h), including
 *           attn_scan_gpu.h (and so attn_gpu.h), plus per attention variant V
 *             attn_gpu_variant NAME_V_gpu_variant(void);
 *             attn_status NAME_V_forward_gpu(q, k, v, out, lse,
 *                 const NAME_V_params *p, const attn_launch_opts *opts);
 *             NAME_V_block_mask_gpu, NAME_V_block_mask_cuda (BlockMasks)
 *           and per scan S
 *             attn_scan_gpu_variant NAME_S_scan_gpu_variant(void);
 *             attn_status NAME_S_scan_gpu(const NAME_S_params *p,
 *                 const NAME_S_outputs *out, const attn_launch_opts *opts);
 *   NAME.c  the PTX of every target as NUL-terminated strings, the kernel
 *           tables and those functions (the descriptors have no host
 *           hooks; a scan's rows and shared memory are C over attn_ctx.dims,
 *           cg_stub_scan.c); NAME_V_forward_gpu calls attn_forward_gpu(...,
 *           ATTN_GPU_CUDA, ...) (attn_gpu.h), NAME_S_scan_gpu attn_scan_gpu
 *           (attn_scan_gpu.h).
 * An application compiles NAME.c and links libattn only; NAME.h's CPU
 * entries (NAME_V_forward, NAME_S_scan, NAME_V_variant) would need
 * `--emit header`'s NAME.o and must not be called. */
#ifndef ATTN_CG_STUB_H
#define ATTN_CG_STUB_H

#include <stdbool.h>
#include <stdio.h>

#include "ast.h"
#include "attn.h"
#include "cg.h"

/* Writes the PTX files, STEM.h and STEM.c for the attention and scan variants among
 * decls[0..n) of `source` (sema-checked without error) and the sm targets
 * targets[0..ntargets). STEM.o is the caller's. False + err[CG_ERR_LEN]. */
bool cg_stub_write(Arena *arena, Decl *const *decls, int n, const CgTarget *targets, int ntargets,
                   const char *stem, const char *source, char *err);

/* The initializer list of an attn_*_variant's ptx[] in STEM.c: ptx_names[slot]
 * (the C name of that slot's PTX string) or NULL per slot. */
void cg_stub_ptx_list(FILE *f, const char *const *ptx_names);
/* cg_stub_scan.c: the scan parts. Declarations of scan v in STEM.h: */
void cg_stub_scan_declare(FILE *f, const char *prefix, const attn_variant *v);
/* Scan d's functions in STEM.c; ptx_names as in cg_stub.c. False + err
 * [CG_ERR_LEN] when its launch geometry cannot be derived. */
bool cg_stub_scan(FILE *f, Arena *arena, const char *prefix, const Decl *d, const char *const *ptx_names,
                  char *err);

#endif
