/* run_variant.c - linking compiled attention variants into a C program.
 *
 *   attnc softcap_causal.attn -o softcap_causal --emit header   # .h + .o
 *   cc -I<attnc>/runtime/include run_variant.c softcap_causal.o -lattn -lm -lpthread -ldl
 *
 * Runs softcap_causal (GQA: 4 query heads on 2 key/value heads) and
 * packed_softcap (two documents) on small random f32 inputs and compares
 * both with the naive reference below. Exit status 0 when they agree. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "softcap_causal.h"

enum { B = 2, H = 4, HKV = 2, Q = 100, D = 32 };

/* A compact f32 DLTensor over data. */
static DLTensor tensor(float *data, int ndim, int64_t *shape)
{
    DLTensor t = {.data = data, .device = {kDLCPU, 0}, .ndim = ndim, .dtype = {kDLFloat, 32, 1},
                  .shape = shape};
    return t;
}

/* out = softmax(cap * tanh(q.k / sqrt(D) / cap), visible) . v, visible =
 * kv <= q and same document (doc_end: first position of the next document). */
static void reference(const float *q, const float *k, const float *v, float cap, int doc_split,
                      float *out)
{
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
            for (int i = 0; i < Q; i++) {
                const float *qi = q + ((size_t)(b * H + h) * Q + i) * D;
                int hk = h / (H / HKV), lo = doc_split && i >= doc_split ? doc_split : 0;
                double s[Q], m = -INFINITY, sum = 0;
                for (int j = lo; j <= i; j++) {
                    const float *kj = k + ((size_t)(b * HKV + hk) * Q + j) * D;
                    double dot = 0;
                    for (int c = 0; c < D; c++)
                        dot += (double)qi[c] * kj[c];
                    s[j] = cap * tanh(dot / sqrt((double)D) / cap);
                    m = s[j] > m ? s[j] : m;
                }
                for (int j = lo; j <= i; j++)
                    sum += exp(s[j] - m);
                for (int c = 0; c < D; c++) {
                    double acc = 0;
                    for (int j = lo; j <= i; j++)
                        acc += exp(s[j] - m) / sum * v[((size_t)(b * HKV + hk) * Q + j) * D + c];
                    out[((size_t)(b * H + h) * Q + i) * D + c] = (float)acc;
                }
            }
}

static double max_error(const float *a, const float *b, size_t n)
{
    double e = 0;
    for (size_t i = 0; i < n; i++)
        e = fmax(e, fabs((double)a[i] - b[i]));
    return e;
}

int main(void)
{
    size_t nq = (size_t)B * H * Q * D, nkv = (size_t)B * HKV * Q * D;
    float *q = malloc(nq * sizeof *q), *k = malloc(nkv * sizeof *k), *v = malloc(nkv * sizeof *v);
    float *out = malloc(nq * sizeof *out), *ref = malloc(nq * sizeof *ref);
    if (!q || !k || !v || !out || !ref)
        return 1;
    srand(1);
    for (size_t i = 0; i < nq; i++)
        q[i] = 2.0f * rand() / (float)RAND_MAX - 1.0f;
    for (size_t i = 0; i < nkv; i++) {
        k[i] = 2.0f * rand() / (float)RAND_MAX - 1.0f;
        v[i] = 2.0f * rand() / (float)RAND_MAX - 1.0f;
    }
    int64_t qs[4] = {B, H, Q, D}, kvs[4] = {B, HKV, Q, D}, cus[1] = {3};
    DLTensor tq = tensor(q, 4, qs), tk = tensor(k, 4, kvs), tv = tensor(v, 4, kvs), to = tensor(out, 4, qs);
    int32_t offsets[3] = {0, 40, Q};
    DLTensor cu = {.data = offsets, .device = {kDLCPU, 0}, .ndim = 1, .dtype = {kDLInt, 32, 1}, .shape = cus};

    int failures = 0;
    softcap_causal_softcap_causal_params p = softcap_causal_softcap_causal_default_params();
    p.cap = 20.0f;
    if (softcap_causal_softcap_causal_forward(&tq, &tk, &tv, &to, NULL, &p, NULL) != ATTN_OK) {
        fprintf(stderr, "softcap_causal: %s\n", attn_last_error());
        return 1;
    }
    reference(q, k, v, 20.0f, 0, ref);
    double e1 = max_error(out, ref, nq);
    printf("softcap_causal: max abs error %.3g vs the naive reference\n", e1);
    failures += !(e1 < 1e-4);

    softcap_causal_packed_softcap_params pp = softcap_causal_packed_softcap_default_params();
    pp.docs = &cu;
    if (softcap_causal_packed_softcap_forward(&tq, &tk, &tv, &to, NULL, &pp, NULL) != ATTN_OK) {
        fprintf(stderr, "packed_softcap: %s\n", attn_last_error());
        return 1;
    }
    reference(q, k, v, 30.0f, 40, ref);
    double e2 = max_error(out, ref, nq);
    printf("packed_softcap: max abs error %.3g vs the naive reference\n", e2);
    failures += !(e2 < 1e-4);

    pp.docs = NULL; /* a missing pack is an error naming it */
    attn_status s = softcap_causal_packed_softcap_forward(&tq, &tk, &tv, &to, NULL, &pp, NULL);
    printf("without docs: %s (%s)\n", attn_status_name(s), attn_last_error());
    failures += s == ATTN_OK;

    free(q);
    free(k);
    free(v);
    free(out);
    free(ref);
    return failures != 0;
}
