/* gpu_bench_variants.h - the variants of bench/variants.attn as
 * attn_gpu_variants for programs without LLVM (the carried GPU test and
 * benchmark launcher): descriptors and scale hooks from
 * `attnc bench/variants.attn -o bench_variants --emit header` (linked
 * object + header), kernel entries from kernels/attn_gpu_specs.h, PTX read
 * from STEM.sm_80.ptx and STEM.sm_90a.ptx
 * (`attnc bench/variants.attn -o STEM.ptx --target sm_80,sm_90a --emit ptx`). */
#ifndef GPU_BENCH_VARIANTS_H
#define GPU_BENCH_VARIANTS_H

#include <stdbool.h>
#include <stddef.h>

#include "attn_gpu.h"

enum { GPU_BENCH_NVARIANTS = 7, GPU_BENCH_MAX_SPECS = 16 };

typedef struct GpuBenchVariants {
    attn_gpu_variant v[GPU_BENCH_NVARIANTS];
    char *ptx[ATTN_GPU_PTX_COUNT];
    attn_gpu_kernel kernels[GPU_BENCH_NVARIANTS][GPU_BENCH_MAX_SPECS];
    char entries[GPU_BENCH_NVARIANTS][GPU_BENCH_MAX_SPECS][96];
    attn_cuda_module_memo memo; /* the modules of ptx[], shared by v[] */
} GpuBenchVariants;

/* Fills *b, reading the PTX of `ptx_stem` (a missing sm_90a file is fine,
 * the runtime then loads sm_80 code everywhere). False + message in err. */
bool gpu_bench_variants_load(const char *ptx_stem, GpuBenchVariants *b, char *err, size_t errlen);
/* The variant called `name`, or NULL. */
const attn_gpu_variant *gpu_bench_variant(const GpuBenchVariants *b, const char *name);
void gpu_bench_variants_free(GpuBenchVariants *b);

/* attn_cuda_init for a program `prog` that runs these variants: 0 when the
 * device is ready, else the message on stderr and the exit status to
 * return: 77 (skipped) for "CUDA unavailable: ..." (no driver or no
 * device), 1 for any other failure. */
int gpu_bench_cuda_init(const char *prog);

#endif
