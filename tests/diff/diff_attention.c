/* diff_attention.c - differential test: every attention variant of the
 * given .attn files, JIT-compiled for the host and launched with
 * attn_forward, against the reference interpreter (interp_attention) over
 * random shapes, dtypes and parameter values (diff_case.h).
 *
 *   diff_attention [--seed N] [--cases N] [--case K] [--shard I/N]
 *                  [--variant NAME] [--max-pairs P] [--verbose]
 *                  [--reference MUTANTS.attn --expect-differences] FILE.attn...
 *
 * --cases N     cases per variant (default DIFF_DEFAULT_CASES: 20);
 * --case K      only case K of each variant (reproduces a reported failure);
 * --shard I/N   only the variants whose running index is I modulo N;
 * --max-pairs P at most P query-key pairs (B*H*Q*KV) per case (default
 *               4.1e6: Q = KV = 1000 only with B = 1);
 * --verbose     one line per case: its shape, dtype and parameter values;
 * --reference M the reference interpreter runs the same-named declaration
 *               of M (a deliberately broken copy, same parameters) instead:
 *               only variants M declares are run;
 * --expect-differences  a variant passes when some case differs (the test
 *               catches the mutant), fails when every case agrees.
 * Case K of variant V draws from a seed derived from --seed, V's name and
 * K, so a failure reproduces with the --seed, --variant and --case it
 * prints. Prints one summary line per variant; exit status 1 when any case
 * differs beyond its dtype's tolerance, 2 on bad usage or input. */
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "diff_case.h"
#include "run_attention.h"
#include "run_common.h"

/* Sanitizer builds define smaller defaults (CMakeLists.txt). */
#ifndef DIFF_DEFAULT_CASES
#define DIFF_DEFAULT_CASES 20
#endif
#ifndef DIFF_DEFAULT_MAX_PAIRS
#define DIFF_DEFAULT_MAX_PAIRS 4.1e6
#endif

typedef struct DiffOptions {
    uint64_t seed;
    int cases, only_case, shard, nshards;
    const char *variant;
    double max_pairs;
    bool verbose, expect_diff;
    const char *reference;
    char **files;
    int nfiles;
} DiffOptions;

static int diff_usage(const char *why)
{
    fprintf(stderr, "diff_attention: %s\nusage: diff_attention [--seed N] [--cases N] [--case K] "
            "[--shard I/N] [--variant NAME] [--max-pairs P] [--verbose] [--reference M.attn "
            "--expect-differences] FILE.attn...\n", why);
    return 2;
}

/* Parses argv into o; 0, or the exit status after a usage message. */
static int diff_parse_args(int argc, char **argv, DiffOptions *o)
{
    *o = (DiffOptions){.seed = 1, .cases = DIFF_DEFAULT_CASES, .only_case = -1, .nshards = 1,
                       .max_pairs = DIFF_DEFAULT_MAX_PAIRS, .files = argv + argc};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes = a[0] == '-' && a[1] == '-';
        if (!strcmp(a, "--verbose")) {
            o->verbose = true;
            continue;
        }
        if (!strcmp(a, "--expect-differences")) {
            o->expect_diff = true;
            continue;
        }
        if (takes && !v)
            return diff_usage("option without a value");
        if (!strcmp(a, "--seed"))
            o->seed = strtoull(v, NULL, 0);
        else if (!strcmp(a, "--cases"))
            o->cases = atoi(v);
        else if (!strcmp(a, "--case"))
            o->only_case = atoi(v);
        else if (!strcmp(a, "--variant"))
            o->variant = v;
        else if (!strcmp(a, "--reference"))
            o->reference = v;
        else if (!strcmp(a, "--max-pairs"))
            o->max_pairs = atof(v);
        else if (!strcmp(a, "--shard")) {
            if (sscanf(v, "%d/%d", &o->shard, &o->nshards) != 2 || o->nshards < 1 || o->shard < 0 ||
                o->shard >= o->nshards)
                return diff_usage("--shard wants I/N with 0 <= I < N");
        } else if (takes)
            return diff_usage("unknown option");
        else {
            o->files = argv + i;
            o->nfiles = argc - i;
            break;
        }
        i++;
    }
    if (o->nfiles == 0 || o->cases < 1 || o->max_pairs < 4)
        return diff_usage(o->nfiles ? "--cases and --max-pairs must be positive" : "no input files");
    return 0;
}

/* The seed of case k of variant `name` (FNV-1a of the name, mixed). */
static uint64_t diff_case_seed(uint64_t seed, const char *name, int k)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *s = name; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return run_rng_seed(seed ^ h ^ ((uint64_t)k * 0xD1B54A32D192ED03ull));
}

/* All cases of one variant, the reference evaluating `ref`; false when
 * any case failed (with --expect-differences: when none did). */
static bool diff_variant(Compilation *c, Decl *d, const Decl *ref, const DiffOptions *o, const char *file)
{
    AttnProgram prog;
    char err[CG_ERR_LEN];
    if (!run_attn_program(&c->arena, d, &prog, err)) {
        fprintf(stderr, "FAIL %s: JIT: %s\n", d->name, err);
        return false;
    }
    DiffStats st = {0};
    int failed = 0;
    int first = o->only_case >= 0 ? o->only_case : 0, last = o->only_case >= 0 ? o->only_case + 1 : o->cases;
    for (int k = first; k < last; k++) {
        uint64_t rng = diff_case_seed(o->seed, d->name, k);
        DiffCase dc;
        bool ok = diff_case_draw(d, &rng, o->max_pairs, &dc);
        if (ok && o->verbose) {
            printf("  case %d: ", k);
            diff_case_print(stdout, &dc);
        }
        ok = ok && diff_check(&prog.var, &dc, ref, &st);
        diff_case_free(&dc);
        if (!ok) {
            failed++;
            fprintf(stderr, "  reproduce: diff_attention --seed %llu --variant %s --case %d%s%s %s\n",
                    (unsigned long long)o->seed, d->name, k, o->reference ? " --reference " : "",
                    o->reference ? o->reference : "", file);
        }
    }
    run_attn_program_free(&prog);
    bool pass = o->expect_diff ? failed > 0 : failed == 0;
    printf("%-28s %s: %d/%d/%d cases f32/f16/bf16, %d rejected by both, %d fully masked rows; "
           "max err out %.2g/%.2g/%.2g lse %.2g/%.2g/%.2g\n", d->name,
           !pass ? "FAIL" : o->expect_diff ? "ok (mutant caught)" : "ok",
           st.cases[0], st.cases[1], st.cases[2], st.rejected, st.masked_rows, st.out_err[0], st.out_err[1],
           st.out_err[2], st.lse_err[0], st.lse_err[1], st.lse_err[2]);
    fflush(stdout);
    return pass;
}

/* Whether a and b declare the same parameters (names and kinds, in order). */
static bool diff_same_params(const Decl *a, const Decl *b)
{
    bool same = a->nparams == b->nparams;
    for (int i = 0; same && i < a->nparams; i++)
        same = !strcmp(a->params[i]->name, b->params[i]->name) &&
               a->params[i]->type->kind == b->params[i]->type->kind &&
               a->params[i]->type->scalar == b->params[i]->type->scalar;
    return same;
}

/* Runs the selected variants of one file (only those mutants declares,
 * when not NULL); *index counts every variant selected (for --shard).
 * 0, 1 (a variant failed) or 2 (compile error, mismatched mutant). */
static int diff_file(const char *path, const Module *mutants, const DiffOptions *o, int *index)
{
    Compilation c;
    compilation_init(&c, stderr);
    Module *m = compile_file(&c, path);
    int status = !m || c.diags.errors ? 2 : 0;
    for (int i = 0; status != 2 && i < m->ndecls; i++) {
        Decl *d = m->decls[i];
        if (d->kind != DECL_ATTENTION || (o->variant && strcmp(o->variant, d->name)))
            continue;
        const Decl *ref = mutants ? module_find(mutants, d->name) : d;
        if (!ref)
            continue;
        if (ref->kind != DECL_ATTENTION || !diff_same_params(d, ref)) {
            fprintf(stderr, "diff_attention: %s: its mutant is no attention with the same parameters\n",
                    d->name);
            status = 2;
        } else if ((*index)++ % o->nshards == o->shard && !diff_variant(&c, d, ref, o, path))
            status = 1;
    }
    diag_finish(&c.diags);
    compilation_free(&c);
    return status;
}

int main(int argc, char **argv)
{
    DiffOptions o;
    int status = diff_parse_args(argc, argv, &o), index = 0;
    if (status)
        return status;
    Compilation mc;
    compilation_init(&mc, stderr);
    Module *mutants = o.reference ? compile_file(&mc, o.reference) : NULL;
    if (o.reference && (!mutants || mc.diags.errors))
        status = 2;
    for (int f = 0; status != 2 && f < o.nfiles; f++) {
        int s = diff_file(o.files[f], mutants, &o, &index);
        status = s > status ? s : status;
    }
    if (status != 2 && index == 0)
        status = diff_usage("no attention variant selected");
    diag_finish(&mc.diags);
    compilation_free(&mc);
    return status;
}
