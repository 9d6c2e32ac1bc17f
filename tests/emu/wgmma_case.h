/* wgmma_case.h - the parameters, inputs and check of one wgmma_probe.c
 * launch, shared by the kernel, the emulator's test (test_emu_wgmma.c) and
 * the GPU's (test_cuda_wgmma.c). The kernel sees only the first part.
 * The inputs are multiples of 1/32 in [-4, 4), exact in f16 and bf16, so
 * every partial sum is exact in f32 and D must equal the double reference. */
#ifndef WGMMA_CASE_H
#define WGMMA_CASE_H

#include <stdint.h>

#define WG_CASE_K 64
#define WG_CASE_NMAX 128

/* The parameter of wgmma_probe.c's wg_kernel (by value). */
typedef struct wg_args {
    const uint16_t *a, *b; /* A 64 x 64, B 64 x n (k, n), row-major halves */
    float *d, *d_early;    /* 64 x n: D after wait(0); D of the second group after wait(1) */
    int n, trans_b, bf16;
    int fault;             /* emulator faults: 1 a 64-byte swizzle, 2 return in flight,
                              3 half the warpgroup never waits, 4 an accumulator and
                              5 an A register written in flight, 6 B filled by
                              cp.async without fence.proxy.async; else 0 */
} wg_args;
/* Shared memory a launch gives wg_kernel: B plus room to align it to 1024 bytes. */
#define WG_SMEM_BYTES(n) ((size_t)WG_CASE_K * 128 * (((n) + 63) / 64) * 2 + 1024)

#ifndef __NVPTX__
typedef struct wg_case {
    int n, trans_b, bf16;
    uint16_t a[64 * WG_CASE_K], b[WG_CASE_K * WG_CASE_NMAX]; /* as the kernel reads them */
    float af[64 * WG_CASE_K], bf[WG_CASE_K * WG_CASE_NMAX];
} wg_case;

/* Fills c with the inputs of D (64 x n) = 1 + A B in f16 or bf16. */
void wg_case_init(wg_case *c, int n, int trans_b, int bf16);

/* Checks D (64 x n) and the second group's values `early`: 1 everywhere when
 * `pending` (the emulator leaves the group in flight until its wait), else
 * only not -1 (the group ended equal to the first). Prints one line, and the
 * first wrong element to stderr; returns the number of wrong elements. */
int wg_case_check(const wg_case *c, const float *d, const float *early, int pending);
#endif

#endif
