/* run_scan.c - a compiled Mamba scan called from a C program: the packed
 * selective scan of the standard library on the CPU and on a CUDA GPU.
 *
 *   attnc std/ssm.attn -o ssm --emit header                        # ssm.h, ssm.o
 *   attnc std/ssm.attn -o ssm_gpu --target sm_80,sm_90a --emit stubs
 *       # ssm_gpu.h, ssm_gpu.c (the PTX embedded; no host object)
 *   cc -I<attnc>/runtime/include run_scan.c ssm.o ssm_gpu.c -lattn -lm -lpthread -ldl
 *
 * Runs selective_scan (Mamba-1 with z gate, delta bias and softplus) over
 * two batches of three packed documents each, whose states restart at every
 * document start, and compares y with the naive reference below:
 *   run_scan          on the CPU (ssm_selective_scan_scan: the kernels of
 *                     ssm.o, through attn_scan);
 *   run_scan --gpu    on the GPU (ssm_gpu_selective_scan_scan_gpu: the
 *                     embedded PTX, through attn_scan_gpu), first with CPU
 *                     tensors (uploaded and downloaded by the runtime), then
 *                     with every tensor in device memory (used in place);
 *                     both results are checked.
 * Exit status 0 when they agree, 1 otherwise, and with --gpu 77 when there
 * is no usable CUDA driver or device. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attn_cuda.h"
#include "ssm.h"
#include "ssm_gpu.h"

enum { B = 2, D = 24, N = 16, L = 300 };

/* Document boundaries along L (cu_seqlens): lengths 120, 45 and 135. */
static const int32_t seqs[] = {0, 120, 165, 300};

static float uniform(uint64_t *s, float lo, float hi)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return lo + (hi - lo) * (float)((*s >> 40) * (1.0 / 16777216.0));
}

static double softplus(double x) { return x > 20.0 ? x : log1p(exp(x)); }
static double silu(double x) { return x / (1.0 + exp(-x)); }

/* y[b, d, t] of selective_scan_ref (Mamba) with the state zeroed at every
 * document start: h = exp(dt * A) * h + dt * Bs * u,
 * y = (sum_n Cs * h + Dp * u) * silu(z), dt = softplus(delta + delta_bias). */
static void reference(const float *u, const float *delta, const float *A, const float *Bs, const float *Cs,
                      const float *Dp, const float *z, const float *delta_bias, double *y)
{
    for (int b = 0; b < B; b++)
        for (int d = 0; d < D; d++) {
            double h[N] = {0};
            int doc = 0;
            for (int t = 0; t < L; t++) {
                if (t == seqs[doc + 1]) {
                    doc++;
                    memset(h, 0, sizeof h);
                }
                size_t x = ((size_t)b * D + d) * L + t;
                double dt = softplus((double)delta[x] + delta_bias[d]), acc = 0;
                for (int n = 0; n < N; n++) {
                    size_t bn = ((size_t)b * N + n) * L + t;
                    h[n] = exp(dt * A[d * N + n]) * h[n] + dt * Bs[bn] * u[x];
                    acc += Cs[bn] * h[n];
                }
                y[x] = (acc + Dp[d] * (double)u[x]) * silu(z[x]);
            }
        }
}

/* The largest error of y against the reference, relative to 1 + |want|. */
static double max_error(const float *y, const double *want)
{
    double worst = 0;
    for (int i = 0; i < B * D * L; i++)
        worst = fmax(worst, fabs(y[i] - want[i]) / (1.0 + fabs(want[i])));
    return worst;
}

/* A compact f32 CPU tensor view of data. */
static DLTensor tensor(float *data, int ndim, int64_t *shape)
{
    return (DLTensor){.data = data, .device = {kDLCPU, 0}, .ndim = ndim, .dtype = {kDLFloat, 32, 1},
                      .shape = shape};
}

/* The GPU scan once more with every tensor in device memory, as an engine
 * holds them (read and written in place; the pack stays on the CPU): p's
 * tensors uploaded, y computed on the device, then downloaded into out. */
static attn_status scan_on_device(const ssm_gpu_selective_scan_params *p,
                                  const ssm_gpu_selective_scan_outputs *out)
{
    const DLTensor *host[8] = {p->u, p->delta, p->A, p->Bs, p->Cs, p->Dp, p->z, p->delta_bias};
    attn_cuda_tensor *dev[9] = {NULL};
    attn_status s = ATTN_OK;
    for (int i = 0; i < 8 && s == ATTN_OK; i++)
        s = attn_cuda_tensor_upload(host[i], &dev[i]);
    if (s == ATTN_OK)
        s = attn_cuda_tensor_upload(out->y, &dev[8]); /* y's buffer (overwritten) */
    if (s == ATTN_OK) {
        ssm_gpu_selective_scan_params dp = {&dev[0]->t, &dev[1]->t, &dev[2]->t, &dev[3]->t, &dev[4]->t,
                                            &dev[5]->t, &dev[6]->t, &dev[7]->t, p->seqs};
        ssm_gpu_selective_scan_outputs dout = {&dev[8]->t};
        memset(out->y->data, 0, (size_t)(B * D * L) * sizeof(float)); /* the download must refill it */
        s = ssm_gpu_selective_scan_scan_gpu(&dp, &dout, NULL);
    }
    if (s == ATTN_OK)
        s = attn_cuda_tensor_download(&dev[8]->t, out->y);
    for (int i = 0; i < 9; i++)
        attn_cuda_tensor_free(dev[i]);
    return s;
}

int main(int argc, char **argv)
{
    int gpu = argc == 2 && strcmp(argv[1], "--gpu") == 0;
    if (argc > 2 || (argc == 2 && !gpu)) {
        fprintf(stderr, "usage: run_scan [--gpu]\n");
        return 2;
    }
    static float u[B * D * L], delta[B * D * L], z[B * D * L], Bs[B * N * L], Cs[B * N * L], y[B * D * L];
    static float A[D * N], Dp[D], delta_bias[D];
    static double want[B * D * L];
    uint64_t seed = 42;
    for (int i = 0; i < B * D * L; i++) {
        u[i] = uniform(&seed, -1, 1);
        delta[i] = uniform(&seed, -2, 1);
        z[i] = uniform(&seed, -1, 1);
    }
    for (int i = 0; i < B * N * L; i++) {
        Bs[i] = uniform(&seed, -1, 1);
        Cs[i] = uniform(&seed, -1, 1);
    }
    for (int i = 0; i < D * N; i++)
        A[i] = -expf(uniform(&seed, -1, 1)); /* A = -exp(A_log) */
    for (int i = 0; i < D; i++) {
        Dp[i] = uniform(&seed, -1, 1);
        delta_bias[i] = uniform(&seed, -1, 0);
    }
    reference(u, delta, A, Bs, Cs, Dp, z, delta_bias, want);

    int64_t s_bdl[] = {B, D, L}, s_bnl[] = {B, N, L}, s_dn[] = {D, N}, s_d[] = {D}, s_pack[] = {4};
    DLTensor tu = tensor(u, 3, s_bdl), tdelta = tensor(delta, 3, s_bdl), tz = tensor(z, 3, s_bdl);
    DLTensor tBs = tensor(Bs, 3, s_bnl), tCs = tensor(Cs, 3, s_bnl), tA = tensor(A, 2, s_dn);
    DLTensor tDp = tensor(Dp, 1, s_d), tbias = tensor(delta_bias, 1, s_d), ty = tensor(y, 3, s_bdl);
    DLTensor tseqs = {.data = (void *)seqs, .device = {kDLCPU, 0}, .ndim = 1, .dtype = {kDLInt, 32, 1},
                      .shape = s_pack};

    attn_status s;
    double worst = 0, worst_device = 0;
    if (gpu) {
        ssm_gpu_selective_scan_params p = {.u = &tu, .delta = &tdelta, .A = &tA, .Bs = &tBs, .Cs = &tCs,
                                           .Dp = &tDp, .z = &tz, .delta_bias = &tbias, .seqs = &tseqs};
        ssm_gpu_selective_scan_outputs out = {.y = &ty};
        s = ssm_gpu_selective_scan_scan_gpu(&p, &out, NULL);
        worst = max_error(y, want);
        if (s == ATTN_OK)
            s = scan_on_device(&p, &out);
        worst_device = max_error(y, want);
    } else {
        ssm_selective_scan_params p = {.u = &tu, .delta = &tdelta, .A = &tA, .Bs = &tBs, .Cs = &tCs,
                                       .Dp = &tDp, .z = &tz, .delta_bias = &tbias, .seqs = &tseqs};
        ssm_selective_scan_outputs out = {.y = &ty};
        s = ssm_selective_scan_scan(&p, &out, NULL);
        worst = max_error(y, want);
    }
    if (s != ATTN_OK) {
        int skip = gpu && strncmp(attn_last_error(), "CUDA unavailable: ", 18) == 0;
        printf("%s: %s\n", skip ? "skipped" : "error", attn_last_error());
        return skip ? 77 : 1;
    }
    printf("selective_scan on the %s, B=%d D=%d N=%d L=%d, 3 documents: max error %.2e", gpu ? "GPU" : "CPU", B,
           D, N, L, worst);
    if (gpu) {
        printf(" (CPU tensors), %.2e (device tensors)", worst_device);
        attn_cuda_release();
    }
    printf("\n");
    return worst < 1e-4 && worst_device < 1e-4 ? 0 : 1;
}
