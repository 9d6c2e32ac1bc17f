/* blas_baseline.c - the OpenBLAS attention baseline and the helpers the CPU
 * attention benchmarks share (blas_baseline.h). */
#include "blas_baseline.h"

#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "attn.h"
#include "cpu_vec.h"

void openblas_set_num_threads(int n);

double bb_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int bb_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double bb_median(double *t, int n)
{
    qsort(t, (size_t)n, sizeof t[0], bb_cmp);
    return t[n / 2];
}

int bb_threads(void)
{
    attn_pool *pool = NULL;
    if (attn_pool_create(0, &pool) != ATTN_OK) {
        fprintf(stderr, "%s\n", attn_last_error());
        return 0;
    }
    int threads = attn_pool_size(pool);
    attn_pool_destroy(pool);
    openblas_set_num_threads(threads);
    return threads;
}

/* ---- peak estimate -------------------------------------------------- */

static void *bb_fma_thread(void *arg)
{
    double *gflops = arg;
    cpu_v16 acc[BB_PEAK_CHAINS];
    for (int i = 0; i < BB_PEAK_CHAINS; i++)
        acc[i] = CPU_SPLAT(1.0f + (float)i * 1e-3f);
    cpu_v16 a = CPU_SPLAT(0.999999f), b = CPU_SPLAT(1e-7f);
    const long iters = 10000000;
    double t0 = bb_now();
    for (long it = 0; it < iters; it++) {
        for (int i = 0; i < BB_PEAK_CHAINS; i++)
            acc[i] = acc[i] * a + b;
        __asm__ volatile("" : "+x"(a)); /* keeps the loop from being folded */
    }
    double t = bb_now() - t0;
    float sink = 0;
    for (int i = 0; i < BB_PEAK_CHAINS; i++)
        sink += acc[i][0];
    *gflops = sink == 12345.0f ? 0 : 2.0 * CPU_VEC * BB_PEAK_CHAINS * (double)iters / t * 1e-9;
    return NULL;
}

double bb_peak(int threads)
{
    double best = 0;
    for (int rep = 0; rep < 5; rep++) {
        pthread_t th[64];
        double g[64] = {0}, total = 0;
        for (int i = 0; i < threads && i < 64; i++)
            pthread_create(&th[i], NULL, bb_fma_thread, &g[i]);
        for (int i = 0; i < threads && i < 64; i++) {
            pthread_join(th[i], NULL);
            total += g[i];
        }
        best = total > best ? total : best;
    }
    return best;
}

/* ---- inputs and masks ----------------------------------------------- */

float *bb_random(int64_t n, uint64_t seed)
{
    float *x = malloc((size_t)n * sizeof *x);
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (int64_t i = 0; x && i < n; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = (float)((double)(s >> 11) / 9007199254740992.0 * 2.0 - 1.0);
    }
    return x;
}

int32_t bb_doc_offsets(int32_t L, int32_t *off)
{
    static const int32_t lens[] = {1000, 300, 2000, 700};
    int32_t n = 0, pos = 0;
    off[n++] = 0;
    for (int i = 0; pos < L; i++) {
        pos = pos + lens[i % 4] < L ? pos + lens[i % 4] : L;
        off[n++] = pos;
    }
    return n;
}

void bb_segments(const int32_t *off, int32_t n, int32_t *seg)
{
    for (int32_t i = 0; i + 1 < n; i++)
        for (int32_t p = off[i]; p < off[i + 1]; p++)
            seg[p] = i;
}

int bb_visible(bb_kind kind, const int32_t *seg, int32_t q, int32_t kv)
{
    switch (kind) {
    case BB_CAUSAL: return kv <= q;
    case BB_WINDOW: return kv <= q && q - kv <= BB_WINDOW_KEYS;
    case BB_DOCS: return kv <= q && seg[q] == seg[kv];
    case BB_PACKED: return seg[q] == seg[kv];
    default: return 1;
    }
}

double bb_pairs(bb_kind kind, const int32_t *seg, int32_t L)
{
    double n = 0;
    for (int32_t q = 0; q < L; q++)
        for (int32_t kv = 0; kv < L; kv++)
            n += bb_visible(kind, seg, q, kv);
    return n;
}

/* ---- baseline ------------------------------------------------------- */

typedef struct bb_softmax_job {
    float *S;
    int32_t L, row0, row1;
    bb_kind kind;
    const int32_t *seg;
    float scale;
} bb_softmax_job;

/* Rows [row0, row1) of S: scale, score mod, mask, softmax (normalized). */
static void *bb_softmax_rows(void *arg)
{
    const bb_softmax_job *j = arg;
    for (int32_t q = j->row0; q < j->row1; q++) {
        float *s = j->S + (int64_t)q * j->L;
        float m = -INFINITY;
        for (int32_t kv = 0; kv < j->L; kv++) {
            float x = s[kv] * j->scale;
            if (j->kind == BB_SOFTCAP)
                x = BB_CAP * tanhf(x / BB_CAP);
            s[kv] = bb_visible(j->kind, j->seg, q, kv) ? x : -INFINITY;
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

void bb_attention(bb_kind kind, const int32_t *seg, int32_t H, int32_t L, int32_t D,
                  const float *q, const float *k, const float *v, float *out, float *S,
                  int threads)
{
    const float scale = 1.0f / sqrtf((float)D);
    threads = threads < 1 ? 1 : threads > 64 ? 64 : threads;
    for (int32_t h = 0; h < H; h++) {
        const int64_t off = (int64_t)h * L * D;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, L, L, D, 1.0f, q + off, D, k + off, D,
                    0.0f, S, L);
        pthread_t th[64];
        bb_softmax_job jobs[64];
        for (int t = 0; t < threads; t++) {
            jobs[t] = (bb_softmax_job){S, L, L * t / threads, L * (t + 1) / threads, kind, seg, scale};
            pthread_create(&th[t], NULL, bb_softmax_rows, &jobs[t]);
        }
        for (int t = 0; t < threads; t++)
            pthread_join(th[t], NULL);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, L, D, L, 1.0f, S, L, v + off, D,
                    0.0f, out + off, D);
    }
}
