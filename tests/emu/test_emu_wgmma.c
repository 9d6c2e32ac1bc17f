/* test_emu_wgmma.c - the emulated wgmma.mma_async (emu_wgmma.c) against
 * scalar math, with the kernel of wgmma_probe.c (both B layouts of the
 * attention template, N = 16 to 128, f16 and bf16); the commit groups
 * (wait_group 1 leaves the newest group in flight); the faults (an
 * unsupported descriptor, returning with wgmma in flight, a warpgroup of
 * which half never waits, accumulators or A registers written in flight, B
 * filled by cp.async without fence.proxy.async).
 * test_cuda_wgmma.c runs the same kernel on a GPU. */
#include <stdio.h>
#include <string.h>

#include "emu.h"
#include "emu_check.h"
#include "wgmma_case.h"

#include "wgmma_probe.c"

/* Every (n, trans-b, dtype) case the kernels use, and more. */
static void test_wgmma(int n, int trans_b, int bf16)
{
    static wg_case c;
    static float d[64 * WG_CASE_NMAX], early[64 * WG_CASE_NMAX];
    wg_case_init(&c, n, trans_b, bf16);
    wg_args args = {c.a, c.b, d, early, n, trans_b, bf16, 0};
    emu_launch_cfg cfg = {{1, 1, 1}, {128, 1, 1}, WG_SMEM_BYTES(n), 1};
    char err[256] = "";
    CHECK(emu_launch(wg_kernel, &cfg, &args, err, sizeof err) == 0, "wgmma launch: %s", err);
    CHECK(wg_case_check(&c, d, early, 1) == 0, "m64n%dk16 trans-b %d", n, trans_b);
}

static void test_fault(int kind, const char *want)
{
    static uint16_t zeros[64 * WG_CASE_K];
    static float d[64 * 32], early[64 * 32];
    wg_args args = {zeros, zeros, d, early, 32, 0, 1, kind};
    emu_launch_cfg cfg = {{1, 1, 1}, {128, 1, 1}, WG_SMEM_BYTES(32), 1};
    char err[256] = "";
    CHECK(emu_launch(wg_kernel, &cfg, &args, err, sizeof err) != 0, "fault %d: launch ran", kind);
    CHECK(strstr(err, want) != NULL, "fault %d: message '%s' lacks '%s'", kind, err, want);
    printf("fault %d: %s\n", kind, err);
}

int main(void)
{
    for (int bf16 = 0; bf16 < 2; bf16++) {
        test_wgmma(32, 0, bf16);
        test_wgmma(64, 0, bf16);
        test_wgmma(64, 1, bf16);
        test_wgmma(128, 1, bf16);
    }
    test_wgmma(16, 0, 1);
    test_wgmma(128, 0, 0);
    test_fault(1, "only the 128-byte swizzle");
    test_fault(2, "returned with 8 wgmma.mma_async not waited for");
    test_fault(3, "deadlock");
    test_fault(4, "wrote the accumulators of an operation in flight");
    test_fault(5, "wrote the A registers of an operation in flight");
    test_fault(6, "filled by cp.async with no fence.proxy.async after it");
    if (check_failures)
        fprintf(stderr, "%d failures\n", check_failures);
    return check_failures != 0;
}
