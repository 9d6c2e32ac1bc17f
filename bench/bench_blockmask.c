/* bench_blockmask.c - the cost of knowing which blocks a mask visits, at
 * Q = KV in {8k, 32k, 128k}, for causal, sliding windows (w = 256, 1024)
 * and packed documents (causal within documents of 1k..8k keys), with
 * blocks of ATTN_CPU_BLOCK_Q x ATTN_CPU_BLOCK_KV:
 *
 *   analytic   attn_hook_kv_ranges per query block, written in C as
 *              lower_ranges*.c generates them: O(Q / BLOCK) time and memory;
 *   brute      every (q, kv) evaluated, one thread, reduced to block
 *              classes (what FlexAttention's create_block_mask does);
 *   fallback   attn_block_mask_build_ctx on the mask alone (no key ranges),
 *              all pool threads, early exit per block.
 *
 * Ratios: brute / analytic, fallback / (brute / threads) (the target is
 * <= 2), and the fallback on one thread / brute (its per-element cost: the
 * parallel ratio also depends on how idle the machine's cores are). At 128k the brute-force time is measured on every 16th query block
 * and scaled (marked *). Usage: bench_blockmask [max_len] (default 131072). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "attn_blockmask.h"

typedef struct bench_docs {
    int32_t *seg_of, *start;
} bench_docs;

static int32_t g_window;
static bench_docs g_docs;

static int32_t mask_causal(int32_t b, int32_t h, int32_t q, int32_t kv, const attn_ctx *c) {
    return kv <= q;
}
static int32_t mask_window(int32_t b, int32_t h, int32_t q, int32_t kv, const attn_ctx *c) {
    return kv <= q && q - kv <= g_window;
}
static int32_t mask_docs(int32_t b, int32_t h, int32_t q, int32_t kv, const attn_ctx *c) {
    return g_docs.seg_of[q] == g_docs.seg_of[kv] && kv <= q;
}

/* Appends [lo, hi) clipped to [0, n) when non-empty. */
static void add_range(attn_kv_range *out, int32_t *k, int32_t lo, int32_t hi, int32_t full,
                      int32_t n) {
    lo = lo < 0 ? 0 : lo;
    hi = hi > n ? n : hi;
    if (lo < hi)
        out[(*k)++] = (attn_kv_range){lo, hi, full};
}

/* kv <= q: [0, q0] full, (q0, q1) partial. */
static int32_t ranges_causal(int32_t b, int32_t h, int32_t q0, int32_t q1, const attn_ctx *c,
                             attn_kv_range *out) {
    int32_t k = 0, n = c->dims[ATTN_DIM_KV];
    add_range(out, &k, 0, q0 + 1, 1, n);
    add_range(out, &k, q0 + 1, q1, 0, n);
    return k;
}

/* q - w <= kv <= q: full [q1 - 1 - w, q0], partial around it. */
static int32_t ranges_window(int32_t b, int32_t h, int32_t q0, int32_t q1, const attn_ctx *c,
                             attn_kv_range *out) {
    int32_t k = 0, n = c->dims[ATTN_DIM_KV], flo = q1 - 1 - g_window, fhi = q0 + 1;
    if (flo < fhi) {
        add_range(out, &k, q0 - g_window, flo, 0, n);
        add_range(out, &k, flo, fhi, 1, n);
        add_range(out, &k, fhi, q1, 0, n);
    } else {
        add_range(out, &k, q0 - g_window, q1, 0, n);
    }
    return k;
}

/* Causal within documents: from q0's document start; [start, q0] full
 * when the block lies in one document. */
static int32_t ranges_docs(int32_t b, int32_t h, int32_t q0, int32_t q1, const attn_ctx *c,
                           attn_kv_range *out) {
    int32_t k = 0, n = c->dims[ATTN_DIM_KV], start = g_docs.start[g_docs.seg_of[q0]];
    if (g_docs.seg_of[q0] == g_docs.seg_of[q1 - 1]) {
        add_range(out, &k, start, q0 + 1, 1, n);
        add_range(out, &k, q0 + 1, q1, 0, n);
    } else {
        add_range(out, &k, start, q1, 0, n);
    }
    return k;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Analytic: key ranges of every query block into an [nqb][MAX] table;
 * repeated until 20 ms have passed. Returns seconds per build. */
static double bench_analytic(attn_kv_ranges_fn fn, const attn_ctx *ctx, int64_t *bytes) {
    int32_t nq = ctx->dims[ATTN_DIM_Q], nqb = (nq + ATTN_CPU_BLOCK_Q - 1) / ATTN_CPU_BLOCK_Q;
    *bytes = (int64_t)nqb * (ATTN_MAX_KV_RANGES * (int64_t)sizeof(attn_kv_range) + 4);
    attn_kv_range *r = malloc((size_t)nqb * ATTN_MAX_KV_RANGES * sizeof *r);
    int32_t *count = malloc((size_t)nqb * sizeof *count);
    int reps = 0;
    double t0 = now(), t;
    do {
        for (int32_t qb = 0; qb < nqb; qb++) {
            int32_t q0 = qb * ATTN_CPU_BLOCK_Q;
            int32_t q1 = nq - q0 < ATTN_CPU_BLOCK_Q ? nq : q0 + ATTN_CPU_BLOCK_Q;
            count[qb] = fn(0, 0, q0, q1, ctx, r + (int64_t)qb * ATTN_MAX_KV_RANGES);
        }
        reps++;
        t = now() - t0;
    } while (t < 0.02);
    volatile int32_t sink = count[nqb - 1];
    (void)sink;
    free(r);
    free(count);
    return t / reps;
}

/* Brute force over query blocks qb = 0, stride, 2 * stride, ...: every
 * element evaluated, classes into a byte table. Returns seconds scaled to
 * all query blocks. */
static double bench_brute(attn_mask_fn mask, const attn_ctx *ctx, int32_t stride, int64_t *bytes) {
    const int32_t nq = ctx->dims[ATTN_DIM_Q], nkv = ctx->dims[ATTN_DIM_KV];
    const int32_t nqb = (nq + ATTN_CPU_BLOCK_Q - 1) / ATTN_CPU_BLOCK_Q;
    const int32_t nkvb = (nkv + ATTN_CPU_BLOCK_KV - 1) / ATTN_CPU_BLOCK_KV;
    *bytes = (int64_t)nqb * nkvb;
    unsigned char *cls = malloc((size_t)*bytes);
    int32_t done = 0;
    double t0 = now();
    for (int32_t qb = 0; qb < nqb; qb += stride, done++)
        for (int32_t kb = 0; kb < nkvb; kb++) {
            int32_t vis = 0, inv = 0;
            int32_t q1 = (qb + 1) * ATTN_CPU_BLOCK_Q, k1 = (kb + 1) * ATTN_CPU_BLOCK_KV;
            for (int32_t q = qb * ATTN_CPU_BLOCK_Q; q < q1 && q < nq; q++)
                for (int32_t kv = kb * ATTN_CPU_BLOCK_KV; kv < k1 && kv < nkv; kv++) {
                    int32_t v = mask(0, 0, q, kv, ctx) != 0;
                    vis |= v;
                    inv |= !v;
                }
            cls[(int64_t)qb * nkvb + kb] = (unsigned char)(vis + (vis && !inv));
        }
    double t = (now() - t0) * nqb / done;
    volatile unsigned char sink = cls[0];
    (void)sink;
    free(cls);
    return t;
}

static double bench_fallback(attn_mask_fn mask, const attn_ctx *ctx, attn_pool *pool,
                             int32_t threads, int64_t *bytes, double *visible) {
    attn_block_mask_opts o = {.pool = pool, .num_threads = threads, .independent_of_b = 1,
                              .independent_of_h = 1};
    attn_block_mask *m = NULL;
    double t0 = now();
    if (attn_block_mask_build_ctx(mask, ctx, &o, &m) != ATTN_OK) {
        fprintf(stderr, "block mask: %s\n", attn_last_error());
        exit(1);
    }
    double t = now() - t0;
    *bytes = attn_block_mask_bytes(m);
    *visible = attn_block_mask_sparsity(m).visible_fraction;
    attn_block_mask_free(m);
    return t;
}

/* Documents of 1024..8191 keys (fixed seed) covering [0, n). */
static void make_docs(int32_t n) {
    g_docs.seg_of = malloc((size_t)n * sizeof(int32_t));
    g_docs.start = malloc((size_t)n * sizeof(int32_t));
    uint64_t s = 42;
    for (int32_t pos = 0, id = 0; pos < n; id++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        int32_t len = 1024 + (int32_t)((s >> 33) % 7168);
        g_docs.start[id] = pos;
        for (int32_t i = 0; i < len && pos < n; i++)
            g_docs.seg_of[pos++] = id;
    }
}

static void print_bytes(int64_t b) {
    if (b >= (1 << 20))
        printf(" %8.1fM", (double)b / (1 << 20));
    else
        printf(" %8.1fK", (double)b / 1024);
}

int main(int argc, char **argv) {
    int32_t max_len = argc > 1 ? atoi(argv[1]) : 131072;
    attn_pool *pool = NULL;
    if (attn_pool_create(0, &pool) != ATTN_OK) {
        fprintf(stderr, "pool: %s\n", attn_last_error());
        return 1;
    }
    int32_t threads = attn_pool_size(pool);
    make_docs(max_len > 0 ? max_len : 1);
    static const struct {
        const char *name;
        attn_mask_fn mask;
        attn_kv_ranges_fn ranges;
        int32_t window;
    } masks[] = {{"causal", mask_causal, ranges_causal, 0},
                 {"window256", mask_window, ranges_window, 256},
                 {"window1024", mask_window, ranges_window, 1024},
                 {"documents", mask_docs, ranges_docs, 0}};
    printf("blocks %dx%d, %d threads; times in ms, memory of each result\n", ATTN_CPU_BLOCK_Q,
           ATTN_CPU_BLOCK_KV, threads);
    printf("%-11s %7s %10s %9s %11s %9s %11s %9s %8s %11s %10s %9s\n", "mask", "Q=KV",
           "analytic", "mem", "brute", "mem", "fallback", "mem", "visible", "brute/anal",
           "fb/(br/T)", "fb1/br");
    for (int32_t n = 8192; n <= max_len; n *= 4)
        for (int i = 0; i < 4; i++) {
            g_window = masks[i].window;
            attn_ctx ctx = {.dims = {1, 1, 1, n, n, 64, 64}};
            int64_t ab, bb, fb;
            double vis;
            int32_t stride = n > 32768 ? 16 : 1;
            double ta = bench_analytic(masks[i].ranges, &ctx, &ab);
            double tb = bench_brute(masks[i].mask, &ctx, stride, &bb);
            double tf = bench_fallback(masks[i].mask, &ctx, pool, 0, &fb, &vis);
            double t1 = stride > 1 ? 0.0 : bench_fallback(masks[i].mask, &ctx, pool, 1, &fb, &vis);
            printf("%-11s %7d %10.4f", masks[i].name, n, ta * 1e3);
            print_bytes(ab);
            printf(" %10.1f%s", tb * 1e3, stride > 1 ? "*" : " ");
            print_bytes(bb);
            printf(" %11.1f", tf * 1e3);
            print_bytes(fb);
            printf(" %7.1f%% %10.0fx %10.2f", 100 * vis, tb / ta, tf / (tb / threads));
            if (stride > 1)
                printf(" %9s\n", "-");
            else
                printf(" %9.2f\n", t1 / tb);
        }
    printf("* brute force measured on every 16th query block and scaled (fb1/br not run)\n");
    attn_pool_destroy(pool);
    free(g_docs.seg_of);
    free(g_docs.start);
    return 0;
}
