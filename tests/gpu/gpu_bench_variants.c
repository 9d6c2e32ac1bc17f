/* gpu_bench_variants.c - bench/variants.attn's attn_gpu_variants
 * (gpu_bench_variants.h). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attn_cuda.h"
#include "attn_gpu_specs.h"
#include "bench_variants.h"
#include "gpu_bench_variants.h"

#define GPU_BENCH_SPEC(DT, D, DV) {ATTN_##DT, D, DV},
static const struct {
    int32_t dtype, d, dv;
} gpu_bench_specs[] = {ATTN_GPU_SPECS(GPU_BENCH_SPEC)};
enum { GPU_BENCH_NSPECS = sizeof gpu_bench_specs / sizeof gpu_bench_specs[0] };
_Static_assert((int)GPU_BENCH_NSPECS <= (int)GPU_BENCH_MAX_SPECS, "raise GPU_BENCH_MAX_SPECS");

/* The whole text of `path` (NUL-terminated, malloc'ed), or NULL. */
static char *gpu_bench_read(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    long n = -1;
    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (text = malloc((size_t)n + 1)) && fread(text, 1, (size_t)n, f) == (size_t)n) {
        text[n] = 0;
    } else {
        free(text);
        text = NULL;
    }
    if (f)
        fclose(f);
    return text;
}

bool gpu_bench_variants_load(const char *ptx_stem, GpuBenchVariants *b, char *err, size_t errlen)
{
    const attn_variant *vars[GPU_BENCH_NVARIANTS] = {
        bench_variants_plain_variant(),
        bench_variants_causal_attention_variant(),
        bench_variants_sliding_window_causal_variant(),
        bench_variants_packed_documents_variant(),
        bench_variants_document_ids_variant(),
        bench_variants_softcap_attention_variant(),
        bench_variants_alibi_attention_variant(),
    };
    memset(b, 0, sizeof *b);
    static const char *const arch[ATTN_GPU_PTX_COUNT] = {"sm_80", "sm_90a"};
    for (int i = 0; i < ATTN_GPU_PTX_COUNT; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s.%s.ptx", ptx_stem, arch[i]);
        b->ptx[i] = gpu_bench_read(path);
        if (!b->ptx[i] && i == ATTN_GPU_PTX_SM80) {
            snprintf(err, errlen, "cannot read %s", path);
            return false;
        }
    }
    for (int i = 0; i < GPU_BENCH_NVARIANTS; i++) {
        for (int j = 0; j < GPU_BENCH_NSPECS; j++) {
            int32_t d = gpu_bench_specs[j].d, dv = gpu_bench_specs[j].dv;
            /* "<variant>_attn_fwd_gpu_<dtype>_d<D>[_dv<DV>]" (attn_gpu_specs.h) */
            char *e = b->entries[i][j];
            int n = snprintf(e, sizeof b->entries[i][j], "%s_attn_fwd_gpu_%s_d%d", vars[i]->name,
                             gpu_bench_specs[j].dtype == ATTN_BF16 ? "bf16" : "f16", (int)d);
            if (dv != d)
                snprintf(e + n, sizeof b->entries[i][j] - (size_t)n, "_dv%d", (int)dv);
            b->kernels[i][j] = (attn_gpu_kernel){gpu_bench_specs[j].dtype, d, dv, e, NULL};
        }
        b->v[i] = (attn_gpu_variant){.var = vars[i], .kernels = b->kernels[i],
                                     .nkernels = GPU_BENCH_NSPECS,
                                     .ptx = {b->ptx[ATTN_GPU_PTX_SM80], b->ptx[ATTN_GPU_PTX_SM90A]},
                                     .memo = &b->memo};
    }
    return true;
}

const attn_gpu_variant *gpu_bench_variant(const GpuBenchVariants *b, const char *name)
{
    for (int i = 0; i < GPU_BENCH_NVARIANTS; i++)
        if (strcmp(b->v[i].var->name, name) == 0)
            return &b->v[i];
    return NULL;
}

void gpu_bench_variants_free(GpuBenchVariants *b)
{
    for (int i = 0; i < ATTN_GPU_PTX_COUNT; i++)
        free(b->ptx[i]);
    memset(b, 0, sizeof *b);
}

int gpu_bench_cuda_init(const char *prog)
{
    if (attn_cuda_init() == ATTN_OK)
        return 0;
    const bool unavailable = strncmp(attn_last_error(), "CUDA unavailable: ", 18) == 0;
    fprintf(stderr, "%s: %s%s\n", prog, unavailable ? "skipped: " : "", attn_last_error());
    return unavailable ? 77 : 1;
}
