/* gpu_variant.c - launching compiled attention variants on a CUDA GPU from
 * a C program that links only libattn and attnc's generated files.
 *
 *   attnc softcap_causal.attn -o softcap_gpu --target sm_80,sm_90a --emit stubs
 *       # softcap_gpu.h, softcap_gpu.c (the PTX embedded; no host object)
 *   cc -I<attnc>/runtime/include gpu_variant.c softcap_gpu.c -lattn -lm -lpthread -ldl
 *
 * Runs softcap_causal (GQA: 4 query heads on 2 key/value heads) and
 * packed_softcap (two documents) on random bf16 inputs on the GPU
 * (softcap_gpu_V_forward_gpu: CPU tensors are uploaded, computed and
 * downloaded by the runtime) and compares them with the naive reference
 * below; packed_softcap once more with its BlockMask built in device memory
 * (softcap_gpu_packed_softcap_block_mask_cuda) and passed to the launch; and
 * as an engine would: tensors kept in device memory, a plan made once
 * (softcap_gpu_packed_softcap_plan_gpu) and launched asynchronously, the
 * kind of launch a CUDA graph can capture.
 * Exit status 0 when they agree, 77 when there is no usable CUDA driver or
 * device. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attn_cuda.h"
#include "softcap_gpu.h"

enum { B = 1, H = 4, HKV = 2, Q = 200, D = 64 };

/* f32 -> bf16 bits, rounding to nearest even (inputs are finite). */
static uint16_t to_bf16(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return (uint16_t)((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

static float from_bf16(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* A compact CPU DLTensor over data (bf16, or f32 for lse). */
static DLTensor tensor(void *data, int ndim, int64_t *shape, int bf16)
{
    DLTensor t = {.data = data, .device = {kDLCPU, 0}, .ndim = ndim,
                  .dtype = bf16 ? (DLDataType){kDLBfloat, 16, 1} : (DLDataType){kDLFloat, 32, 1},
                  .shape = shape};
    return t;
}

/* Both variants in double precision (B = 1, KV = Q): scale 1/sqrt(D),
 * score cap * tanh(s / cap), key kv visible when kv <= q and (doc_split = 0
 * or q and kv on the same side of doc_split). out [H, Q, D], lse [H, Q]. */
static void reference(const uint16_t *q, const uint16_t *k, const uint16_t *v, double cap,
                      int doc_split, double *out, double *lse)
{
    static double p[Q];
    for (int h = 0; h < H; h++)
        for (int i = 0; i < Q; i++) {
            const uint16_t *qi = q + ((size_t)h * Q + i) * D;
            const size_t kvh = (size_t)(h / (H / HKV)) * Q;
            double mx = -HUGE_VAL, sum = 0;
            int first = doc_split && i >= doc_split ? doc_split : 0;
            for (int j = first; j <= i; j++) {
                double s = 0;
                for (int d = 0; d < D; d++)
                    s += (double)from_bf16(qi[d]) * from_bf16(k[(kvh + j) * D + d]);
                p[j] = cap * tanh(s / sqrt((double)D) / cap);
                mx = fmax(mx, p[j]);
            }
            for (int j = first; j <= i; j++)
                sum += p[j] = exp(p[j] - mx);
            for (int d = 0; d < D; d++) {
                double o = 0;
                for (int j = first; j <= i; j++)
                    o += p[j] * from_bf16(v[(kvh + j) * D + d]);
                out[((size_t)h * Q + i) * D + d] = o / sum;
            }
            lse[(size_t)h * Q + i] = mx + log(sum);
        }
}

/* max |gpu - ref| / max(1, |ref|) over out (bf16) and lse (f32). */
static double rel_error(const uint16_t *out_gpu, const double *out_ref, const float *lse_gpu,
                        const double *lse_ref)
{
    double e = 0;
    for (size_t i = 0; i < (size_t)B * H * Q * D; i++)
        e = fmax(e, fabs(from_bf16(out_gpu[i]) - out_ref[i]) / fmax(1.0, fabs(out_ref[i])));
    for (size_t i = 0; i < (size_t)B * H * Q; i++)
        e = fmax(e, fabs(lse_gpu[i] - lse_ref[i]) / fmax(1.0, fabs(lse_ref[i])));
    return e;
}

/* One run's outcome: -1 when its launch failed (`what` names it in the
 * message), else 1 when out and lse miss the reference by 3e-2 or more, 0
 * when they agree (the max relative error printed after `label`). */
static int check_run(attn_status st, const char *what, const char *label, const uint16_t *out_gpu,
                     const double *out_ref, const float *lse_gpu, const double *lse_ref)
{
    if (st != ATTN_OK) {
        fprintf(stderr, "%s: %s\n", what, attn_last_error());
        return -1;
    }
    double e = rel_error(out_gpu, out_ref, lse_gpu, lse_ref);
    printf("%s max rel error %.3g\n", label, e);
    return !(e < 3e-2);
}

/* packed_softcap as an engine runs it: q, k, v, out, lse in device memory,
 * a plan (parameters, kernel and BlockMask m settled once), two launches on
 * the default stream, one wait; out and lse copied back into og, lg. */
static attn_status run_planned(const DLTensor *tq, const DLTensor *tk, const DLTensor *tv,
                               DLTensor *og, DLTensor *lg, const softcap_gpu_packed_softcap_params *pp,
                               const attn_block_mask *m)
{
    attn_cuda_tensor *d[5] = {NULL};
    const DLTensor *host[5] = {tq, tk, tv, og, lg};
    attn_status s = ATTN_OK;
    for (int i = 0; i < 5 && s == ATTN_OK; i++)
        s = attn_cuda_tensor_upload(host[i], &d[i]);
    attn_gpu_plan *plan = NULL;
    const attn_launch_opts opts = {.block_mask = m};
    if (s == ATTN_OK)
        s = softcap_gpu_packed_softcap_plan_gpu(&d[0]->t, &d[1]->t, &d[2]->t, &d[3]->t, &d[4]->t, pp,
                                                &opts, &plan);
    for (int step = 0; step < 2 && s == ATTN_OK; step++) /* returns once queued */
        s = attn_gpu_plan_launch(plan, &d[0]->t, &d[1]->t, &d[2]->t, &d[3]->t, &d[4]->t, NULL);
    if (s == ATTN_OK)
        s = attn_cuda_synchronize(NULL);
    if (s == ATTN_OK)
        s = attn_cuda_tensor_download(&d[3]->t, og);
    if (s == ATTN_OK)
        s = attn_cuda_tensor_download(&d[4]->t, lg);
    attn_gpu_plan_free(plan);
    for (int i = 0; i < 5; i++)
        attn_cuda_tensor_free(d[i]);
    return s;
}

int main(void)
{
    if (attn_cuda_init() != ATTN_OK) { /* skipped only without a driver or device */
        printf("%s: %s\n", strncmp(attn_last_error(), "CUDA unavailable: ", 18) == 0 ? "skipped"
                                                                                   : "FAIL",
               attn_last_error());
        return strncmp(attn_last_error(), "CUDA unavailable: ", 18) == 0 ? 77 : 1;
    }
    size_t nq = (size_t)B * H * Q * D, nkv = (size_t)B * HKV * Q * D, nl = (size_t)B * H * Q;
    uint16_t *q = malloc(nq * 2), *k = malloc(nkv * 2), *v = malloc(nkv * 2);
    uint16_t *out_gpu = malloc(nq * 2);
    double *out_ref = malloc(nq * sizeof(double)), *lse_ref = malloc(nl * sizeof(double));
    float *lse_gpu = malloc(nl * sizeof(float));
    if (!q || !k || !v || !out_ref || !out_gpu || !lse_ref || !lse_gpu)
        return 1;
    srand(1);
    for (size_t i = 0; i < nq; i++)
        q[i] = to_bf16(2.0f * rand() / (float)RAND_MAX - 1.0f);
    for (size_t i = 0; i < nkv; i++) {
        k[i] = to_bf16(2.0f * rand() / (float)RAND_MAX - 1.0f);
        v[i] = to_bf16(2.0f * rand() / (float)RAND_MAX - 1.0f);
    }
    int64_t qs[4] = {B, H, Q, D}, kvs[4] = {B, HKV, Q, D}, ls[3] = {B, H, Q}, cus[1] = {3};
    DLTensor tq = tensor(q, 4, qs, 1), tk = tensor(k, 4, kvs, 1), tv = tensor(v, 4, kvs, 1);
    DLTensor og = tensor(out_gpu, 4, qs, 1), lg = tensor(lse_gpu, 3, ls, 0);
    int32_t offsets[3] = {0, 70, Q};
    DLTensor cu = {.data = offsets, .device = {kDLCPU, 0}, .ndim = 1, .dtype = {kDLInt, 32, 1}, .shape = cus};

    int failures = 0, r;
    softcap_gpu_softcap_causal_params p = softcap_gpu_softcap_causal_default_params();
    p.cap = 20.0f;
    attn_status st = softcap_gpu_softcap_causal_forward_gpu(&tq, &tk, &tv, &og, &lg, &p, NULL);
    reference(q, k, v, p.cap, 0, out_ref, lse_ref);
    if ((r = check_run(st, "softcap_causal", "softcap_causal: GPU vs reference", out_gpu, out_ref,
                       lse_gpu, lse_ref)) < 0)
        return 1;
    failures += r;

    softcap_gpu_packed_softcap_params pp = softcap_gpu_packed_softcap_default_params();
    pp.docs = &cu;
    st = softcap_gpu_packed_softcap_forward_gpu(&tq, &tk, &tv, &og, &lg, &pp, NULL);
    reference(q, k, v, pp.cap, offsets[1], out_ref, lse_ref);
    if ((r = check_run(st, "packed_softcap", "packed_softcap: GPU vs reference", out_gpu, out_ref,
                       lse_gpu, lse_ref)) < 0)
        return 1;
    failures += r;

    attn_block_mask *m = NULL;
    if (softcap_gpu_packed_softcap_block_mask_cuda(B, H, Q, Q, &pp, NULL, &m) != ATTN_OK) {
        fprintf(stderr, "packed_softcap BlockMask: %s\n", attn_last_error());
        return 1;
    }
    memset(out_gpu, 0, nq * sizeof *out_gpu);
    const attn_launch_opts with_mask = {.block_mask = m};
    st = softcap_gpu_packed_softcap_forward_gpu(&tq, &tk, &tv, &og, &lg, &pp, &with_mask);
    if ((r = check_run(st, "packed_softcap with its BlockMask",
                       "packed_softcap, BlockMask in device memory:", out_gpu, out_ref, lse_gpu,
                       lse_ref)) < 0)
        return 1;
    failures += r;

    memset(out_gpu, 0, nq * sizeof *out_gpu);
    st = run_planned(&tq, &tk, &tv, &og, &lg, &pp, m);
    attn_block_mask_free(m);
    if ((r = check_run(st, "packed_softcap through a plan",
                       "packed_softcap, device tensors through a plan:", out_gpu, out_ref, lse_gpu,
                       lse_ref)) < 0)
        return 1;
    failures += r;

    free(q);
    free(k);
    free(v);
    free(out_ref);
    free(out_gpu);
    free(lse_ref);
    free(lse_gpu);
    return failures != 0;
}
