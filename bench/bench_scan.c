/* bench_scan.c - the CPU selective scan (std.ssm selective_scan, JIT
 * compiled) against the memory-bandwidth bound measured in the same run, and
 * packed vs padded processing of short documents.
 *
 *   bench_scan SSM.attn [D]
 *
 * 1. B = 1, D (default 1536), N = 16, L in {4096, 16384}: median scan time
 *    vs a parallel STREAM-like copy moving the same bytes (reads u, delta,
 *    z, B, C; writes y), on as many threads (ATTN_NUM_THREADS or all CPUs).
 * 2. Documents with lengths uniform in [64, 2048] (256 of them, D = 256):
 *    packed into rows of 16384 positions (one launch per row, the row's
 *    documents as its pack) vs one row per document padded to 2048. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compiler.h"
#include "../tests/scan/scan_problem.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct CopyPart {
    const char *src;
    char *dst;
    size_t n;
} CopyPart;

static void *copy_part(void *arg)
{
    CopyPart *p = arg;
    memcpy(p->dst, p->src, p->n);
    return NULL;
}

/* Median seconds of copying `in` bytes into `out` bytes' worth of
 * destination (reads in, writes out) on nthreads threads. */
static double stream_copy(size_t in, size_t out, int nthreads, int iters)
{
    char *src = malloc(in), *dst = malloc(out > in ? out : in);
    memset(src, 1, in);
    memset(dst, 0, out > in ? out : in);
    double t[16];
    for (int it = 0; it < iters; it++) {
        pthread_t th[256];
        CopyPart parts[256];
        double t0 = now();
        for (int k = 0; k < nthreads; k++) {
            /* the reads of all inputs, the writes of the output */
            size_t lo = in * (size_t)k / (size_t)nthreads, hi = in * (size_t)(k + 1) / (size_t)nthreads;
            parts[k] = (CopyPart){src + lo, dst + (lo % (out ? out : 1)), (hi - lo) < out ? hi - lo : out};
            pthread_create(&th[k], NULL, copy_part, &parts[k]);
        }
        for (int k = 0; k < nthreads; k++)
            pthread_join(th[k], NULL);
        t[it] = now() - t0;
    }
    qsort(t, (size_t)iters, sizeof *t, cmp_double);
    free(src);
    free(dst);
    return t[iters / 2];
}

/* Median seconds of the compiled scan on problem p. */
static double time_scan(const ScanProblem *p, const ScanProgram *prog, int iters)
{
    double t[16];
    scan_problem_run(p, prog, 0, p->len, p->out, 0);
    for (int it = 0; it < iters; it++) {
        double t0 = now();
        if (scan_problem_run(p, prog, 0, p->len, p->out, 0) != ATTN_OK) {
            fprintf(stderr, "attn_scan: %s\n", attn_last_error());
            exit(1);
        }
        t[it] = now() - t0;
    }
    qsort(t, (size_t)iters, sizeof *t, cmp_double);
    return t[iters / 2];
}

/* dims of selective_scan in order of first appearance: B, D, L, N. */
static void problem(ScanProblem *p, const Decl *d, int32_t b, int32_t dm, int32_t len,
                    const int32_t *seg, int32_t nseg)
{
    int32_t dims[ATTN_MAX_VARIANT_DIMS] = {b, dm, len, 16};
    scan_problem_init(p, d, dims, seg, nseg, 1);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    int32_t dm = argc > 2 ? atoi(argv[2]) : 1536;
    Compilation c;
    compilation_init(&c, stderr);
    Module *m = compile_file(&c, argv[1]);
    Decl *d = m ? module_find(m, "selective_scan") : NULL;
    ScanProgram prog;
    char err[CG_ERR_LEN];
    if (!d || c.diags.errors || !run_scan_program(&c.arena, d, &prog, err)) {
        fprintf(stderr, "bench_scan: cannot compile selective_scan: %s\n", d ? err : "not found");
        return 1;
    }
    attn_pool *pool;
    attn_pool_create(0, &pool);
    int nthreads = attn_pool_size(pool);
    attn_pool_destroy(pool);
    printf("threads: %d\n", nthreads);
    for (int32_t len = 4096; len <= 16384; len *= 4) {
        ScanProblem p;
        problem(&p, d, 1, dm, len, &len, 1);
        double ts = time_scan(&p, &prog, 5);
        size_t in = (size_t)dm * (size_t)len * 3 * 4 + (size_t)16 * (size_t)len * 2 * 4;
        size_t out = (size_t)dm * (size_t)len * 4;
        double tc = stream_copy(in, out, nthreads, 5);
        printf("selective_scan B=1 D=%d N=16 L=%d: %.2f ms, %.1f GB/s; copy bound %.2f ms "
               "(%.1f GB/s): %.0f%% of the bound\n",
               (int)dm, (int)len, 1e3 * ts, (double)(in + out) / ts * 1e-9, 1e3 * tc,
               (double)(in + out) / tc * 1e-9, 100.0 * tc / ts);
        scan_problem_free(&p);
    }
    /* packed vs padded */
    enum { NDOCS = 256, ROW = 16384, MAXLEN = 2048, DPACK = 256 };
    int32_t lens[NDOCS], total = 0;
    srand(7);
    for (int i = 0; i < NDOCS; i++)
        total += lens[i] = 64 + rand() % (MAXLEN - 64 + 1);
    double packed = 0;
    for (int i = 0; i < NDOCS;) {
        int32_t seg[NDOCS], n = 0, used = 0;
        while (i < NDOCS && used + lens[i] <= ROW) {
            used += lens[i];
            seg[n++] = lens[i++];
        }
        ScanProblem p;
        problem(&p, d, 1, DPACK, used, seg, n);
        packed += time_scan(&p, &prog, 3);
        scan_problem_free(&p);
    }
    int32_t one = MAXLEN;
    ScanProblem p;
    problem(&p, d, NDOCS, DPACK, MAXLEN, &one, 1);
    double padded = time_scan(&p, &prog, 3);
    scan_problem_free(&p);
    printf("%d documents (%d tokens), D=%d: packed %.2f ms, padded %.2f ms: packed %.2fx faster\n",
           NDOCS, (int)total, DPACK, 1e3 * packed, 1e3 * padded, padded / packed);
    run_scan_program_free(&prog);
    diag_finish(&c.diags);
    compilation_free(&c);
    return 0;
}
