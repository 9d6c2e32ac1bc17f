/* wgmma_probe.c - a kernel (wg_kernel, one warpgroup) that computes
 * D (64 x N) = 1 + A (64 x 64) B (64 x N) as four chained wgmma m64nNk16,
 * twice (two commit groups), with A from registers in mma.m16n8k16's
 * fragments and B stored in shared memory in the 128-byte-swizzled layouts
 * the attention template uses: K-major (B^T as N rows of 64 elements, the
 * descriptor start advanced 32 bytes per k16 step) or MN-major (B as 64 rows
 * of N elements in 64-column blocks LBO apart, advanced 16 rows per step).
 * It writes D and, after wait_group 1, the second group's accumulators
 * (still 1 on the emulator, which completes a group only when waited for;
 * -1 where the second group ends different from the first).
 *
 * Written against gpu_dev.h: included by test_emu_wgmma.c for the emulator,
 * compiled to sm_90a PTX for test_cuda_wgmma.c (the same layouts on the
 * hardware). */
#include "gpu_dev.h"
#include "wgmma_case.h"

/* Byte offset of B (k, n) in shared memory: chunk c of a 128-byte row r of
 * a 1024-byte-aligned 8-row group stored at chunk c ^ (r % 8). */
static uint32_t wg_b_offset(int k, int n, int trans_b)
{
    const int row = trans_b ? (n / 64) * WG_CASE_K + k : n, col = trans_b ? n % 64 : k;
    return (uint32_t)(row * 128 + (((col / 8) ^ (row % 8)) * 16) + (col % 8) * 2);
}

static void wg_issue(const wg_args *p, float *d, uint32_t a[4][4], const char *sb)
{
    for (int ks = 0; ks < WG_CASE_K / 16; ks++) {
        const uint64_t desc = p->trans_b
                                  ? dev_wgmma_desc_sw128(sb + ks * 16 * 128, WG_CASE_K * 128, 1024)
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
    sb += (0u - dev_smem_addr(sb)) & 1023; /* the swizzle's 8-row groups: 1024-byte aligned */
    for (int i = tid; i < WG_CASE_K * p->n; i += 128)
        *(uint16_t *)(sb + wg_b_offset(i / p->n, i % p->n, p->trans_b)) = p->b[i];
    dev_fence_proxy_async(); /* generic-proxy stores, read by wgmma (the async proxy) */
    if (p->fault == 6 && tid == 0) { /* a cp.async fill of B, no fence.proxy.async after it */
        dev_cp_async_16(sb, 0, 0);
        dev_cp_async_commit();
        dev_cp_async_wait(0);
    }
    dev_syncthreads();
    uint32_t a[WG_CASE_K / 16][4];
    for (int ks = 0; ks < WG_CASE_K / 16; ks++)
        for (int r = 0; r < 4; r++) {
            const int row = 16 * warp + g + 8 * (r & 1), col = 16 * ks + 2 * t + 8 * (r >> 1);
            a[ks][r] = p->a[row * WG_CASE_K + col] | (uint32_t)p->a[row * WG_CASE_K + col + 1] << 16;
        }
    if (p->fault == 3 && warp >= 2)
        return; /* half the warpgroup never issues nor waits */
    float d[WG_CASE_NMAX / 2], d2[WG_CASE_NMAX / 2];
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
    if (p->fault == 5)
        a[1][2] ^= 1; /* read by the first group's second wgmma */
    dev_wgmma_wait(1);
    if (p->fault == 4)
        d2[p->n / 2 - 1] = -2.0f; /* the second group's, still in flight */
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
