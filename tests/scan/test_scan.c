/* test_scan.c - compiled scans (attn_scan over the JIT-compiled CPU
 * kernels) against the reference interpreter, on random packs; the
 * PackMamba property (a packed run equals each document run on its own,
 * bit for bit); hand-checked reset / no-leakage cases; validation messages.
 * With --emu the same for the GPU kernels under the SIMT emulator.
 *
 *   test_scan [--emu] FILE.attn...     every scan in every file */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "scan_problem.h"

static int failures;
/* --emu: the GPU kernels on the SIMT emulator (run_scan_gpu_program), on
 * longer lengths that span chunks, within a tolerance instead of bit for bit
 * (the chunked scan reassociates the recurrence). */
static bool emu;
/* --wide: every dimension but the scanned one 16 (B: 1), so lane counts are
 * multiples of 16 and the CPU recurrence runs vectorized over the lanes
 * (lower_scan_vec.c) wherever a block of 16 positions holds no reset. */
static bool wide;

/* The compiled scan of the mode. */
static bool build(Arena *arena, Decl *d, ScanProgram *prog, char *err)
{
    return emu ? run_scan_gpu_program(arena, d, NULL, prog, err) : run_scan_program(arena, d, prog, err);
}

/* Worst |got - want| / max(1, |want|) over n elements; *at where. */
static double worst_diff(const float *got, const double *want, const float *wantf, int64_t n, int64_t *at)
{
    double worst = 0;
    for (int64_t e = 0; e < n; e++) {
        double r = want ? want[e] : (double)wantf[e], diff = fabs((double)got[e] - r) / fmax(1.0, fabs(r));
        if (!(diff <= worst)) {
            worst = diff;
            *at = e;
        }
    }
    return worst;
}

#define CHECK(cond, ...)                                                        \
    do {                                                                        \
        if (!(cond)) {                                                          \
            failures++;                                                         \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                \
            fprintf(stderr, __VA_ARGS__);                                       \
            fputc('\n', stderr);                                                \
        }                                                                       \
    } while (0)

static uint64_t rng = 12345;
static int32_t rnd(int32_t lo, int32_t hi)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return lo + (int32_t)((rng >> 33) % (uint64_t)(hi - lo + 1));
}

/* Segment patterns of total length len. */
enum { PAT_ONE, PAT_UNIT, PAT_RANDOM, PAT_LONG, PAT_COUNT };
static const char *const pat_name[PAT_COUNT] = {"one segment", "length-1 segments",
                                                "random segments", "one long + short"};

static int32_t make_segments(int pat, int32_t len, int32_t *seg)
{
    int32_t n = 0;
    switch (pat) {
    case PAT_ONE: seg[n++] = len; break;
    case PAT_UNIT:
        for (int32_t i = 0; i < len; i++)
            seg[n++] = 1;
        break;
    case PAT_RANDOM:
        for (int32_t left = len; left > 0;) {
            int32_t s = rnd(1, 24);
            seg[n++] = s < left ? s : left;
            left -= seg[n - 1];
        }
        break;
    default:
        seg[n++] = len > 3 ? len - 3 : len;
        for (int32_t left = len - seg[0]; left > 0; left--)
            seg[n++] = 1;
        break;
    }
    return n;
}

static void random_dims(const Decl *d, int32_t len, int32_t *dims)
{
    memset(dims, 0, ATTN_MAX_VARIANT_DIMS * sizeof *dims);
    for (int i = 0; i < d->ndims; i++)
        dims[i] = i == d->scan.axis_dim_id ? len : !wide ? rnd(1, 5) : strcmp(d->dims[i], "B") == 0 ? 1 : 16;
}

/* Compiled vs reference for one problem. */
static void check_reference(const ScanProgram *prog, ScanProblem *p, const char *what)
{
    const Decl *d = p->d;
    attn_status s = scan_problem_run(p, prog, 0, p->len, p->out, 2);
    CHECK(s == ATTN_OK, "%s: attn_scan: %s", what, attn_last_error());
    double **ref = calloc((size_t)d->noutputs + 1, sizeof *ref);
    for (int o = 0; o < d->noutputs; o++)
        ref[o] = malloc((size_t)p->out_elems[o] * sizeof **ref + 1);
    char err[512];
    bool ok = scan_problem_reference(p, ref, err, sizeof err);
    CHECK(ok, "%s: reference: %s", what, err);
    for (int o = 0; ok && s == ATTN_OK && o < d->noutputs; o++) {
        int64_t at = 0;
        double worst = worst_diff(p->out[o], ref[o], NULL, p->out_elems[o], &at);
        CHECK(worst <= (emu ? 1e-3 : 2e-4), "%s: output %s differs by %g at %lld (%g vs %g)", what,
              d->outputs[o]->name, worst, (long long)at, (double)p->out[o][at], ref[o][at]);
    }
    for (int o = 0; o < d->noutputs; o++)
        free(ref[o]);
    free(ref);
}

/* A packed run equals every segment run on its own, bit for bit (--emu:
 * within the tolerance). */
static void check_packmamba(const ScanProgram *prog, ScanProblem *p, const char *what)
{
    const Decl *d = p->d;
    float **alone = calloc((size_t)d->noutputs + 1, sizeof *alone);
    for (int o = 0; o < d->noutputs; o++)
        alone[o] = calloc((size_t)p->out_elems[o] + 1, sizeof **alone);
    attn_status s = scan_problem_run(p, prog, 0, p->len, p->out, 2);
    for (int g = 0; s == ATTN_OK && g < p->nseg; g++)
        s = scan_problem_run(p, prog, p->offsets[g], p->offsets[g + 1] - p->offsets[g], alone, 1);
    CHECK(s == ATTN_OK, "%s: attn_scan: %s", what, attn_last_error());
    for (int o = 0; s == ATTN_OK && o < d->noutputs; o++) {
        int64_t at = 0;
        bool same = emu ? worst_diff(alone[o], NULL, p->out[o], p->out_elems[o], &at) <= 1e-4
                        : memcmp(alone[o], p->out[o], (size_t)p->out_elems[o] * sizeof **alone) == 0;
        CHECK(same, "%s: output %s packed differs from the segments run alone", what,
              d->outputs[o]->name);
    }
    for (int o = 0; o < d->noutputs; o++)
        free(alone[o]);
    free(alone);
}

static bool has_pack(const Decl *d)
{
    for (int i = 0; i < d->nparams; i++)
        if (d->params[i]->type->kind == TY_PACK)
            return true;
    return false;
}

static void test_scan_decl(Arena *arena, Decl *d)
{
    ScanProgram prog;
    char err[CG_ERR_LEN];
    if (!build(arena, d, &prog, err)) {
        CHECK(false, "%s: %s", d->name, err);
        return;
    }
    static const int32_t cpu_lens[] = {1, 5, 37, 150}, emu_lens[] = {1, 37, 300, 0};
    static const int32_t wide_lens[] = {16, 150, 0, 0};
    const int32_t *lens = wide ? wide_lens : emu ? emu_lens : cpu_lens;
    int32_t seg[310];
    for (size_t li = 0; li < 4 && lens[li]; li++) {
        for (int pat = 0; pat < (has_pack(d) ? PAT_COUNT : 1); pat++) {
            int32_t dims[ATTN_MAX_VARIANT_DIMS];
            random_dims(d, lens[li], dims);
            int32_t nseg = make_segments(pat, lens[li], seg);
            ScanProblem p;
            scan_problem_init(&p, d, dims, seg, nseg, (uint64_t)rnd(0, 1 << 30));
            char what[256];
            snprintf(what, sizeof what, "%s (L=%d, %s)", d->name, (int)lens[li], pat_name[pat]);
            check_reference(&prog, &p, what);
            if (pat != PAT_ONE && (!emu || nseg <= 40)) /* emulated launches are slow */
                check_packmamba(&prog, &p, what);
            scan_problem_free(&p);
        }
    }
    run_scan_program_free(&prog);
}

/* cases.attn `prev` and `cumsum_window` on a known pack. */
static void test_hand_checked(Arena *arena, Module *m)
{
    Decl *prev = module_find(m, "prev"), *cs = module_find(m, "cumsum_window");
    if (!prev || !cs)
        return;
    ScanProgram pp, pc;
    char err[CG_ERR_LEN];
    bool ok = build(arena, prev, &pp, err) && build(arena, cs, &pc, err);
    CHECK(ok, "hand-checked: %s", err);
    if (!ok)
        return;
    int32_t seg[] = {3, 2, 1};
    int32_t dims[ATTN_MAX_VARIANT_DIMS] = {6};
    ScanProblem p;
    scan_problem_init(&p, prev, dims, seg, 3, 1);
    for (int i = 0; i < 6; i++)
        p.in[0][i] = (float)(i + 1);
    CHECK(scan_problem_run(&p, &pp, 0, 6, p.out, 2) == ATTN_OK, "prev: %s", attn_last_error());
    const float want_prev[] = {0, 1, 2, 0, 4, 0};
    CHECK(memcmp(p.out[0], want_prev, sizeof want_prev) == 0, "prev: reads across a document");
    scan_problem_free(&p);

    /* cumsum_window dims: L, B, K in order of first appearance (x: [B, L]). */
    int32_t d2[ATTN_MAX_VARIANT_DIMS] = {0};
    for (int i = 0; i < cs->ndims; i++)
        d2[i] = strcmp(cs->dims[i], "L") == 0 ? 6 : 1;
    scan_problem_init(&p, cs, d2, seg, 3, 1);
    for (int i = 0; i < 6; i++)
        p.in[0][i] = (float)(i + 1);
    p.in[1][0] = 1.0f;
    CHECK(scan_problem_run(&p, &pc, 0, 6, p.out, 2) == ATTN_OK, "cumsum: %s", attn_last_error());
    const float want_sum[] = {1, 3, 6, 4, 9, 6};
    CHECK(memcmp(p.out[0], want_sum, sizeof want_sum) == 0, "cumsum: the reset");
    scan_problem_free(&p);
    run_scan_program_free(&pp);
    run_scan_program_free(&pc);
}

/* Runs selective_scan with axis `axis` of parameter `param` (< 0: the
 * output) grown by axis_delta, or with axis < 0 the pack ending one short;
 * the message must contain `want`. */
static void expect_error(const ScanProgram *prog, ScanProblem *p, int param, int64_t axis_delta,
                         int axis, const char *want)
{
    ScanProblem q = *p;
    int64_t saved[ATTN_MAX_RANK];
    int64_t(*shape)[ATTN_MAX_RANK] = param >= 0 ? &q.shape[param] : &q.out_shape[0];
    memcpy(saved, *shape, sizeof saved);
    if (axis >= 0)
        (*shape)[axis] += axis_delta;
    else
        q.offsets[q.nseg] -= 1;
    attn_status s = scan_problem_run(&q, prog, 0, q.len, q.out, 2);
    memcpy(*shape, saved, sizeof saved);
    if (param < 0 && axis < 0)
        q.offsets[q.nseg] += 1;
    CHECK(s != ATTN_OK && strstr(attn_last_error(), want), "expected '%s', got '%s'", want,
          s == ATTN_OK ? "success" : attn_last_error());
}

static void test_validation(Arena *arena, Module *m)
{
    Decl *d = module_find(m, "selective_scan");
    if (!d)
        return;
    ScanProgram prog;
    char err[CG_ERR_LEN];
    if (!build(arena, d, &prog, err)) {
        CHECK(false, "%s", err);
        return;
    }
    /* dims in order of first appearance: B, D, L, N */
    int32_t dims[ATTN_MAX_VARIANT_DIMS] = {1, 3, 16, 4};
    int32_t seg[] = {10, 6};
    ScanProblem p;
    scan_problem_init(&p, d, dims, seg, 2, 7);
    expect_error(&prog, &p, 1, 1, 1, "delta: dimension 1 (D) is 4, but u's dimension 1 made it 3");
    expect_error(&prog, &p, -1, 1, 1, "y: dimension 1 (D) must be 3, got 4");
    expect_error(&prog, &p, -1, 0, -1, "seqs: offsets must end at the length 16 (L), got 15");
    attn_status s = emu ? attn_scan_gpu(&prog.gpu, ATTN_GPU_EMU, NULL, 0, NULL, 0, NULL)
                        : attn_scan(&prog.var, NULL, 0, NULL, 0, NULL);
    CHECK(s == ATTN_ERR_INVALID_ARG && strstr(attn_last_error(), "selective_scan has 1 output, got 0"),
          "output count: %s", attn_last_error());
    scan_problem_free(&p);
    run_scan_program_free(&prog);
}

int main(int argc, char **argv)
{
    int first = 1;
    if (argc > 1 && strcmp(argv[1], "--emu") == 0)
    {
        emu = true;
        first = 2;
    }
    if (argc > first && strcmp(argv[first], "--wide") == 0) {
        wide = true;
        first++;
    }
    for (int f = first; f < argc; f++) {
        Compilation c;
        compilation_init(&c, stderr);
        Module *m = compile_file(&c, argv[f]);
        CHECK(m && c.diags.errors == 0, "%s does not compile", argv[f]);
        for (int i = 0; m && c.diags.errors == 0 && i < m->ndecls; i++)
            if (m->decls[i]->kind == DECL_SCAN)
                test_scan_decl(&c.arena, m->decls[i]);
        if (m && c.diags.errors == 0) {
            test_hand_checked(&c.arena, m);
            test_validation(&c.arena, m);
        }
        diag_finish(&c.diags);
        compilation_free(&c);
    }
    if (failures)
        fprintf(stderr, "%d failure%s\n", failures, failures == 1 ? "" : "s");
    return failures != 0;
}
