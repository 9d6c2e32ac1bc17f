/* test_cuda_attn.c - the GPU attention template's PTX on the GPU against a
 * double-precision reference, for each variant of the test hooks.
 *
 * $ATTN_GPU_PTX_DIR holds attn_fwd_gpu_<f16|bf16>_d<64|128>.ptx (entry
 * emu_attn_fwd_gpu; built by hand, see CMakeLists.txt); specialisations
 * without a file are skipped, and the whole test (exit 77) when the
 * variable is unset, nothing is found, or there is no driver. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cuda_attn_problem.h"

#define TEST_ENTRY "emu_attn_fwd_gpu"

/* *max = max(*max, e), a NaN counting as infinite. */
static void test_max_err(double *max, double e) {
    if (!(e <= *max))
        *max = isnan(e) ? INFINITY : e;
}

/* Largest |out - ref| and |lse - ref| of one (b, h) head over all rows. */
static void test_head(const cuda_attn_problem *p, const uint16_t *out, const float *lse, int b,
                      int h, double *err_out, double *err_lse) {
    const cuda_attn_spec *sp = &p->spec;
    int S = sp->S, hk = h / (sp->H / sp->HKV);
    const uint16_t *q = p->q + ((size_t)b * sp->H + h) * S * sp->D;
    const uint16_t *k = p->k + ((size_t)b * sp->HKV + hk) * S * sp->D;
    const uint16_t *v = p->v + ((size_t)b * sp->HKV + hk) * S * sp->DV;
    double *w = malloc((size_t)S * sizeof *w);
    for (int iq = 0; iq < S; iq++) {
        double mx = -INFINITY, sum = 0;
        for (int kv = 0; kv < S; kv++) {
            w[kv] = -INFINITY;
            if (!attn_hook_mask(b, h, iq, kv, &p->host_ctx))
                continue;
            double dot = 0;
            for (int d = 0; d < sp->D; d++)
                dot += (double)cuda_attn_to_f32(p, q[(size_t)iq * sp->D + d]) *
                       cuda_attn_to_f32(p, k[(size_t)kv * sp->D + d]);
            w[kv] = attn_hook_score((float)(dot * p->args.scale), b, h, iq, kv, &p->host_ctx);
            mx = w[kv] > mx ? w[kv] : mx;
        }
        for (int kv = 0; kv < S; kv++)
            sum += w[kv] == -INFINITY ? 0 : exp(w[kv] - mx);
        size_t row = ((size_t)b * sp->H + h) * S + iq;
        double ref_lse = sum > 0 ? mx + log(sum) : -INFINITY, got = lse[row];
        test_max_err(err_lse, ref_lse == -INFINITY ? (got == -INFINITY ? 0 : INFINITY)
                                                   : fabs(got - ref_lse));
        for (int d = 0; d < sp->DV; d++) {
            double o = 0;
            for (int kv = 0; sum > 0 && kv < S; kv++)
                if (w[kv] != -INFINITY)
                    o += exp(w[kv] - mx) / sum * cuda_attn_to_f32(p, v[(size_t)kv * sp->DV + d]);
            test_max_err(err_out, fabs(cuda_attn_to_f32(p, out[row * sp->DV + d]) - o));
        }
    }
    free(w);
}

/* Runs one variant on the GPU and compares; returns the number of failures. */
static int test_case(const attn_cuda_kernel *k, cuda_attn_spec spec, const char *what) {
    cuda_attn_problem *p;
    attn_status s = cuda_attn_problem_create(&spec, &p);
    if (s != ATTN_OK) {
        fprintf(stderr, "FAIL %s: setup: %s\n", what, attn_last_error());
        return 1;
    }
    size_t nout = (size_t)spec.B * spec.H * spec.S * spec.DV, nlse = (size_t)spec.B * spec.H * spec.S;
    uint16_t *out = malloc(nout * 2);
    float *lse = malloc(nlse * sizeof *lse);
    s = attn_cuda_memset(p->dout, 0xff, nout * 2); /* NaN: every element must be written */
    if (s == ATTN_OK)
        s = attn_cuda_launch_attn_fwd(k, &p->args, NULL);
    if (s == ATTN_OK)
        s = attn_cuda_synchronize(NULL);
    if (s == ATTN_OK)
        s = attn_cuda_memcpy_dtoh(out, p->dout, nout * 2);
    if (s == ATTN_OK)
        s = attn_cuda_memcpy_dtoh(lse, p->dlse, nlse * sizeof *lse);
    int bad = s != ATTN_OK;
    double err_out = 0, err_lse = 0, tol = spec.bf16 ? 1e-2 : 2e-3;
    for (int b = 0; b < spec.B && !bad; b++)
        for (int h = 0; h < spec.H; h++)
            test_head(p, out, lse, b, h, &err_out, &err_lse);
    bad = bad || !(err_out <= tol) || !(err_lse <= 1e-3);
    printf("%s %s: max |out - ref| %.2e, max |lse - ref| %.2e%s%s\n", bad ? "FAIL" : "ok  ", what,
           err_out, err_lse, s != ATTN_OK ? ": " : "", s != ATTN_OK ? attn_last_error() : "");
    free(out);
    free(lse);
    cuda_attn_problem_free(p);
    return bad;
}

int main(void) {
    const char *dir = getenv("ATTN_GPU_PTX_DIR");
    if (!dir || !*dir) {
        printf("skipped: $ATTN_GPU_PTX_DIR is not set\n");
        return 77;
    }
    attn_status s = attn_cuda_init();
    if (cuda_attn_skip_code(s))
        return 77;
    static const int docs[] = {37, 150, 113};
    int failures = 0, found = 0;
    for (int bf16 = 0; bf16 < 2; bf16++)
        for (int D = 64; D <= 128; D *= 2) {
            char path[1024], what[128];
            snprintf(path, sizeof path, "%s/attn_fwd_gpu_%s_d%d.ptx", dir, bf16 ? "bf16" : "f16", D);
            char *ptx = cuda_attn_read_text(path);
            if (!ptx) {
                printf("no %s: skipped\n", path);
                continue;
            }
            found++;
            attn_cuda_kernel k;
            if (attn_cuda_attn_fwd_kernel(ptx, TEST_ENTRY, D, D, &k) != ATTN_OK) {
                fprintf(stderr, "FAIL %s: %s\n", path, attn_last_error());
                failures++;
                free(ptx);
                continue;
            }
            for (int variant = EMU_VARIANT_NONE; variant <= EMU_VARIANT_DOCS; variant++) {
                cuda_attn_spec spec = {variant, 2, 4, 2, 300, D, D, bf16, 100, 20.0f,
                                       docs, 3, 1234u + (unsigned)variant};
                snprintf(what, sizeof what, "%s d%d variant %d", bf16 ? "bf16" : "f16", D, variant);
                failures += test_case(&k, spec, what);
            }
            free(ptx);
        }
    attn_cuda_release();
    if (!found) {
        printf("skipped: no PTX in %s\n", dir);
        return 77;
    }
    return failures ? 1 : 0;
}
