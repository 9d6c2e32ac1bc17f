/* attn_gpu_bench.c - times one attention forward launch of a variant's PTX
 * through the runtime (bench/device-check.sh runs it per table row).
 *
 *   attn_gpu_bench PTX ENTRY D S B H VARIANT [PARAM]
 *
 * bf16 inputs [B, H, S, D] (HKV = H, DV = D); VARIANT is one of the test
 * hooks' (none, causal, window, softcap, docs), PARAM its window, cap, or
 * comma-separated document lengths. Prints "attnc_ms MEDIAN" (10 warm-up
 * launches, median of 50 timed with CUDA events); exit 77 without a driver,
 * 1 with the runtime's message on failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_attn_problem.h"

#define BENCH_MAX_DOCS 4096

/* Parses "L1,L2,..." into lens; returns the count, -1 when malformed. */
static int bench_docs(const char *s, int *lens) {
    int n = 0;
    for (char *end; *s && n < BENCH_MAX_DOCS; s = *end ? end + 1 : end) {
        lens[n++] = (int)strtol(s, &end, 10);
        if (end == s || (*end && *end != ','))
            return -1;
    }
    return *s ? -1 : n;
}

int main(int argc, char **argv) {
    static int lens[BENCH_MAX_DOCS];
    if (argc < 8 || argc > 9) {
        fprintf(stderr, "usage: attn_gpu_bench PTX ENTRY D S B H VARIANT [PARAM]\n");
        return 2;
    }
    int D = atoi(argv[3]), S = atoi(argv[4]), B = atoi(argv[5]), H = atoi(argv[6]);
    int variant = cuda_attn_variant(argv[7]);
    const char *param = argc == 9 ? argv[8] : "";
    cuda_attn_spec spec = {variant, B, H, H, S, D, D, 1, 0, 0.0f, lens, 0, 42u};
    if (variant == EMU_VARIANT_WINDOW)
        spec.window = atoi(param);
    if (variant == EMU_VARIANT_SOFTCAP)
        spec.softcap = (float)atof(param);
    if (variant == EMU_VARIANT_DOCS)
        spec.ndocs = bench_docs(param, lens);
    if (variant < 0 || spec.ndocs < 0 || D <= 0 || S <= 0 || B <= 0 || H <= 0) {
        fprintf(stderr, "attn_gpu_bench: bad arguments\n");
        return 2;
    }
    char *ptx = cuda_attn_read_text(argv[1]);
    if (!ptx) {
        fprintf(stderr, "attn_gpu_bench: cannot read %s\n", argv[1]);
        return 1;
    }
    attn_status s = attn_cuda_init();
    if (cuda_attn_skip_code(s)) {
        free(ptx);
        return 77;
    }
    attn_cuda_kernel k;
    cuda_attn_problem *p = NULL;
    float ms = 0;
    if (s == ATTN_OK)
        s = attn_cuda_attn_fwd_kernel(ptx, argv[2], D, D, &k);
    if (s == ATTN_OK)
        s = cuda_attn_problem_create(&spec, &p);
    if (s == ATTN_OK)
        s = attn_cuda_time_attn_fwd(&k, &p->args, NULL, 10, 50, &ms);
    if (s == ATTN_OK)
        printf("attnc_ms %.5f\n", ms);
    else
        fprintf(stderr, "attn_gpu_bench: %s\n", attn_last_error());
    cuda_attn_problem_free(p);
    free(ptx);
    attn_cuda_release();
    return s == ATTN_OK ? 0 : 1;
}
