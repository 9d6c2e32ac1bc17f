/* run_gpu.h - an attention declaration compiled in-process into the
 * runtime's attn_gpu_variant (attn_gpu.h): the kernel table of every
 * specialisation of the GPU template (cg_gpu_specs), with the emulated
 * kernels when an emu JIT is given. Used by `attnc run --device emu|cuda`
 * (run_attention_device.c) and by tests/gpu. */
#ifndef ATTN_RUN_GPU_H
#define ATTN_RUN_GPU_H

#include <stdbool.h>

#include "ast.h"
#include "attn_gpu.h"
#include "cg.h"

/* Points gv->kernels at a new table (in `arena`) of one kernel per
 * specialisation s: entry <d>_<cg_gpu_entry(s)>, and its emulated function
 * looked up in `emu_jit` (cg_jit_create with CG_TEMPLATE_GPU_EMU) when
 * emu_jit is not NULL, as are the BlockMask builder's (gv->bm_emu). Other
 * fields of gv are left alone. False + err when
 * a symbol is missing. */
bool run_gpu_kernels(Arena *arena, const Decl *d, CgJit *emu_jit, attn_gpu_variant *gv, char *err);

/* Sets gv->bm_emu[] to the GPU BlockMask builder's kernels of attention d
 * in `emu_jit` (CG_TEMPLATE_GPU_EMU or CG_TEMPLATE_BM_GPU_EMU); false + err
 * when a symbol is missing. */
bool run_gpu_bm_kernels(const Decl *d, CgJit *emu_jit, attn_gpu_variant *gv, char *err);

/* Fills *gv (and *var, which gv points to) for attention d from `emu_jit`,
 * an emu JIT of d: the descriptor of run_attn_describe (no host hooks: the
 * kernels compute the scale) and the kernels of run_gpu_kernels. gv->ptx[] stays
 * NULL (set them to texts of cg_gpu_ptx for CUDA). Memory from `arena`;
 * false + err when a symbol is missing. */
bool run_gpu_variant_build(Arena *arena, const Decl *d, CgJit *emu_jit, attn_variant *var,
                           attn_gpu_variant *gv, char *err);

/* Whether the GPU template has a specialisation for (dtype, d, dv); when
 * not, `have` (at least 256 bytes) lists the (D, DV) pairs of that dtype. */
bool run_gpu_has_spec(int32_t dtype, int32_t d, int32_t dv, char *have, size_t havelen);

#endif
