/* gpu_variant.h - an attention declaration compiled into the runtime's
 * attn_gpu_variant (attn_gpu.h) in-process: the descriptor of attnc run
 * (run_attn_describe), the kernels of every specialisation of the GPU
 * template (cg_gpu_specs), emulated kernels and the scale hook from an emu
 * JIT, PTX optional. How `attnc run --device emu|cuda` can drive
 * attn_forward_gpu; tests/gpu uses it for the emulator. */
#ifndef GPU_VARIANT_H
#define GPU_VARIANT_H

#include "attn_gpu.h"
#include "cg.h"

/* Fills *gv (and *var, which gv points to) for attention d from `jit`, an
 * emu JIT of d (cg_jit_create with CG_TEMPLATE_GPU_EMU): kernel entries
 * <d>_attn_fwd_gpu_<dtype>_d<D>[_dv<DV>] with their emulated functions,
 * hook_scale = <d>_attn_hook_scale. gv->ptx[] stays NULL (set them to the
 * texts of cg_gpu_ptx for CUDA). Memory from `arena`; false + err when a
 * symbol is missing. */
bool gpu_variant_build(Arena *arena, const Decl *d, CgJit *jit, attn_variant *var,
                       attn_gpu_variant *gv, char *err);

#endif
