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
#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cpu_vec.h"
#include "test_variants.h"

void openblas_set_num_threads(int n);

enum { BN_H = 8, BN_WINDOW = 256 };
static const float bn_cap = 30.0f;

static double bn_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- peak estimate -------------------------------------------------- */

#define BN_ACC 12
static void *bn_fma_thread(void *arg) {
    double *gflops = arg;
    cpu_v16 acc[BN_ACC];
    for (int i = 0; i < BN_ACC; i++)
        acc[i] = CPU_SPLAT(1.0f + (float)i * 1e-3f);
    cpu_v16 a = CPU_SPLAT(0.999999f), b = CPU_SPLAT(1e-7f);
    const long iters = 10000000;
    double t0 = bn_now();
    for (long it = 0; it < iters; it++) {
        for (int i = 0; i < BN_ACC; i++)
            acc[i] = acc[i] * a + b;
        __asm__ volatile("" : "+x"(a)); /* keeps the loop from being folded */
    }
    double t = bn_now() - t0;
    float sink = 0;
    for (int i = 0; i < BN_ACC; i++)
        sink += acc[i][0];
    *gflops = sink == 12345.0f ? 0 : 2.0 * CPU_VEC * BN_ACC * (double)iters / t * 1e-9;
    return NULL;
}

/* Runs the FMA loop on `threads` threads at once; returns the total GFLOP/s. */
static double bn_peak(int threads) {
    double best = 0;
    for (int rep = 0; rep < 5; rep++) { /* best of 5: other load only lowers it */
        pthread_t th[64];
        double g[64] = {0}, total = 0;
        for (int i = 0; i < threads; i++)
            pthread_create(&th[i], NULL, bn_fma_thread, &g[i]);
        for (int i = 0; i < threads; i++) {
            pthread_join(th[i], NULL);
            total += g[i];
        }
        best = total > best ? total : best;
    }
    return best;
}

/* ---- variants ------------------------------------------------------- */

typedef struct bn_variant {
    tv_id id;
    const char *label;
} bn_variant;

static const bn_variant bn_variants[] = {
    {TV_NONE, "no mask"},   {TV_CAUSAL, "causal"},   {TV_WINDOW, "window 256"},
    {TV_DOCS, "documents"}, {TV_SOFTCAP, "softcap 30"},
};

/* Document offsets for the packed variant: lengths cycle 1000, 300, 2000, 700. */
static int32_t bn_doc_offsets(int32_t L, int32_t *off) {
    static const int32_t lens[] = {1000, 300, 2000, 700};
    int32_t n = 0, pos = 0;
    off[n++] = 0;
    for (int i = 0; pos < L; i++) {
        pos = pos + lens[i % 4] < L ? pos + lens[i % 4] : L;
        off[n++] = pos;
    }
    return n;
}

static int bn_visible(tv_id v, const int32_t *seg, int32_t q, int32_t kv) {
    switch (v) {
    case TV_CAUSAL: return kv <= q;
    case TV_WINDOW: return kv <= q && q - kv <= BN_WINDOW;
    case TV_DOCS: return kv <= q && seg[q] == seg[kv];
    default: return 1;
    }
}

static double bn_pairs(tv_id v, const int32_t *seg, int32_t L) {
    double n = 0;
    for (int32_t q = 0; q < L; q++)
        for (int32_t kv = 0; kv < L; kv++)
            n += bn_visible(v, seg, q, kv);
    return n;
}

/* ---- baseline ------------------------------------------------------- */

typedef struct bn_softmax_job {
    float *S;
    int32_t L, row0, row1;
    tv_id v;
    const int32_t *seg;
    float scale;
} bn_softmax_job;

/* Rows [row0, row1) of S: scale, score mod, mask, softmax (normalized). */
static void *bn_softmax_rows(void *arg) {
    const bn_softmax_job *j = arg;
    for (int32_t q = j->row0; q < j->row1; q++) {
        float *s = j->S + (int64_t)q * j->L;
        float m = -INFINITY;
        for (int32_t kv = 0; kv < j->L; kv++) {
            float x = s[kv] * j->scale;
            if (j->v == TV_SOFTCAP)
                x = bn_cap * tanhf(x / bn_cap);
            s[kv] = bn_visible(j->v, j->seg, q, kv) ? x : -INFINITY;
            m = s[kv] > m ? s[kv] : m;
        }
        float l = 0;
        for (int32_t kv = 0; kv < j->L; kv++) {
            s[kv] = expf(s[kv] - m);
            l += s[kv];
        }
        for (int32_t kv = 0; kv < j->L; kv++)
            s[kv] /= l;
    }
    return NULL;
}

/* out[h] = softmax(mask(score(Q K^T * scale))) V for every head; S is L*L scratch. */
static void bn_baseline(tv_id v, const int32_t *seg, int32_t L, int32_t D, const float *q,
                        const float *k, const float *val, float *out, float *S, int threads) {
    const float scale = 1.0f / sqrtf((float)D);
    for (int32_t h = 0; h < BN_H; h++) {
        const int64_t off = (int64_t)h * L * D;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, L, L, D, 1.0f, q + off, D, k + off, D,
                    0.0f, S, L);
        pthread_t th[64];
        bn_softmax_job jobs[64];
        for (int t = 0; t < threads; t++) {
            jobs[t] = (bn_softmax_job){S, L, L * t / threads, L * (t + 1) / threads, v, seg, scale};
            pthread_create(&th[t], NULL, bn_softmax_rows, &jobs[t]);
        }
        for (int t = 0; t < threads; t++)
            pthread_join(th[t], NULL);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, L, D, L, 1.0f, S, L, val + off, D,
                    0.0f, out + off, D);
    }
}

/* ---- one configuration ---------------------------------------------- */

static float *bn_random(int64_t n, uint64_t seed) {
    float *x = malloc((size_t)n * sizeof *x);
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (int64_t i = 0; x && i < n; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = (float)((double)(s >> 11) / 9007199254740992.0 * 2.0 - 1.0);
    }
    return x;
}

static DLTensor bn_tensor(float *data, int64_t *shape) {
    DLTensor t = {data, {kDLCPU, 0}, 4, {kDLFloat, 32, 1}, shape, NULL, 0};
    return t;
}

static int bn_cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Times one variant at sequence length L, head dim D; prints a table row. */
static void bn_run(const bn_variant *bv, int32_t L, int32_t D, int threads, double peak) {
    const int64_t n = (int64_t)BN_H * L * D;
    float *q = bn_random(n, 1), *k = bn_random(n, 2), *v = bn_random(n, 3);
    float *o1 = malloc((size_t)n * sizeof *o1), *o2 = malloc((size_t)n * sizeof *o2);
    float *S = malloc((size_t)L * (size_t)L * sizeof *S);
    int32_t *off = malloc(((size_t)L + 2) * sizeof *off), *seg = malloc((size_t)L * sizeof *seg);
    if (!q || !k || !v || !o1 || !o2 || !S || !off || !seg) {
        fprintf(stderr, "out of memory at L=%d\n", L);
        exit(1);
    }
    int32_t noff = bn_doc_offsets(L, off);
    for (int32_t i = 0; i + 1 < noff; i++)
        for (int32_t p = off[i]; p < off[i + 1]; p++)
            seg[p] = i;
    int64_t shape[4] = {1, BN_H, L, D}, oshape[1] = {noff};
    DLTensor tq = bn_tensor(q, shape), tk = bn_tensor(k, shape), tv = bn_tensor(v, shape),
             to = bn_tensor(o1, shape);
    DLTensor toff = {off, {kDLCPU, 0}, 1, {kDLInt, 32, 1}, oshape, NULL, 0};
    attn_arg args[1];
    int nargs = 1;
    if (bv->id == TV_WINDOW)
        args[0] = attn_arg_i32(0, BN_WINDOW);
    else if (bv->id == TV_SOFTCAP)
        args[0] = attn_arg_f32(0, bn_cap);
    else if (bv->id == TV_DOCS)
        args[0] = attn_arg_pack(0, &toff);
    else
        nargs = 0;

    const int reps = L <= 2048 ? 5 : (L <= 4096 ? 3 : 1);
    double ta[5], tb[5];
    for (int r = 0; r < reps; r++) {
        double t0 = bn_now();
        attn_status st = attn_forward(tv_variant(bv->id), &tq, &tk, &tv, &to, NULL, args, nargs, NULL);
        ta[r] = bn_now() - t0;
        if (st != ATTN_OK) {
            fprintf(stderr, "attn_forward: %s\n", attn_last_error());
            exit(1);
        }
        t0 = bn_now();
        bn_baseline(bv->id, seg, L, D, q, k, v, o2, S, threads);
        tb[r] = bn_now() - t0;
    }
    qsort(ta, (size_t)reps, sizeof ta[0], bn_cmp);
    qsort(tb, (size_t)reps, sizeof tb[0], bn_cmp);
    double maxdiff = 0;
    for (int64_t i = 0; i < n; i++)
        maxdiff = fmax(maxdiff, fabs((double)o1[i] - (double)o2[i]));
    double flops = 4.0 * BN_H * D * bn_pairs(bv->id, seg, L);
    double gf = flops / ta[reps / 2] * 1e-9, gb = flops / tb[reps / 2] * 1e-9;
    printf("%-11s %4d %6d %10.2f %9.1f %10.2f %9.1f %7.2fx %6.0f%% %9.1e\n", bv->label, D, L,
           ta[reps / 2] * 1e3, gf, tb[reps / 2] * 1e3, gb, gf / gb, 100.0 * gf / peak, maxdiff);
    fflush(stdout);
    free(q), free(k), free(v), free(o1), free(o2), free(S), free(off), free(seg);
}

int main(int argc, char **argv) {
    int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    int headline = argc > 1 && strcmp(argv[1], "--headline") == 0;
    attn_pool *pool = NULL;
    if (attn_pool_create(0, &pool) != ATTN_OK) {
        fprintf(stderr, "%s\n", attn_last_error());
        return 1;
    }
    int threads = attn_pool_size(pool);
    attn_pool_destroy(pool);
    openblas_set_num_threads(threads);
    double peak = bn_peak(threads);
    printf("CPU attention forward, f32, B=1 H=%d, %d threads (ATTN_NUM_THREADS / online CPUs;\n"
           "OpenBLAS and the baseline softmax use the same count).\n"
           "GFLOP/s = 4*B*H*D*visible pairs / time (FlashAttention convention; masked variants\n"
           "count visible pairs only, for both columns). peak = %.0f GFLOP/s: a register-only\n"
           "loop of %d independent 16-lane FMA chains per thread, all threads at once, best\n"
           "of 5. The machine may be shared: rows time attn and baseline back to back.\n"
           "maxdiff = max |out - baseline out|.\n\n",
           BN_H, threads, peak, BN_ACC);
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
