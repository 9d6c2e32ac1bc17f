/* cmd_run.c - `attnc run FILE.attn [options]` (ARCHITECTURE.md, "CLI
 * contract"): parses the options into a RunOptions (run.h), compiles FILE,
 * selects the variant (--variant NAME, or the file's only attention/scan)
 * and runs it through run_attention() or run_scan().
 * Exit status: 0, 1 for errors in FILE, in the values or a --check
 * mismatch, 2 for usage. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attn_abi.h"
#include "cmd.h"
#include "run.h"

typedef struct RunCommand {
    CmdFront front;
    RunOptions o;
} RunCommand;

/* Parses an integer option value in [lo, hi]; false on anything else. */
static bool run_parse_int(const char *s, long long lo, long long hi, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* --shape B,H,Q,KV,D[,DV]: 5 or 6 non-negative integers (sizes are checked later). */
static int run_parse_shape(const char *s, RunOptions *o)
{
    char buf[256];
    if (strlen(s) >= sizeof buf)
        return cmd_usage_error("--shape '%s' is too long", s);
    strcpy(buf, s);
    char *save = NULL;
    o->nshape = 0;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        long long v;
        if (o->nshape == 6 || !run_parse_int(tok, 0, INT64_MAX, &v))
            return cmd_usage_error("--shape '%s': expected B,H,Q,KV,D[,DV] (5 or 6 sizes)", s);
        o->shape[o->nshape++] = v;
    }
    if (o->nshape < 5)
        return cmd_usage_error("--shape '%s': expected B,H,Q,KV,D[,DV] (5 or 6 sizes)", s);
    o->have_shape = true;
    return 0;
}

/* Handles the option at argv[i] with value `v`; returns 0 or a usage status. */
static int run_parse_valued(RunCommand *rc, const char *a, char *v)
{
    RunOptions *o = &rc->o;
    long long n;
    if (!strcmp(a, "--variant")) {
        o->variant = v;
    } else if (!strcmp(a, "--device")) {
        static const char *const names[] = {"cpu", "cuda", "emu"};
        int d = 0;
        while (d < 3 && strcmp(v, names[d]))
            d++;
        if (d == 3)
            return cmd_usage_error("--device '%s': expected cpu, cuda or emu", v);
        o->device = (RunDevice)d;
    } else if (!strcmp(a, "--dtype")) {
        static const char *const names[] = {"f32", "f16", "bf16"};
        int d = 0;
        while (d < 3 && strcmp(v, names[d]))
            d++;
        if (d == 3)
            return cmd_usage_error("--dtype '%s': expected f32, f16 or bf16", v);
        o->dtype = d; /* ATTN_F32, ATTN_F16, ATTN_BF16 */
        o->have_dtype = true;
    } else if (!strcmp(a, "--shape")) {
        return run_parse_shape(v, o);
    } else if (!strcmp(a, "--kv-heads")) {
        if (!run_parse_int(v, 1, INT32_MAX, &n))
            return cmd_usage_error("--kv-heads '%s': expected a positive integer", v);
        o->kv_heads = n;
    } else if (!strcmp(a, "--seed")) {
        if (!run_parse_int(v, 0, INT64_MAX, &n))
            return cmd_usage_error("--seed '%s': expected a non-negative integer", v);
        o->seed = (uint64_t)n;
    } else if (!strcmp(a, "--bench")) {
        if (!run_parse_int(v, 1, 1000000, &n))
            return cmd_usage_error("--bench '%s': expected a number of runs from 1 to 1000000", v);
        o->bench_iters = (int)n;
    } else if (!strcmp(a, "--set")) {
        return cmd_parse_binding(a, v, o->sets, &o->nsets);
    } else if (!strcmp(a, "--tensor")) {
        return cmd_parse_binding(a, v, o->tensors, &o->ntensors);
    } else if (!strcmp(a, "--pack")) {
        return cmd_parse_binding(a, v, o->packs, &o->npacks);
    } else if (!strcmp(a, "--inputs")) {
        o->inputs_dir = v;
    } else {
        o->out_dir = v; /* --out */
    }
    return 0;
}

static int run_parse_args(int argc, char **argv, RunCommand *rc)
{
    static const char *const valued[] = {"--variant", "--device", "--dtype", "--shape", "--kv-heads",
                                         "--seed", "--bench", "--set", "--tensor", "--pack",
                                         "--inputs", "--out"};
    RunOptions *o = &rc->o;
    for (int i = 1; i < argc;) {
        const char *a = argv[i];
        bool is_valued = false;
        for (size_t k = 0; k < sizeof valued / sizeof valued[0]; k++)
            is_valued |= !strcmp(a, valued[k]);
        if (is_valued) {
            if (i + 1 >= argc)
                return cmd_usage_error("option '%s' needs a value", a);
            int status = run_parse_valued(rc, a, argv[i + 1]);
            if (status)
                return status;
            i += 2;
        } else if (!strcmp(a, "--check") || !strcmp(a, "--checked")) {
            *(a[7] ? &o->checked : &o->check) = true;
            i++;
        } else if (!cmd_front_arg(&rc->front, argc, argv, &i)) {
            return i < argc ? cmd_usage_error("unknown option '%s'", a) : 2;
        }
    }
    if (rc->front.nfiles != 1)
        return cmd_usage_error("%s", rc->front.nfiles ? "expected one input file" : "no input file");
    o->file = rc->front.files[0];
    return 0;
}

static bool run_is_kernel(const Decl *d)
{
    return d->kind == DECL_ATTENTION || d->kind == DECL_SCAN;
}

/* Prints the attention and scan names of m after `prefix`. */
static void run_list_kernels(const char *prefix, const Module *m)
{
    fprintf(stderr, "attnc: error: %s", prefix);
    const char *sep = "";
    for (int i = 0; i < m->ndecls; i++)
        if (run_is_kernel(m->decls[i])) {
            fprintf(stderr, "%s%s", sep, m->decls[i]->name);
            sep = ", ";
        }
    fputc('\n', stderr);
}

/* The variant to run: --variant NAME, or the only attention/scan of m. */
static Decl *run_select(const RunOptions *o, const Module *m)
{
    int nkernels = 0;
    Decl *only = NULL;
    for (int i = 0; i < m->ndecls; i++)
        if (run_is_kernel(m->decls[i])) {
            nkernels++;
            only = m->decls[i];
        }
    if (!nkernels) {
        fprintf(stderr, "attnc: error: %s: no attention or scan declarations to run\n", o->file);
        return NULL;
    }
    if (o->variant) {
        Decl *d = module_find(m, o->variant);
        if (d && run_is_kernel(d))
            return d;
        char prefix[512];
        snprintf(prefix, sizeof prefix, "%s: no attention or scan named '%s'%s%s%s; variants: ", o->file,
                 o->variant, d ? " (it is a " : "", d ? decl_kind_name(d->kind) : "", d ? ")" : "");
        run_list_kernels(prefix, m);
        return NULL;
    }
    if (nkernels > 1) {
        char prefix[512];
        snprintf(prefix, sizeof prefix, "%s declares several variants; choose one with --variant: ", o->file);
        run_list_kernels(prefix, m);
        return NULL;
    }
    return only;
}

int cmd_run(int argc, char **argv)
{
    RunCommand rc = {0};
    cmd_front_init(&rc.front, argc);
    rc.o.sets = calloc((size_t)argc + 1, sizeof *rc.o.sets);
    rc.o.tensors = calloc((size_t)argc + 1, sizeof *rc.o.tensors);
    rc.o.packs = calloc((size_t)argc + 1, sizeof *rc.o.packs);
    int status = !rc.o.sets || !rc.o.tensors || !rc.o.packs ? cmd_usage_error("out of memory")
                                                            : run_parse_args(argc, argv, &rc);
    if (status == 0) {
        Compilation c;
        compilation_init(&c, stderr);
        cmd_front_apply(&rc.front, &c);
        Module *m = compile_file(&c, rc.o.file);
        Decl *d = m && !c.diags.errors ? run_select(&rc.o, m) : NULL;
        diag_finish(&c.diags);
        status = !d ? 1 : d->kind == DECL_SCAN ? run_scan(&c, d, &rc.o) : run_attention(&c, d, &rc.o);
        compilation_free(&c);
    }
    free(rc.o.sets);
    free(rc.o.tensors);
    free(rc.o.packs);
    cmd_front_free(&rc.front);
    return status;
}
