/* blas_baseline.h - what the CPU attention benchmarks (bench_cpu_attention,
 * bench_variants) share: the OpenBLAS baseline, the masks it applies, the
 * fp32 FMA peak estimate, inputs and timing.
 *
 * The baseline materializes S = Q.K^T per head with OpenBLAS sgemm, applies
 * scale, score mod and mask and a row softmax (threaded over rows), and
 * multiplies by V with sgemm: what a framework without fused attention does.
 * Memory O(L^2) for S, which the caller provides. */
#ifndef BENCH_BLAS_BASELINE_H
#define BENCH_BLAS_BASELINE_H

#include <stdint.h>

/* The benchmarked variants, as the baseline computes them. */
typedef enum bb_kind {
    BB_NONE,    /* no mask */
    BB_CAUSAL,  /* kv <= q */
    BB_WINDOW,  /* kv <= q && q - kv <= BB_WINDOW_KEYS */
    BB_DOCS,    /* kv <= q && seg[q] == seg[kv] (packed causal documents) */
    BB_SOFTCAP, /* no mask, score = BB_CAP * tanh(score / BB_CAP) */
    BB_PACKED,  /* seg[q] == seg[kv] (packed documents, bidirectional) */
} bb_kind;

enum { BB_WINDOW_KEYS = 256 }; /* the window of BB_WINDOW */
#define BB_CAP 30.0f

/* Seconds on a monotonic clock. */
double bb_now(void);
/* Sorts t[0..n) and returns its median (n > 0). */
double bb_median(double *t, int n);

/* Thread count of the attn runtime's pool (ATTN_NUM_THREADS / online
 * CPUs); OpenBLAS is set to the same. 0 after printing an error. */
int bb_threads(void);

/* fp32 peak estimate in GFLOP/s: a register-only loop of BB_PEAK_CHAINS
 * independent 16-lane FMA chains per thread on `threads` threads at once,
 * best of 5 (other load on the machine only lowers it). */
enum { BB_PEAK_CHAINS = 12 };
double bb_peak(int threads);

/* n uniform floats in [-1, 1) from `seed` (malloc'ed; NULL when out of memory). */
float *bb_random(int64_t n, uint64_t seed);

/* Document offsets for L tokens whose lengths cycle 1000, 300, 2000, 700
 * (the last one cut at L): off[0] = 0 ... off[n-1] = L; returns n.
 * off needs L + 2 entries. */
int32_t bb_doc_offsets(int32_t L, int32_t *off);
/* seg[p] = the document of token p for offsets off[0..n). */
void bb_segments(const int32_t *off, int32_t n, int32_t *seg);

/* Whether query q sees key kv under kind (seg: the token's document). */
int bb_visible(bb_kind kind, const int32_t *seg, int32_t q, int32_t kv);
/* The visible (q, kv) pairs of an L x L problem (one head). */
double bb_pairs(bb_kind kind, const int32_t *seg, int32_t L);

/* out[h] = softmax(mask(score(Q K^T / sqrt(D)))) V for H heads of L x D
 * row-major f32 (q, k, v, out: H * L * D); S: L * L scratch floats. */
void bb_attention(bb_kind kind, const int32_t *seg, int32_t H, int32_t L, int32_t D,
                  const float *q, const float *k, const float *v, float *out, float *S,
                  int threads);

#endif
