/* test_gpu_cuda.c - attnc-compiled variants on a CUDA device through the
 * runtime's attn_forward_gpu(..., ATTN_GPU_CUDA, ...), checked against the
 * reference interpreter (label gpu; built without LLVM so that it runs on
 * GPU machines: gpu_bench_variants.h).
 *
 *   test_gpu_cuda FILE.attn PTX_STEM
 * FILE.attn is bench/variants.attn (the declarations the interpreter runs),
 * PTX_STEM names STEM.sm_80.ptx / STEM.sm_90a.ptx compiled from it. Per
 * variant: ragged shapes in f16 and bf16, GQA, D != DV, head dims 32 to
 * 256, from CPU tensors, and once from device tensors (q, k, v, out, lse
 * and the tensor parameters: ALiBi's slopes, document ids); then BlockMask
 * launches (gpu_bm_case.h: the variant's own BlockMask and random ones,
 * one with enough key tiles to refill the kernel's tile ring) against the
 * CPU kernel of the variant's header descriptor. Exit 77 (skipped) when
 * CUDA is unavailable. */
#include <stdio.h>

#include "attn_cuda.h"
#include "gpu_bench_variants.h"
#include "gpu_bm_case.h"

static const GpuShape cuda_shapes[] = {
    {ATTN_BF16, 2, 4, 2, 300, 300, 128, 128}, {ATTN_F16, 1, 4, 4, 257, 190, 64, 64},
    {ATTN_BF16, 1, 2, 1, 100, 333, 64, 128},  {ATTN_F16, 2, 2, 2, 65, 65, 128, 64},
    {ATTN_BF16, 1, 2, 2, 1, 200, 192, 128},   {ATTN_F16, 1, 2, 1, 129, 77, 32, 32},
    {ATTN_BF16, 1, 3, 3, 150, 270, 96, 96},   {ATTN_BF16, 1, 2, 1, 200, 130, 256, 256},
    {ATTN_F16, 1, 1, 1, 70, 300, 256, 256},
};
enum { CUDA_NSHAPES = sizeof cuda_shapes / sizeof cuda_shapes[0] };

/* About 375 tiles of 32 keys in the second: the ring is refilled. */
static const GpuBmCase cuda_bm_cases[] = {
    {{ATTN_BF16, 2, 2, 1, 200, 300, 128, 128}, 128, true},
    {{ATTN_F16, 1, 1, 1, 16, 18000, 128, 128}, 64, false},
};
enum { CUDA_BM_NCASES = sizeof cuda_bm_cases / sizeof cuda_bm_cases[0] };

/* Every shape of variant gv (declaration d), the first also on device tensors; failures. */
static int cuda_variant(Compilation *c, const Decl *d, const attn_gpu_variant *gv, int i)
{
    int failures = 0;
    for (int j = 0; j <= CUDA_NSHAPES; j++) {
        bool on_device = j == CUDA_NSHAPES;
        GpuShape s = gpu_case_fit(d, &cuda_shapes[on_device ? 0 : j]);
        const char *what = gpu_case_what(&c->arena, d, &s);
        GpuCase gc;
        if (!gpu_case_build(&c->arena, d, &s, NULL, 0, 313u * i + j, &gc))
            failures++;
        else
            failures += !gpu_launch_check(&c->arena, gv, ATTN_GPU_CUDA, on_device, &gc,
                                          on_device ? arena_printf(&c->arena, "%s (device tensors)", what)
                                                    : what);
    }
    for (int j = 0; j < CUDA_BM_NCASES; j++)
        failures += gpu_bm_case_run(&c->arena, d, gv, ATTN_GPU_CUDA, gv->var, &cuda_bm_cases[j],
                                    NULL, 0, 577u * i + j, j == 0);
    return failures;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_gpu_cuda FILE.attn PTX_STEM\n");
        return 2;
    }
    int no_cuda = gpu_bench_cuda_init("test_gpu_cuda");
    if (no_cuda)
        return no_cuda;
    GpuBenchVariants b;
    char err[512];
    if (!gpu_bench_variants_load(argv[2], &b, err, sizeof err)) {
        printf("FAIL %s\n", err);
        return 1;
    }
    Compilation c;
    compilation_init(&c, stderr);
    PtrVec decls = {0};
    int failures = !gpu_case_attentions(&c, argv[1], &decls);
    for (int i = 0; i < decls.len; i++) {
        const Decl *d = decls.items[i];
        const attn_gpu_variant *gv = gpu_bench_variant(&b, d->name);
        if (!gv)
            printf("FAIL %s: not among the compiled variants\n", d->name);
        failures += gv ? cuda_variant(&c, d, gv, i) : 1;
    }
    diag_finish(&c.diags);
    compilation_free(&c);
    gpu_bench_variants_free(&b);
    attn_cuda_release();
    printf("%d failure(s)\n", failures);
    return failures ? 1 : 0;
}
