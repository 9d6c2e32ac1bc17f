/* wgmma_case.c - see wgmma_case.h. */
#include "wgmma_case.h"

#include <stdio.h>

#include "gpu_dev_emu.h"

static float wg_case_value(unsigned *seed)
{
    *seed = *seed * 1664525u + 1013904223u;
    return (float)((int)(*seed >> 24) - 128) / 32.0f;
}

void wg_case_init(wg_case *c, int n, int trans_b, int bf16)
{
    unsigned seed = 777u + (unsigned)(n + trans_b + 2 * bf16);
    c->n = n, c->trans_b = trans_b, c->bf16 = bf16;
    for (int i = 0; i < 64 * WG_CASE_K; i++) {
        c->af[i] = wg_case_value(&seed);
        c->a[i] = bf16 ? emu_f32_to_bf16(c->af[i]) : emu_f32_to_f16(c->af[i]);
    }
    for (int i = 0; i < WG_CASE_K * n; i++) {
        c->bf[i] = wg_case_value(&seed);
        c->b[i] = bf16 ? emu_f32_to_bf16(c->bf[i]) : emu_f32_to_f16(c->bf[i]);
    }
}

int wg_case_check(const wg_case *c, const float *d, const float *early, int pending)
{
    const int n = c->n;
    int bad = 0;
    for (int r = 0; r < 64; r++)
        for (int col = 0; col < n; col++) {
            double s = 1.0;
            for (int k = 0; k < WG_CASE_K; k++)
                s += (double)c->af[r * WG_CASE_K + k] * c->bf[k * n + col];
            const float e = early[r * n + col];
            const int wrong = d[r * n + col] != (float)s || (pending ? e != 1.0f : e == -1.0f);
            if (wrong && !bad++)
                fprintf(stderr, "m64n%dk16 %s trans-b %d: D[%d][%d] = %g (want %g), second "
                        "group %g after wait_group 1\n", n, c->bf16 ? "bf16" : "f16", c->trans_b,
                        r, col, d[r * n + col], s, e);
        }
    printf("wgmma m64n%dk16 x4 %s %s: %s\n", n, c->bf16 ? "bf16" : "f16",
           c->trans_b ? "MN-major B" : "K-major B", bad ? "FAIL" : "ok");
    return bad;
}
