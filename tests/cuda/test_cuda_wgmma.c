/* test_cuda_wgmma.c - tests/emu/wgmma_probe.c's kernel on an sm_90 GPU: the
 * wgmma fragment and shared-memory layouts that the attention template's
 * wgmma path (ATTN_GPU_WGMMA) relies on, checked case by case on the
 * hardware, so that a misread descriptor shows here by layout and N rather
 * than as wrong attention. The same cases pass on the emulator
 * (emu.wgmma). Usage: test_cuda_wgmma PROBE.sm_90a.ptx. Exits 77 without a
 * driver or on a device other than compute capability 9.0. */
#include <stdio.h>
#include <stdlib.h>

#include "cuda_attn_problem.h"
#include "wgmma_case.h"

/* One case on the device; returns the number of failures. */
static int test_case(const attn_cuda_kernel *k, int n, int trans_b, int bf16)
{
    static wg_case c;
    static float d[64 * WG_CASE_NMAX], early[64 * WG_CASE_NMAX];
    wg_case_init(&c, n, trans_b, bf16);
    const size_t na = sizeof c.a, nb = (size_t)WG_CASE_K * n * 2, nd = (size_t)64 * n * 4;
    void *da = NULL, *db = NULL, *dd = NULL, *de = NULL;
    attn_status s = attn_cuda_malloc(na, &da);
    if (s == ATTN_OK)
        s = attn_cuda_malloc(nb, &db);
    if (s == ATTN_OK)
        s = attn_cuda_malloc(nd, &dd);
    if (s == ATTN_OK)
        s = attn_cuda_malloc(nd, &de);
    if (s == ATTN_OK)
        s = attn_cuda_memcpy_htod(da, c.a, na);
    if (s == ATTN_OK)
        s = attn_cuda_memcpy_htod(db, c.b, nb);
    wg_args args = {da, db, dd, de, n, trans_b, bf16, 0};
    void *params[] = {&args};
    const uint32_t grid[3] = {1, 1, 1}, block[3] = {128, 1, 1};
    if (s == ATTN_OK)
        s = attn_cuda_launch(k, grid, block, params, NULL);
    if (s == ATTN_OK)
        s = attn_cuda_synchronize(NULL);
    if (s == ATTN_OK)
        s = attn_cuda_memcpy_dtoh(d, dd, nd);
    if (s == ATTN_OK)
        s = attn_cuda_memcpy_dtoh(early, de, nd);
    int bad = s != ATTN_OK;
    if (bad)
        fprintf(stderr, "FAIL m64n%dk16 trans-b %d: %s\n", n, trans_b, attn_last_error());
    else
        bad = wg_case_check(&c, d, early, 0) != 0;
    attn_cuda_free(da);
    attn_cuda_free(db);
    attn_cuda_free(dd);
    attn_cuda_free(de);
    return bad;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s PROBE.sm_90a.ptx\n", argv[0]);
        return 2;
    }
    attn_status s = attn_cuda_init();
    if (cuda_attn_skip_code(s))
        return 77;
    attn_cuda_info info;
    if (s != ATTN_OK || attn_cuda_device_info(&info) != ATTN_OK) {
        fprintf(stderr, "FAIL: %s\n", attn_last_error());
        return 1;
    }
    if (info.cc_major != 9) {
        printf("skipped: wgmma needs compute capability 9.0, the device has %d.%d\n",
               info.cc_major, info.cc_minor);
        return 77;
    }
    char *ptx = cuda_attn_read_text(argv[1]);
    attn_cuda_module *m;
    attn_cuda_kernel k;
    if (!ptx) {
        fprintf(stderr, "FAIL: cannot read %s\n", argv[1]);
        return 1;
    }
    if (attn_cuda_module_load(ptx, &m) != ATTN_OK ||
        attn_cuda_kernel_get(m, "wg_kernel", (int32_t)WG_SMEM_BYTES(WG_CASE_NMAX), &k) != ATTN_OK) {
        fprintf(stderr, "FAIL: %s\n", attn_last_error());
        free(ptx);
        return 1;
    }
    static const int cases[][2] = {{32, 0}, {64, 0}, {64, 1}, {128, 1}, {16, 0}, {128, 0}};
    int failures = 0;
    for (int bf16 = 0; bf16 < 2; bf16++)
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
            failures += test_case(&k, cases[i][0], cases[i][1], bf16);
    free(ptx);
    if (failures)
        fprintf(stderr, "%d failures\n", failures);
    return failures != 0;
}
