/* bench_scan.c - the CPU selective scan (std.ssm selective_scan, JIT
 * compiled) against the memory-bandwidth bound measured in the same run, and
 * packed vs padded processing of short documents.
 *
 *   bench_scan SSM.attn [D]
 *
 * 1. B = 1, D (default 1536), N = 16, L in {4096, 16384}: median scan time
 *    vs a STREAM-like kernel moving the same bytes the same way (reads u,
 *    delta, z, B, C once each; writes y once), on as many threads
 *    (ATTN_NUM_THREADS or all CPUs). The fraction printed is bound / scan,
 *    in wall time and in CPU time (all threads; steadier than wall time on
 *    a machine other work keeps busy).
 * 2. Documents with lengths uniform in [64, 2048] (256 of them, D = 256):
 *    packed into rows of 16384 positions (one launch per row, the row's
 *    documents as its pack) vs one row per document padded to 2048. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "compiler.h"
#include "run_common.h"
#include "../tests/scan/scan_problem.h"

/* Median wall and process CPU (all threads) seconds of a timed region. */
typedef struct Times {
    double wall, cpu;
} Times;

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Medians of iters samples of wall[] and cpu[] (reorders them). */
static Times times_median(double *wall, double *cpu, int iters)
{
    return (Times){run_median(wall, iters), run_median(cpu, iters)};
}

/* One thread's share of the bandwidth-bound kernel. */
typedef struct StreamPart {
    const float *u, *dl, *z, *bs, *cs;
    float *y;
    size_t n, nbc; /* elements of u/dl/z/y, of bs/cs */
} StreamPart;

static void *stream_part(void *arg)
{
    StreamPart *p = arg;
    float bc = 0;
    for (size_t i = 0; i < p->nbc; i++)
        bc += p->bs[i] + p->cs[i];
    for (size_t i = 0; i < p->n; i++)
        p->y[i] = p->u[i] + p->dl[i] + p->z[i] + bc;
    return NULL;
}

/* Median times of the memory-bandwidth bound of the selective scan: a
 * kernel that reads exactly what the scan reads (u, delta, z: D*L floats
 * each; Bs, Cs: N*L each) once and writes what it writes (y: D*L), split
 * over nthreads threads like the scan's rows. */
static Times stream_bound(size_t dl, size_t nl, int nthreads, int iters)
{
    float *buf = malloc((4 * dl + 2 * nl) * sizeof *buf);
    for (size_t i = 0; i < 4 * dl + 2 * nl; i++)
        buf[i] = 1.0f;
    const float *u = buf, *dlt = buf + dl, *z = buf + 2 * dl, *bs = buf + 3 * dl, *cs = bs + nl;
    float *y = buf + 3 * dl + 2 * nl;
    double t[16], c[16];
    for (int it = 0; it < iters; it++) {
        pthread_t th[256];
        StreamPart parts[256];
        double t0 = run_now(), c0 = cpu_now();
        for (int k = 0; k < nthreads; k++) {
            size_t lo = dl * (size_t)k / (size_t)nthreads, hi = dl * (size_t)(k + 1) / (size_t)nthreads;
            size_t blo = nl * (size_t)k / (size_t)nthreads, bhi = nl * (size_t)(k + 1) / (size_t)nthreads;
            parts[k] = (StreamPart){u + lo, dlt + lo, z + lo, bs + blo, cs + blo, y + lo, hi - lo, bhi - blo};
            pthread_create(&th[k], NULL, stream_part, &parts[k]);
        }
        for (int k = 0; k < nthreads; k++)
            pthread_join(th[k], NULL);
        t[it] = run_now() - t0;
        c[it] = cpu_now() - c0;
    }
    free(buf);
    return times_median(t, c, iters);
}

/* Median times of the compiled scan on problem p. */
static Times time_scan(const ScanProblem *p, const ScanProgram *prog, int iters)
{
    double t[16], c[16];
    scan_problem_run(p, prog, 0, p->len, p->out, 0);
    for (int it = 0; it < iters; it++) {
        double t0 = run_now(), c0 = cpu_now();
        if (scan_problem_run(p, prog, 0, p->len, p->out, 0) != ATTN_OK) {
            fprintf(stderr, "attn_scan: %s\n", attn_last_error());
            exit(1);
        }
        t[it] = run_now() - t0;
        c[it] = cpu_now() - c0;
    }
    return times_median(t, c, iters);
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
        Times ts = time_scan(&p, &prog, 5);
        size_t in = (size_t)dm * (size_t)len * 3 * 4 + (size_t)16 * (size_t)len * 2 * 4;
        size_t out = (size_t)dm * (size_t)len * 4;
        Times tc = stream_bound((size_t)dm * (size_t)len, (size_t)16 * (size_t)len, nthreads, 5);
        printf("selective_scan B=1 D=%d N=16 L=%d: %.2f ms, %.1f GB/s; bandwidth bound %.2f ms "
               "(%.1f GB/s): %.0f%% of the bound; CPU time %.2f ms vs %.2f ms: %.0f%%\n",
               (int)dm, (int)len, 1e3 * ts.wall, (double)(in + out) / ts.wall * 1e-9, 1e3 * tc.wall,
               (double)(in + out) / tc.wall * 1e-9, 100.0 * tc.wall / ts.wall, 1e3 * ts.cpu, 1e3 * tc.cpu,
               100.0 * tc.cpu / ts.cpu);
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
        packed += time_scan(&p, &prog, 3).wall;
        scan_problem_free(&p);
    }
    int32_t one = MAXLEN;
    ScanProblem p;
    problem(&p, d, NDOCS, DPACK, MAXLEN, &one, 1);
    double padded = time_scan(&p, &prog, 3).wall;
    scan_problem_free(&p);
    printf("%d documents (%d tokens), D=%d: packed %.2f ms, padded %.2f ms: packed %.2fx faster\n",
           NDOCS, (int)total, DPACK, 1e3 * packed, 1e3 * padded, padded / packed);
    run_scan_program_free(&prog);
    diag_finish(&c.diags);
    compilation_free(&c);
    return 0;
}
