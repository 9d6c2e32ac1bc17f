/* c_keywords.c - a generated header whose parameter and output names are C
 * keywords (c_keywords.attn: `int`, `double`) compiles (-Wpedantic) with the
 * fields renamed int_ and double_, and the calls through them work: the
 * default reaches the struct, the scan writes its output. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "c_keywords.h"

int main(void)
{
    int failures = 0;
    c_keywords_kwv_params p = c_keywords_kwv_default_params();
    const attn_variant *v = c_keywords_kwv_variant();
    if (p.int_ != 3 || strcmp(v->params[0].name, "int") != 0) {
        fprintf(stderr, "FAIL: default int_ = %d, runtime name '%s'\n", (int)p.int_, v->params[0].name);
        failures++;
    }
    float x[4] = {1, 1, 1, 1}, y[4] = {0};
    int64_t shape[2] = {1, 4};
    DLTensor tx = {.data = x, .device = {kDLCPU, 0}, .ndim = 2, .dtype = {kDLFloat, 32, 1}, .shape = shape};
    DLTensor ty = tx;
    ty.data = y;
    int32_t offsets[2] = {0, 4};
    int64_t noffsets = 2;
    DLTensor tseqs = {.data = offsets, .device = {kDLCPU, 0}, .ndim = 1, .dtype = {kDLInt, 32, 1},
                      .shape = &noffsets};
    c_keywords_kws_params sp = {.x = &tx, .seqs = &tseqs};
    c_keywords_kws_outputs out = {.double_ = &ty};
    attn_status s = c_keywords_kws_scan(&sp, &out, NULL);
    const float want[4] = {1, 1.5f, 1.75f, 1.875f};
    for (int t = 0; t < 4; t++)
        if (s != ATTN_OK || fabsf(y[t] - want[t]) > 1e-6f) {
            fprintf(stderr, "FAIL: y[%d] = %g, want %g (%s)\n", t, (double)y[t], (double)want[t],
                    attn_last_error());
            failures++;
        }
    if (!failures)
        printf("ok\n");
    return failures != 0;
}
