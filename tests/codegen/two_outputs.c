/* two_outputs.c - the objects of two `attnc --emit header` outputs whose
 * variants share a name (same_name: no mask in two_a, causal in two_b)
 * link into one program, and each header reaches its own kernels: the
 * first query row sees every key under two_a (its output is a mean of the
 * values rows) and only key 0 under two_b (its output is v's row 0). */
#include <math.h>
#include <stdio.h>

#include "two_a.h"
#include "two_b.h"

enum { S = 8, D = 32 };

static DLTensor two_tensor(float *data, int64_t *shape, int ndim)
{
    return (DLTensor){.data = data, .device = {kDLCPU, 0}, .ndim = ndim,
                      .dtype = {kDLFloat, 32, 1}, .shape = shape};
}

/* Largest |out row 0 - v row 0|. */
static float two_row0_gap(const float *out, const float *v)
{
    float gap = 0;
    for (int j = 0; j < D; j++)
        gap = fmaxf(gap, fabsf(out[j] - v[j]));
    return gap;
}

int main(void)
{
    static float q[S * D], k[S * D], v[S * D], out_a[S * D], out_b[S * D];
    for (int i = 0; i < S * D; i++) {
        q[i] = (float)((i * 7) % 13) / 13.0f - 0.5f;
        k[i] = (float)((i * 5) % 11) / 11.0f - 0.5f;
        v[i] = (float)((i * 3) % 17) / 17.0f;
    }
    int64_t shape[4] = {1, 1, S, D};
    DLTensor tq = two_tensor(q, shape, 4), tk = two_tensor(k, shape, 4), tv = two_tensor(v, shape, 4);
    DLTensor ta = two_tensor(out_a, shape, 4), tb = two_tensor(out_b, shape, 4);
    if (two_a_same_name_forward(&tq, &tk, &tv, &ta, NULL, NULL, NULL) != ATTN_OK ||
        two_b_same_name_forward(&tq, &tk, &tv, &tb, NULL, NULL, NULL) != ATTN_OK) {
        fprintf(stderr, "FAIL launch: %s\n", attn_last_error());
        return 1;
    }
    float gap_a = two_row0_gap(out_a, v), gap_b = two_row0_gap(out_b, v);
    if (gap_b > 1e-5f || gap_a < 1e-2f) {
        fprintf(stderr, "FAIL row 0 vs v row 0: two_a %g (want > 0.01), two_b %g (want 0)\n",
                (double)gap_a, (double)gap_b);
        return 1;
    }
    printf("ok: two_a and two_b link together and run their own kernels\n");
    return 0;
}
