/* attn_gpu_specs.h - the specialisations of the GPU attention template
 * (kernels/attn_fwd_gpu.c) that attnc embeds: one ATTN_GPU_SPEC(DTYPE, D, DV)
 * line each, read by kernels/CMakeLists.txt (one bitcode per line and flavour:
 * sm_80, sm_90a, emu) and by C code as an X-macro. DTYPE is F16 or BF16 (the
 * attn_dtype suffix). The entry of a specialisation is
 *     attn_fwd_gpu_<f16|bf16>_d<D>          when DV == D,
 *     attn_fwd_gpu_<f16|bf16>_d<D>_dv<DV>   otherwise,
 * prefixed by `<variant>_` in attnc's output. The template needs D and DV
 * multiples of 32; every line with D, DV <= 128 assembles without register
 * spills for sm_80 and sm_90a (tests/gpu, gpu.ptxas logs the others). Keep
 * one spec per line. */
#ifndef ATTN_GPU_SPECS_H
#define ATTN_GPU_SPECS_H

#define ATTN_GPU_SPECS(ATTN_GPU_SPEC) \
    ATTN_GPU_SPEC(F16, 64, 64)        \
    ATTN_GPU_SPEC(BF16, 64, 64)       \
    ATTN_GPU_SPEC(F16, 128, 128)      \
    ATTN_GPU_SPEC(BF16, 128, 128)     \
    ATTN_GPU_SPEC(F16, 64, 128)       \
    ATTN_GPU_SPEC(BF16, 64, 128)      \
    ATTN_GPU_SPEC(F16, 128, 64)       \
    ATTN_GPU_SPEC(BF16, 128, 64)      \
    ATTN_GPU_SPEC(F16, 192, 128)      \
    ATTN_GPU_SPEC(BF16, 192, 128)     \
    ATTN_GPU_SPEC(F16, 32, 32)        \
    ATTN_GPU_SPEC(BF16, 32, 32)       \
    ATTN_GPU_SPEC(F16, 96, 96)        \
    ATTN_GPU_SPEC(BF16, 96, 96)       \
    ATTN_GPU_SPEC(F16, 256, 256)      \
    ATTN_GPU_SPEC(BF16, 256, 256)

#endif
