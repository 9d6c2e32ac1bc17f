/* test_blockmask_cuda.c - the GPU BlockMask builder on a CUDA device (label
 * gpu): the masked variants of bench/variants.attn (compiled here by attnc:
 * header + object with host hooks, PTX files; gpu_bench_variants.h, no
 * LLVM needed) get their BlockMasks from attn_block_mask_build_gpu on
 * ATTN_GPU_CUDA, which must equal the CPU builder's for ragged shapes and
 * block sizes. Exits 77 (skipped) when no CUDA driver or device loads.
 * usage: test_blockmask_cuda PTX_STEM (STEM.sm_80.ptx, STEM.sm_90a.ptx) */
#include <stdio.h>

#include "attn_cuda.h"
#include "bm_compare.h"
#include "gpu_bench_variants.h"

typedef struct bm_cuda_case {
    const char *variant;
    int B, H, Q, KV, block_q, block_kv; /* a pack variant needs Q == KV */
} bm_cuda_case;

static const bm_cuda_case bm_cuda_cases[] = {
    {"causal_attention", 1, 1, 300, 300, 0, 0},
    {"causal_attention", 2, 3, 200, 260, 32, 16},
    {"causal_attention", 1, 2, 4000, 4100, 128, 64},
    {"sliding_window_causal", 2, 2, 97, 150, 16, 48},
    {"sliding_window_causal", 1, 1, 5000, 4500, 128, 128},
    {"packed_documents", 1, 2, 300, 300, 0, 0},
    {"packed_documents", 2, 1, 300, 300, 100, 150},
};

/* Documents of 50, 100, 37 and 113 positions (Q = KV = 300). */
static int32_t bm_doc_offsets[] = {0, 50, 150, 187, 300};

static bool bm_cuda_check(const attn_gpu_variant *gv, const bm_cuda_case *c)
{
    int64_t nofs = sizeof bm_doc_offsets / sizeof bm_doc_offsets[0];
    DLTensor offsets = {.data = bm_doc_offsets, .device = {kDLCPU, 0}, .ndim = 1,
                        .dtype = {kDLInt, 32, 1}, .shape = &nofs};
    attn_arg pack = attn_arg_pack(0, &offsets);
    const int32_t nargs = gv->var->nparams == 1 && gv->var->params[0].kind == ATTN_PARAM_PACK;
    attn_block_mask_opts o = {.block_q = c->block_q, .block_kv = c->block_kv};
    attn_block_mask *want = NULL, *got = NULL;
    char what[160];
    snprintf(what, sizeof what, "%s B=%d H=%d Q=%d KV=%d blocks %dx%d", c->variant, c->B, c->H,
             c->Q, c->KV, c->block_q, c->block_kv);
    bool ok = false;
    if (attn_block_mask_build(gv->var, c->B, c->H, c->Q, c->KV, &pack, nargs, &o, &want) != ATTN_OK)
        printf("FAIL %s: CPU build: %s\n", what, attn_last_error());
    else if (attn_block_mask_build_gpu(gv, ATTN_GPU_CUDA, c->B, c->H, c->Q, c->KV, &pack, nargs,
                                       &o, &got) != ATTN_OK)
        printf("FAIL %s: CUDA build: %s\n", what, attn_last_error());
    else
        ok = bm_compare(want, got, what);
    attn_block_mask_free(want);
    attn_block_mask_free(got);
    return ok;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_blockmask_cuda PTX_STEM\n");
        return 2;
    }
    int no_cuda = gpu_bench_cuda_init("test_blockmask_cuda");
    if (no_cuda)
        return no_cuda;
    GpuBenchVariants bv;
    char err[512];
    if (!gpu_bench_variants_load(argv[1], &bv, err, sizeof err)) {
        printf("FAIL: %s\n", err);
        return 1;
    }
    int failures = 0;
    for (size_t i = 0; i < sizeof bm_cuda_cases / sizeof bm_cuda_cases[0]; i++) {
        const attn_gpu_variant *gv = gpu_bench_variant(&bv, bm_cuda_cases[i].variant);
        if (!gv) {
            printf("FAIL: no variant %s\n", bm_cuda_cases[i].variant);
            failures++;
            continue;
        }
        failures += !bm_cuda_check(gv, &bm_cuda_cases[i]);
    }
    gpu_bench_variants_free(&bv);
    printf("%d failure(s)\n", failures);
    return failures ? 1 : 0;
}
