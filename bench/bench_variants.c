/* bench_variants.c - attnc-compiled attention variants on the CPU against
 * the OpenBLAS baseline (blas_baseline.h), in one process.
 *
 *   bench_variants [--quick] [--csv] [FILE.attn]
 *
 * The variants of FILE (default bench/bench_variants.attn) are compiled the
 * way `attnc run` compiles them: front end, lowering, the CPU template
 * linked with the hooks, O3, ORC JIT for the host (run_attn_program), and
 * launched with attn_forward. f32, B = 1, H = 8.
 *
 *  1. Skipping masked work, attnc alone (before any baseline allocates its
 *     L x L scores, so the peak RSS printed after it is attnc's): sliding
 *     window w = 256 vs no mask at Q = KV = 8192, and 16 equal packed
 *     documents (bidirectional) vs no mask at Q = KV = 16384, D = 128.
 *  2. The table: no mask, causal, window 256, packed causal documents
 *     (lengths cycling 1000, 300, 2000, 700) and softcap 30 at D in {64,
 *     128}, Q = KV in {512, 2048, 8192}, plus 4096 for no mask and causal at
 *     D = 128; attnc and the baseline back to back on the same inputs.
 *
 * GFLOP/s = 4 * B * H * D * visible pairs / time (FlashAttention's
 * convention; masked variants count only the visible (q, kv) pairs, for
 * both columns, so the ratio is the speed-up). %peak is against a
 * register-only FMA loop run in the same process (bb_peak). --quick: up to
 * L = 2048 and a 4096-token section 1. --csv: rows as CSV, other lines
 * start with '#'. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "blas_baseline.h"
#include "compiler.h"
#include "run_attention.h"

#ifndef BV_DEFAULT_SOURCE
#define BV_DEFAULT_SOURCE "bench/bench_variants.attn"
#endif

enum { BV_H = 8, BV_DOCS16 = 16 };

/* One benchmarked variant: its declaration in the .attn file, the mask the
 * baseline applies, its row label (also the CSV key bench/flex_cpu.py uses). */
typedef struct bv_variant {
    const char *decl;
    bb_kind kind;
    const char *label;
    AttnProgram prog;
} bv_variant;

static bv_variant bv_variants[] = {
    {"plain", BB_NONE, "none", {0}},
    {"causal_attention", BB_CAUSAL, "causal", {0}},
    {"sliding_window_causal", BB_WINDOW, "window", {0}},
    {"packed_causal_attention", BB_DOCS, "documents", {0}},
    {"softcap_attention", BB_SOFTCAP, "softcap", {0}},
    {"packed_documents", BB_PACKED, "docs16", {0}},
};
enum { BV_NVARIANTS = sizeof bv_variants / sizeof bv_variants[0] };

static int bv_csv;

/* q, k, v, out [1, H, L, D] f32 and the document layout of one problem. */
typedef struct bv_problem {
    int32_t L, D;
    float *q, *k, *v, *out;
    int32_t *off, *seg, noff;
    int64_t shape[4], oshape[1];
    DLTensor tq, tk, tv, tout, toff;
} bv_problem;

static DLTensor bv_tensor(void *data, int ndim, DLDataType dt, int64_t *shape)
{
    return (DLTensor){data, {kDLCPU, 0}, ndim, dt, shape, NULL, 0};
}

/* Random q, k, v for L x D; documents: 16 equal ones when `docs16`, else the
 * bb_doc_offsets cycle. False when out of memory. */
static bool bv_problem_init(bv_problem *p, int32_t L, int32_t D, bool docs16)
{
    const int64_t n = (int64_t)BV_H * L * D;
    *p = (bv_problem){.L = L, .D = D, .shape = {1, BV_H, L, D}};
    p->q = bb_random(n, 1), p->k = bb_random(n, 2), p->v = bb_random(n, 3);
    p->out = calloc((size_t)n, sizeof *p->out);
    p->off = malloc(((size_t)L + 2) * sizeof *p->off);
    p->seg = malloc((size_t)L * sizeof *p->seg);
    if (!p->q || !p->k || !p->v || !p->out || !p->off || !p->seg)
        return false;
    if (docs16) {
        p->noff = BV_DOCS16 + 1;
        for (int32_t i = 0; i < p->noff; i++)
            p->off[i] = (int32_t)((int64_t)L * i / BV_DOCS16);
    } else {
        p->noff = bb_doc_offsets(L, p->off);
    }
    bb_segments(p->off, p->noff, p->seg);
    p->oshape[0] = p->noff;
    const DLDataType f32 = {kDLFloat, 32, 1}, i32 = {kDLInt, 32, 1};
    p->tq = bv_tensor(p->q, 4, f32, p->shape), p->tk = bv_tensor(p->k, 4, f32, p->shape);
    p->tv = bv_tensor(p->v, 4, f32, p->shape), p->tout = bv_tensor(p->out, 4, f32, p->shape);
    p->toff = bv_tensor(p->off, 1, i32, p->oshape);
    return true;
}

static void bv_problem_free(bv_problem *p)
{
    free(p->q), free(p->k), free(p->v), free(p->out), free(p->off), free(p->seg);
}

/* One attn_forward of variant bv on p; its seconds, or exits on error. */
static double bv_launch(const bv_variant *bv, bv_problem *p)
{
    attn_arg arg;
    int nargs = 1;
    if (bv->kind == BB_WINDOW)
        arg = attn_arg_i32(0, BB_WINDOW_KEYS);
    else if (bv->kind == BB_SOFTCAP)
        arg = attn_arg_f32(0, BB_CAP);
    else if (bv->kind == BB_DOCS || bv->kind == BB_PACKED)
        arg = attn_arg_pack(0, &p->toff);
    else
        nargs = 0;
    double t0 = bb_now();
    attn_status st = attn_forward(&bv->prog.var, &p->tq, &p->tk, &p->tv, &p->tout, NULL, &arg,
                                  nargs, NULL);
    double t = bb_now() - t0;
    if (st != ATTN_OK) {
        fprintf(stderr, "bench_variants: %s: %s\n", bv->decl, attn_last_error());
        exit(1);
    }
    return t;
}

/* Median seconds of `reps` launches. */
static double bv_time(const bv_variant *bv, bv_problem *p, int reps)
{
    double t[8];
    for (int r = 0; r < reps; r++)
        t[r] = bv_launch(bv, p);
    return bb_median(t, reps);
}

static double bv_gflops(const bv_variant *bv, const bv_problem *p, double seconds)
{
    return 4.0 * BV_H * p->D * bb_pairs(bv->kind, p->seg, p->L) / seconds * 1e-9;
}

/* ---- 1. skipped work and memory ------------------------------------- */

/* Masked variant `masked` vs no mask on one problem: times and speed-up. */
static void bv_skip_row(const bv_variant *masked, int32_t L, int32_t D, bool docs16,
                        double target)
{
    bv_problem p;
    if (!bv_problem_init(&p, L, D, docs16)) {
        fprintf(stderr, "bench_variants: out of memory at L=%d\n", L);
        exit(1);
    }
    const bv_variant *none = &bv_variants[0];
    double tm = bv_time(masked, &p, 2), tn = bv_time(none, &p, 2);
    double vis = bb_pairs(masked->kind, p.seg, L) / ((double)L * L);
    if (bv_csv)
        printf("skip,%s,%d,%d,%.3f,%.3f,%.2f\n", masked->label, D, L, tm * 1e3, tn * 1e3, tn / tm);
    else
        printf("%-10s %4d %6d %10.1f %10.1f %8.2fx %8.2f%% %7.0fx\n", masked->label, D, L,
               tm * 1e3, tn * 1e3, tn / tm, 100.0 * vis, target);
    fflush(stdout);
    bv_problem_free(&p);
}

static void bv_skip_section(bool quick)
{
    const int32_t lw = quick ? 4096 : 8192, ld = quick ? 4096 : 16384;
    printf("%s1. masked vs no mask, attnc only (median of 2 launches each)\n", bv_csv ? "# " : "");
    if (!bv_csv)
        printf("%-10s %4s %6s %10s %10s %9s %9s %8s\n", "variant", "D", "Q=KV", "masked ms",
               "none ms", "speed-up", "visible", "target");
    bv_skip_row(&bv_variants[2], lw, 128, false, 10);
    bv_skip_row(&bv_variants[5], ld, 128, true, 8);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double qkvo = 4.0 * BV_H * ld * 128 * sizeof(float) / 1048576.0;
    printf("%speak RSS so far %.0f MiB: q, k, v, out at Q=KV=%d D=128 are %.0f MiB, the rest is the\n"
           "%sprocess (LLVM, JIT code); one head's %dx%d score matrix alone would be %.0f MiB.\n\n",
           bv_csv ? "# " : "", ru.ru_maxrss / 1024.0, ld, qkvo, bv_csv ? "# " : "", ld, ld,
           (double)ld * ld * sizeof(float) / 1048576.0);
}

/* ---- 2. the table ---------------------------------------------------- */

/* attnc and the baseline on variant bv at L, D; prints one table row. */
static void bv_table_row(const bv_variant *bv, int32_t L, int32_t D, int threads, double peak)
{
    bv_problem p;
    float *ref = malloc((size_t)BV_H * L * D * sizeof *ref);
    float *S = malloc((size_t)L * (size_t)L * sizeof *S);
    if (!bv_problem_init(&p, L, D, false) || !ref || !S) {
        fprintf(stderr, "bench_variants: out of memory at L=%d\n", L);
        exit(1);
    }
    const int reps = L <= 2048 ? 5 : L <= 4096 ? 3 : 1;
    double ta[5], tb[5];
    /* An untimed launch first: OpenBLAS's workers keep spinning for a while
     * after the previous baseline, and would share the cores with attnc. */
    bv_launch(bv, &p);
    for (int r = 0; r < reps; r++)
        ta[r] = bv_launch(bv, &p);
    for (int r = 0; r < reps; r++) {
        double t0 = bb_now();
        bb_attention(bv->kind, p.seg, BV_H, L, D, p.q, p.k, p.v, ref, S, threads);
        tb[r] = bb_now() - t0;
    }
    double ma = bb_median(ta, reps), mb = bb_median(tb, reps), maxdiff = 0;
    for (int64_t i = 0; i < (int64_t)BV_H * L * D; i++)
        maxdiff = fmax(maxdiff, fabs((double)p.out[i] - (double)ref[i]));
    double ga = bv_gflops(bv, &p, ma), gb = bv_gflops(bv, &p, mb);
    if (bv_csv)
        printf("row,%s,%d,%d,%.3f,%.1f,%.3f,%.1f,%.3f,%.3f,%.1e\n", bv->label, D, L, ma * 1e3, ga,
               mb * 1e3, gb, ga / gb, ga / peak, maxdiff);
    else
        printf("%-10s %4d %6d %10.2f %9.1f %10.2f %9.1f %7.2fx %6.0f%% %9.1e\n", bv->label, D, L,
               ma * 1e3, ga, mb * 1e3, gb, ga / gb, 100.0 * ga / peak, maxdiff);
    fflush(stdout);
    bv_problem_free(&p);
    free(ref);
    free(S);
}

static void bv_table(bool quick, int threads, double peak)
{
    printf("%s2. attnc vs the OpenBLAS baseline (sgemm Q.K^T, mask/score + softmax, sgemm P.V)\n",
           bv_csv ? "# " : "");
    if (bv_csv)
        printf("# row,variant,D,L,attn_ms,attn_gflops,blas_ms,blas_gflops,ratio,peak_frac,maxdiff\n");
    else
        printf("%-10s %4s %6s %10s %9s %10s %9s %8s %7s %9s\n", "variant", "D", "Q=KV", "attnc ms",
               "GFLOP/s", "blas ms", "GFLOP/s", "ratio", "%peak", "maxdiff");
    static const int32_t lens[] = {512, 2048, 4096, 8192};
    for (int vi = 0; vi < BV_NVARIANTS; vi++) {
        if (bv_variants[vi].kind == BB_PACKED)
            continue;
        for (int32_t D = 64; D <= 128; D *= 2)
            for (int li = 0; li < 4; li++) {
                bool headline = D == 128 && bv_variants[vi].kind <= BB_CAUSAL;
                if ((lens[li] == 4096 && !headline) || (quick && lens[li] > 2048))
                    continue;
                bv_table_row(&bv_variants[vi], lens[li], D, threads, peak);
            }
    }
}

/* Compiles every variant of bv_variants from module m; false after an error. */
static bool bv_compile(Compilation *c, Module *m)
{
    double t0 = bb_now();
    for (int i = 0; i < BV_NVARIANTS; i++) {
        Decl *d = module_find(m, bv_variants[i].decl);
        char err[CG_ERR_LEN];
        if (!d || !run_attn_program(&c->arena, d, &bv_variants[i].prog, err)) {
            fprintf(stderr, "bench_variants: %s: %s\n", bv_variants[i].decl,
                    d ? err : "no such attention in the file");
            return false;
        }
    }
    printf("%scompiled %d variants (JIT for the host CPU) in %.0f ms\n", bv_csv ? "# " : "",
           BV_NVARIANTS, (bb_now() - t0) * 1e3);
    return true;
}

int main(int argc, char **argv)
{
    bool quick = false;
    const char *source = BV_DEFAULT_SOURCE;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick"))
            quick = true;
        else if (!strcmp(argv[i], "--csv"))
            bv_csv = 1;
        else if (argv[i][0] != '-')
            source = argv[i];
        else {
            fprintf(stderr, "usage: bench_variants [--quick] [--csv] [FILE.attn]\n");
            return 2;
        }
    }
    int threads = bb_threads();
    if (threads == 0)
        return 1;
    Compilation c;
    compilation_init(&c, stderr);
    Module *m = compile_file(&c, source);
    bool ok = m && c.diags.errors == 0 && bv_compile(&c, m);
    if (ok) {
        const char *hash = bv_csv ? "# " : "";
        double peak = bb_peak(threads);
        printf("%sCPU attention forward, f32, B=1 H=%d, %d threads (ATTN_NUM_THREADS / online CPUs;\n"
               "%sOpenBLAS and the baseline softmax use the same count). GFLOP/s = 4*B*H*D*visible\n"
               "%spairs / time (FlashAttention convention; masked variants count visible pairs only,\n"
               "%sfor both columns). peak = %.0f GFLOP/s: a register-only loop of %d independent\n"
               "%s16-lane FMA chains per thread, all threads at once, best of 5. The machine may be\n"
               "%sshared: compare ratios within one run. maxdiff = max |attnc - baseline|.\n\n",
               hash, BV_H, threads, hash, hash, hash, peak, BB_PEAK_CHAINS, hash, hash);
        bv_skip_section(quick);
        bv_table(quick, threads, peak);
    }
    for (int i = 0; i < BV_NVARIANTS; i++)
        run_attn_program_free(&bv_variants[i].prog);
    diag_finish(&c.diags);
    compilation_free(&c);
    return ok ? 0 : 1;
}
