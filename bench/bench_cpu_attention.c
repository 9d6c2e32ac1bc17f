/* bench_cpu_attention.c - the CPU flash-attention template (hand-written
 * hooks, inlined as generated hooks will be) against a baseline that
 * materializes S = Q.K^T with OpenBLAS sgemm, applies score/mask and a
 * row softmax, and multiplies by V with sgemm (one head at a time).
 *
 *   bench_cpu_attention [--quick] [--headline]
 *
 * f32, B = 1, H = 8, D in {64, 128}, Q = KV in {512, 2048, 4096, 8192}.
 * GFLOP/s follow FlashAttention's convention 4 * B * H * D * pairs, where
 * `pairs` counts only the visible (q, kv) pairs of masked variants (for
 * both columns, so the ratio is the speed-up). The peak is an estimate:
 * a register-only loop of independent 16-lane FMAs on every thread. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas_baseline.h"
#include "test_variants.h"

enum { BN_H = 8 };

typedef struct bn_variant {
    tv_id id;
    bb_kind kind;
    const char *label;
} bn_variant;

static const bn_variant bn_variants[] = {
    {TV_NONE, BB_NONE, "no mask"},   {TV_CAUSAL, BB_CAUSAL, "causal"},
    {TV_WINDOW, BB_WINDOW, "window 256"}, {TV_DOCS, BB_DOCS, "documents"},
    {TV_SOFTCAP, BB_SOFTCAP, "softcap 30"},
};

/* ---- one configuration ---------------------------------------------- */

static DLTensor bn_tensor(float *data, int64_t *shape) {
    DLTensor t = {data, {kDLCPU, 0}, 4, {kDLFloat, 32, 1}, shape, NULL, 0};
    return t;
}

/* Times one variant at sequence length L, head dim D; prints a table row. */
static void bn_run(const bn_variant *bv, int32_t L, int32_t D, int threads, double peak) {
    const int64_t n = (int64_t)BN_H * L * D;
    float *q = bb_random(n, 1), *k = bb_random(n, 2), *v = bb_random(n, 3);
    float *o1 = malloc((size_t)n * sizeof *o1), *o2 = malloc((size_t)n * sizeof *o2);
    float *S = malloc((size_t)L * (size_t)L * sizeof *S);
    int32_t *off = malloc(((size_t)L + 2) * sizeof *off), *seg = malloc((size_t)L * sizeof *seg);
    if (!q || !k || !v || !o1 || !o2 || !S || !off || !seg) {
        fprintf(stderr, "out of memory at L=%d\n", L);
        exit(1);
    }
    int32_t noff = bb_doc_offsets(L, off);
    bb_segments(off, noff, seg);
    int64_t shape[4] = {1, BN_H, L, D}, oshape[1] = {noff};
    DLTensor tq = bn_tensor(q, shape), tk = bn_tensor(k, shape), tv = bn_tensor(v, shape),
             to = bn_tensor(o1, shape);
    DLTensor toff = {off, {kDLCPU, 0}, 1, {kDLInt, 32, 1}, oshape, NULL, 0};
    attn_arg args[1];
    int nargs = 1;
    if (bv->id == TV_WINDOW)
        args[0] = attn_arg_i32(0, BB_WINDOW_KEYS);
    else if (bv->id == TV_SOFTCAP)
        args[0] = attn_arg_f32(0, BB_CAP);
    else if (bv->id == TV_DOCS)
        args[0] = attn_arg_pack(0, &toff);
    else
        nargs = 0;

    const int reps = L <= 2048 ? 5 : (L <= 4096 ? 3 : 1);
    double ta[5], tb[5];
    for (int r = 0; r < reps; r++) {
        double t0 = bb_now();
        attn_status st = attn_forward(tv_variant(bv->id), &tq, &tk, &tv, &to, NULL, args, nargs, NULL);
        ta[r] = bb_now() - t0;
        if (st != ATTN_OK) {
            fprintf(stderr, "attn_forward: %s\n", attn_last_error());
            exit(1);
        }
        t0 = bb_now();
        bb_attention(bv->kind, seg, BN_H, L, D, q, k, v, o2, S, threads);
        tb[r] = bb_now() - t0;
    }
    const double ma = bb_median(ta, reps), mb = bb_median(tb, reps);
    double maxdiff = 0;
    for (int64_t i = 0; i < n; i++)
        maxdiff = fmax(maxdiff, fabs((double)o1[i] - (double)o2[i]));
    double flops = 4.0 * BN_H * D * bb_pairs(bv->kind, seg, L);
    double gf = flops / ma * 1e-9, gb = flops / mb * 1e-9;
    printf("%-11s %4d %6d %10.2f %9.1f %10.2f %9.1f %7.2fx %6.0f%% %9.1e\n", bv->label, D, L,
           ma * 1e3, gf, mb * 1e3, gb, gf / gb, 100.0 * gf / peak, maxdiff);
    fflush(stdout);
    free(q), free(k), free(v), free(o1), free(o2), free(S), free(off), free(seg);
}

int main(int argc, char **argv) {
    int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    int headline = argc > 1 && strcmp(argv[1], "--headline") == 0;
    int threads = bb_threads();
    if (threads == 0)
        return 1;
    double peak = bb_peak(threads);
    printf("CPU attention forward, f32, B=1 H=%d, %d threads (ATTN_NUM_THREADS / online CPUs;\n"
           "OpenBLAS and the baseline softmax use the same count).\n"
           "GFLOP/s = 4*B*H*D*visible pairs / time (FlashAttention convention; masked variants\n"
           "count visible pairs only, for both columns). peak = %.0f GFLOP/s: a register-only\n"
           "loop of %d independent 16-lane FMA chains per thread, all threads at once, best\n"
           "of 5. The machine may be shared: rows time attn and baseline back to back.\n"
           "maxdiff = max |out - baseline out|.\n\n",
           BN_H, threads, peak, BB_PEAK_CHAINS);
    printf("%-11s %4s %6s %10s %9s %10s %9s %8s %7s %9s\n", "variant", "D", "Q=KV", "attn ms",
           "GFLOP/s", "blas ms", "GFLOP/s", "ratio", "%peak", "maxdiff");
    static const int32_t lens[] = {512, 2048, 4096, 8192};
    for (size_t vi = 0; vi < sizeof bn_variants / sizeof bn_variants[0]; vi++)
        for (int32_t D = 64; D <= 128; D *= 2)
            for (size_t li = 0; li < 4; li++) {
                int32_t L = lens[li];
                if (headline && !(D == 128 && L == 4096 && bn_variants[vi].id <= TV_CAUSAL))
                    continue;
                if (quick && L > 2048)
                    continue;
                bn_run(&bn_variants[vi], L, D, threads, peak);
            }
    return 0;
}
