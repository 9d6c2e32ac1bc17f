/* test_emu_attn.c - the GPU attention template (kernels/attn_fwd_gpu.c),
 * compiled for the host in the specialisation given by -DATTN_HEAD_DIM and
 * -DATTN_DTYPE_BF16, run under the SIMT emulator with the hand-written hooks
 * of emu_hooks.c, against a naive double-precision reference. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attn_fwd_gpu.c"
#include "emu.h"
#include "emu_hooks.h"

#if ATTN_GPU_WGMMA_SPEC(D, DV) && !USE_WGMMA
#error "an ATTN_GPU_WGMMA build of this specialisation must take the wgmma path"
#endif

#ifdef ATTN_DTYPE_BF16
#define TEST_TOL_OUT 1e-2
#define TEST_DTYPE "bf16"
static uint16_t test_to_elem(float f) { return emu_f32_to_bf16(f); }
static float test_from_elem(uint16_t h) { return emu_bf16_to_f32(h); }
#else
#define TEST_TOL_OUT 2e-3
#define TEST_DTYPE "f16"
static uint16_t test_to_elem(float f) { return emu_f32_to_f16(f); }
static float test_from_elem(uint16_t h) { return emu_f16_to_f32(h); }
#endif
#define TEST_TOL_LSE 1e-4

typedef struct test_case {
    const char *name;
    int variant;
    int B, H, HKV, Q, KV;
    float input_scale;   /* inputs uniform in [-input_scale, input_scale] */
    int window;
    float softcap;
    const int *doc_lens; /* EMU_VARIANT_DOCS: segment lengths summing to Q == KV */
    int ndocs;
    int set_scale;       /* 1: the softmax scale is `scale`, else the hook's */
    float scale;
} test_case;

static unsigned test_seed = 2024u;

static float test_uniform(void)
{
    test_seed = test_seed * 1664525u + 1013904223u;
    return (float)(test_seed >> 8) / 8388608.0f - 1.0f;
}

/* A [B, seq, heads, dim] tensor (strides differ from the output's [B, H, Q, DV])
 * of random elements. */
static uint16_t *test_tensor(int B, int seq, int heads, int dim, float scale, int64_t stride[3])
{
    size_t n = (size_t)B * seq * heads * dim;
    uint16_t *t = aligned_alloc(16, (n * 2 + 15) / 16 * 16);
    for (size_t i = 0; i < n; i++)
        t[i] = test_to_elem(scale * test_uniform());
    stride[0] = (int64_t)seq * heads * dim;
    stride[1] = dim;
    stride[2] = (int64_t)heads * dim;
    return t;
}

static int run_case(const test_case *tc)
{
    int64_t qs[3], ks[3], vs[3];
    uint16_t *q = test_tensor(tc->B, tc->Q, tc->H, D, tc->input_scale, qs);
    uint16_t *k = test_tensor(tc->B, tc->KV, tc->HKV, D, tc->input_scale, ks);
    uint16_t *v = test_tensor(tc->B, tc->KV, tc->HKV, DV, 1.0f, vs);
    size_t nout = (size_t)tc->B * tc->H * tc->Q * DV, nlse = (size_t)tc->B * tc->H * tc->Q;
    uint16_t *out = aligned_alloc(16, (nout * 2 + 15) / 16 * 16);
    float *lse = malloc(nlse * sizeof *lse);

    int32_t offsets[16], seg_of[512];
    attn_param params[4];
    memset(params, 0, sizeof params);
    params[0].u.i = tc->variant;
    params[1].u.i = tc->window;
    params[2].u.f = tc->softcap;
    offsets[0] = 0;
    for (int s = 0; s < tc->ndocs; s++) {
        offsets[s + 1] = offsets[s] + tc->doc_lens[s];
        for (int i = offsets[s]; i < offsets[s + 1]; i++)
            seg_of[i] = s;
    }
    params[3].u.p = (attn_pack_arg){offsets, seg_of, tc->ndocs, tc->Q};

    attn_fwd_gpu_args a;
    memset(&a, 0, sizeof a);
    a.q = q, a.k = k, a.v = v, a.out = out, a.lse = lse;
    memcpy(a.q_stride, qs, sizeof qs);
    memcpy(a.k_stride, ks, sizeof ks);
    memcpy(a.v_stride, vs, sizeof vs);
    a.o_stride[0] = (int64_t)tc->H * tc->Q * DV, a.o_stride[1] = (int64_t)tc->Q * DV;
    a.o_stride[2] = DV;
    a.lse_stride[0] = (int64_t)tc->H * tc->Q, a.lse_stride[1] = tc->Q;
    int dims[] = {tc->B, tc->H, tc->HKV, tc->Q, tc->KV, D, DV};
    memcpy(a.ctx.dims, dims, sizeof dims);
    a.ctx.params = params;
    a.scale = tc->set_scale ? tc->scale : attn_hook_scale(&a.ctx);
    for (size_t i = 0; i < nout; i++)
        out[i] = 0x7e00; /* NaN: every element must be written */

    emu_launch_cfg cfg = {{(tc->Q + BQ - 1) / BQ, tc->H, tc->B}, {ATTN_GPU_THREADS(D, DV), 1, 1},
                          ATTN_GPU_SMEM_BYTES(D, DV), 2};
    char err[256];
    int bad = 0;
    size_t npairs = (size_t)tc->B * tc->H * tc->Q * tc->KV;
    if (tc->variant == EMU_VARIANT_VISITS)
        emu_hooks_visits = calloc(npairs, sizeof *emu_hooks_visits);
    if (emu_launch(attn_fwd_gpu, &cfg, &a, err, sizeof err) != 0) {
        fprintf(stderr, "%s: launch failed: %s\n", tc->name, err);
        bad = 1;
    }
    if (emu_hooks_visits) { /* every (q, kv) pair scored (padding may repeat some) */
        for (size_t i = 0; i < npairs && !bad; i++)
            if (emu_hooks_visits[i] == 0) {
                fprintf(stderr, "%s: the key walk never scored q %d, kv %d\n", tc->name,
                        (int)(i / tc->KV % tc->Q), (int)(i % tc->KV));
                bad = 1;
            }
        free(emu_hooks_visits);
        emu_hooks_visits = NULL;
    }

    /* Reference: softmax over visible keys, in double. */
    double max_out = 0, max_lse = 0;
    double *p = malloc((size_t)tc->KV * sizeof *p);
    for (int b = 0; b < tc->B && !bad; b++)
        for (int h = 0; h < tc->H; h++) {
            int hk = h / (tc->H / tc->HKV);
            for (int iq = 0; iq < tc->Q; iq++) {
                double mx = -INFINITY, sum = 0;
                for (int kv = 0; kv < tc->KV; kv++) {
                    p[kv] = -INFINITY;
                    if (!attn_hook_mask(b, h, iq, kv, &a.ctx))
                        continue;
                    double dot = 0;
                    for (int d = 0; d < D; d++)
                        dot += (double)test_from_elem(q[b * qs[0] + h * qs[1] + iq * qs[2] + d]) *
                               test_from_elem(k[b * ks[0] + hk * ks[1] + kv * ks[2] + d]);
                    p[kv] = attn_hook_score((float)(dot * a.scale), b, h, iq, kv, &a.ctx);
                    mx = fmax(mx, p[kv]);
                }
                for (int kv = 0; kv < tc->KV; kv++)
                    sum += p[kv] == -INFINITY ? 0 : exp(p[kv] - mx);
                float got_lse = lse[b * a.lse_stride[0] + h * a.lse_stride[1] + iq];
                if (sum == 0) {
                    if (got_lse != -INFINITY) {
                        fprintf(stderr, "%s: (%d,%d,%d) fully masked, lse %g\n", tc->name, b,
                                h, iq, got_lse);
                        bad = 1;
                    }
                } else {
                    double want = mx + log(sum), e = fabs(got_lse - want);
                    max_lse = fmax(max_lse, isnan(e) ? INFINITY : e);
                }
                for (int dv = 0; dv < DV; dv++) {
                    double want = 0;
                    for (int kv = 0; kv < tc->KV && sum > 0; kv++)
                        if (p[kv] != -INFINITY)
                            want += exp(p[kv] - mx) / sum *
                                    test_from_elem(v[b * vs[0] + hk * vs[1] + kv * vs[2] + dv]);
                    float got = test_from_elem(
                        out[b * a.o_stride[0] + h * a.o_stride[1] + iq * DV + dv]);
                    double e = fabs(got - want);
                    max_out = fmax(max_out, isnan(e) ? INFINITY : e);
                }
            }
        }
    if (!bad && (max_out > TEST_TOL_OUT || max_lse > TEST_TOL_LSE))
        bad = 1;
    printf("%-10s %s D=%d %s tiles %dx%d B=%d H=%d HKV=%d Q=%d KV=%d: max |out err| %.2e, "
           "max |lse err| %.2e %s\n",
           tc->name, TEST_DTYPE, D, USE_WGMMA ? "wgmma" : "mma.sync", BQ, BKV, tc->B, tc->H,
           tc->HKV, tc->Q, tc->KV, max_out, max_lse, bad ? "FAIL" : "ok");
    free(p);
    free(q);
    free(k);
    free(v);
    free(out);
    free(lse);
    return bad;
}

int main(void)
{
    static const int docs[] = {50, 1, 120, 129};
    static const test_case cases[] = {
        {"none-gqa", EMU_VARIANT_NONE, 1, 4, 2, 17, 129, 1.0f, 0, 0, NULL, 0, 0, 0},
        {"none-1", EMU_VARIANT_NONE, 1, 1, 1, 1, 1, 1.0f, 0, 0, NULL, 0, 0, 0},
        {"causal", EMU_VARIANT_CAUSAL, 2, 2, 2, 129, 129, 1.0f, 0, 0, NULL, 0, 0, 0},
        {"causal-qkv", EMU_VARIANT_CAUSAL, 1, 2, 1, 65, 17, 1.0f, 0, 0, NULL, 0, 0, 0},
        {"window", EMU_VARIANT_WINDOW, 1, 2, 2, 300, 300, 1.0f, 37, 0, NULL, 0, 0, 0},
        {"softcap", EMU_VARIANT_SOFTCAP, 1, 1, 1, 17, 300, 3.0f, 0, 5.0f, NULL, 0, 0, 0},
        {"docs", EMU_VARIANT_DOCS, 1, 2, 1, 300, 300, 1.0f, 0, 0, docs, 4, 0, 0},
        {"empty-rows", EMU_VARIANT_EMPTY_ROWS, 1, 1, 1, 65, 129, 1.0f, 0, 0, NULL, 0, 0, 0},
        {"sharp", EMU_VARIANT_NONE, 1, 1, 1, 64, 300, 4.0f, 0, 0, NULL, 0, 0, 0},
        /* scales that must not fold into exp2 (the max would flip, or
         * -inf * 0 give NaN) */
        {"neg-scale", EMU_VARIANT_CAUSAL, 1, 1, 1, 100, 100, 1.0f, 0, 0, NULL, 0, 1, -0.2f},
        {"zero-scale", EMU_VARIANT_CAUSAL, 1, 1, 1, 100, 100, 1.0f, 0, 0, NULL, 0, 1, 0.0f},
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        bad |= run_case(&cases[i]);
    /* Where key tiles are short (the emulator is slow), more of them than
     * three halves of the tile ring: a refill that lands on a descriptor
     * still to be read leaves some lane's keys unscored. Q = BQ: every
     * lane's rows count. */
    if (BKV <= 16) {
        const test_case walk = {"ring-walk", EMU_VARIANT_VISITS, 1, 1, 1, BQ,
                                BKV * (3 * THREADS + 8), 1.0f, 0, 0, NULL, 0, 0, 0};
        bad |= run_case(&walk);
    }
    return bad;
}
