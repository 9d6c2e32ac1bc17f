/* test_emu_wgmma.c - the emulated wgmma.mma_async (emu_wgmma.c) against
 * scalar math: D (64 x N) += A (64 x 64) B (64 x N) on one warpgroup as four
 * chained m64nNk16, A from registers in mma.m16n8k16's fragments, B from
 * shared memory in the 128-byte-swizzled layouts the attention template
 * uses: K-major (B^T stored as N rows of 64 elements, the descriptor start
 * advanced 32 bytes per k16 step) and MN-major (B stored as 64 rows of N
 * elements in 64-column blocks LBO apart, advanced 16 rows per step). Also
 * the commit groups (wait_group 1 leaves the newest group in flight) and the
 * faults (an unsupported descriptor, returning with wgmma in flight, a
 * warpgroup of which half never waits). */
#include <stdio.h>
#include <string.h>

#include "emu.h"
#include "emu_check.h"
#include "gpu_dev.h"

#define WG_K 64
#define WG_NMAX 128

typedef struct wg_args {
    const uint16_t *a, *b; /* A 64 x 64, B 64 x n (k, n), row-major halves */
    float *d, *d_early;    /* 64 x n: D after wait(0); D of the second group after wait(1) */
    int n, trans_b, bf16, fault;
} wg_args;

/* Byte offset of B (k, n) in shared memory: chunk c of a 128-byte row r of
 * a 1024-byte-aligned 8-row group stored at chunk c ^ (r % 8). */
static uint32_t wg_b_offset(int k, int n, int trans_b)
{
    const int row = trans_b ? (n / 64) * WG_K + k : n, col = trans_b ? n % 64 : k;
    return (uint32_t)(row * 128 + (((col / 8) ^ (row % 8)) * 16) + (col % 8) * 2);
}

static void wg_issue(const wg_args *p, float *d, uint32_t a[4][4], const char *sb)
{
    for (int ks = 0; ks < WG_K / 16; ks++) {
        const uint64_t desc = p->trans_b
                                  ? dev_wgmma_desc_sw128(sb + ks * 16 * 128, WG_K * 128, 1024)
                                  : dev_wgmma_desc_sw128(sb + ks * 32, 16, 1024);
        if (p->bf16)
            dev_wgmma_bf16(p->n, p->trans_b, d, a[ks], desc);
        else
            dev_wgmma_f16(p->n, p->trans_b, d, a[ks], desc);
    }
}

DEV_BODY void wg_body(const wg_args *p)
{
    const int tid = dev_linear_tid(), warp = tid / 32, lane = tid % 32, g = lane / 4, t = lane % 4;
    char *sb = dev_smem();
    for (int i = tid; i < WG_K * p->n; i += 128)
        memcpy(sb + wg_b_offset(i / p->n, i % p->n, p->trans_b), &p->b[i], 2);
    dev_syncthreads();
    uint32_t a[WG_K / 16][4];
    for (int ks = 0; ks < WG_K / 16; ks++)
        for (int r = 0; r < 4; r++) {
            const int row = 16 * warp + g + 8 * (r & 1), col = 16 * ks + 2 * t + 8 * (r >> 1);
            a[ks][r] = p->a[row * WG_K + col] | (uint32_t)p->a[row * WG_K + col + 1] << 16;
        }
    if (p->fault == 3 && warp >= 2)
        return; /* half the warpgroup never issues nor waits */
    float d[WG_NMAX / 2], d2[WG_NMAX / 2];
    for (int r = 0; r < p->n / 2; r++)
        d[r] = d2[r] = 1.0f;
    if (p->fault == 1) { /* a 64-byte swizzle descriptor */
        dev_wgmma_bf16(p->n, 0, d, a[0], dev_wgmma_desc_sw128(sb, 16, 1024) ^ (uint64_t)3 << 62);
        dev_wgmma_commit();
        dev_wgmma_wait(0);
    }
    dev_wgmma_fence();
    wg_issue(p, d, a, sb);
    dev_wgmma_commit();
    wg_issue(p, d2, a, sb);
    dev_wgmma_commit();
    if (p->fault == 2)
        return; /* both groups in flight */
    dev_wgmma_wait(1);
    for (int r = 0; r < p->n / 2; r++) {
        const int row = 16 * warp + g + 8 * (r >> 1 & 1), col = 8 * (r >> 2) + 2 * t + (r & 1);
        p->d[row * p->n + col] = d[r];
        p->d_early[row * p->n + col] = d2[r];
    }
    dev_wgmma_wait(0);
    for (int r = 0; r < p->n / 2; r++) {
        const int row = 16 * warp + g + 8 * (r >> 1 & 1), col = 8 * (r >> 2) + 2 * t + (r & 1);
        if (d2[r] != d[r])
            p->d_early[row * p->n + col] = -1.0f; /* the second group differs */
    }
}
DEV_ENTRY(wg_kernel, wg_args, wg_body)

static float wg_value(unsigned *seed)
{
    *seed = *seed * 1664525u + 1013904223u;
    return (float)((int)(*seed >> 24) - 128) / 32.0f; /* exact in both types */
}

static void test_wgmma(int n, int trans_b, int bf16)
{
    static uint16_t a[64 * WG_K], b[WG_K * WG_NMAX];
    static float af[64 * WG_K], bf[WG_K * WG_NMAX], d[64 * WG_NMAX], early[64 * WG_NMAX];
    unsigned seed = 777u + (unsigned)(n + trans_b + 2 * bf16);
    for (int i = 0; i < 64 * WG_K; i++) {
        af[i] = wg_value(&seed);
        a[i] = bf16 ? emu_f32_to_bf16(af[i]) : emu_f32_to_f16(af[i]);
    }
    for (int i = 0; i < WG_K * n; i++) {
        bf[i] = wg_value(&seed);
        b[i] = bf16 ? emu_f32_to_bf16(bf[i]) : emu_f32_to_f16(bf[i]);
    }
    wg_args args = {a, b, d, early, n, trans_b, bf16, 0};
    emu_launch_cfg cfg = {{1, 1, 1}, {128, 1, 1}, (size_t)WG_K * 128 * ((n + 63) / 64) * 2, 1};
    char err[256] = "";
    CHECK(emu_launch(wg_kernel, &cfg, &args, err, sizeof err) == 0, "wgmma launch: %s", err);
    int bad = 0;
    for (int r = 0; r < 64; r++)
        for (int c = 0; c < n; c++) {
            double s = 1.0; /* sums of products of multiples of 1/32 below 2^8: exact */
            for (int k = 0; k < WG_K; k++)
                s += (double)af[r * WG_K + k] * bf[k * n + c];
            const int wrong = d[r * n + c] != (float)s || early[r * n + c] != 1.0f;
            if (wrong && !bad++) /* the first wrong element */
                CHECK(0, "m64n%dk16 %s trans-b %d: D[%d][%d] = %g (want %g), second group %g "
                      "before its wait (want 1)", n, bf16 ? "bf16" : "f16", trans_b, r, c,
                      d[r * n + c], s, early[r * n + c]);
        }
    printf("wgmma m64n%dk16 x4 %s %s: %s\n", n, bf16 ? "bf16" : "f16",
           trans_b ? "MN-major B" : "K-major B", bad ? "FAIL" : "ok");
}

static void test_fault(int kind, const char *want)
{
    static uint16_t zeros[64 * WG_K];
    static float d[64 * 32], early[64 * 32];
    wg_args args = {zeros, zeros, d, early, 32, 0, 1, kind};
    emu_launch_cfg cfg = {{1, 1, 1}, {128, 1, 1}, WG_K * 128, 1};
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
    if (check_failures)
        fprintf(stderr, "%d failures\n", check_failures);
    return check_failures != 0;
}
