/* cmd_emit.c - `attnc FILE.attn -o OUT [--target T[,T...]] [--emit KIND]`:
 * compiles every attention variant of FILE for each target.
 *
 *   --target cpu | sm_80 | sm_90a, comma separated (default cpu)
 *   --emit   obj (default) | asm | ptx (sm targets; = asm there) | llvm
 *            | header (cpu: OUT.o and OUT.h for linking into C, cg_header.h)
 *            | stubs (sm targets: OUT.h as for header, the PTX and OUT.c
 *              embedding it with GPU launch stubs, cg_stub.h; no host object)
 *            | ast (the syntax tree on stdout, or OUT; no -o needed)
 *            | analysis (the mask analysis per variant, docs/mask-analysis.md;
 *              on stdout, or OUT)
 *   --portable  cpu code for any x86-64-v3 machine instead of this host's CPU
 *   -I DIR, --werror  as for `attnc check`
 *
 * With several targets each output gets the target before its extension:
 * -o k.s --target cpu,sm_80 --emit asm writes k.cpu.s and k.sm_80.s.
 * Every variant is instantiated from its target's template (cg.h).
 * Exit status: 0, 1 for errors in FILE or code generation, 2 for usage. */
#include <stdio.h>
#include <string.h>

#include "analysis.h"
#include "cg.h"
#include "cg_header.h"
#include "cg_stub.h"
#include "cmd.h"

typedef struct EmitOptions {
    CmdFront front;      /* the input file, -I, --werror */
    const char *output;
    const char *targets; /* comma separated */
    const char *emit;
    bool portable;
} EmitOptions;

/* The compiled output kinds by name; `ptx` is asm restricted to sm targets. */
static const struct {
    const char *name;
    CgEmit kind;
    bool gpu_only, cpu_only;
} emit_kinds[] = {
    {"obj", CG_EMIT_OBJ, false, true}, /* NVPTX has no object files: PTX is the object */
    {"asm", CG_EMIT_ASM, false, false},
    {"ptx", CG_EMIT_ASM, true, false},
    {"llvm", CG_EMIT_LLVM, false, false},
    {"header", CG_EMIT_OBJ, false, true}, /* OUT.o and OUT.h (cg_header.h) */
    {"stubs", CG_EMIT_ASM, true, false},  /* OUT.h, OUT.c and PTX (cg_stub.h) */
};
enum { EMIT_NKINDS = sizeof emit_kinds / sizeof emit_kinds[0] };

static bool emit_fail(const char *fmt, const char *arg)
{
    fprintf(stderr, "attnc: error: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    return false;
}

/* Parses argv[1..]; returns 0, or the exit status of a usage error. */
static int emit_parse_args(int argc, char **argv, EmitOptions *o)
{
    o->targets = "cpu";
    o->emit = "obj";
    for (int i = 1; i < argc;) {
        const char *a = argv[i];
        const char **value = strcmp(a, "-o") == 0         ? &o->output
                             : strcmp(a, "--target") == 0 ? &o->targets
                             : strcmp(a, "--emit") == 0   ? &o->emit
                                                          : NULL;
        if (value) {
            if (i + 1 >= argc)
                return cmd_usage_error("option '%s' needs a value", a);
            *value = argv[i + 1];
            i += 2;
        } else if (strncmp(a, "--target=", 9) == 0) {
            o->targets = a + 9;
            i++;
        } else if (strncmp(a, "--emit=", 7) == 0) {
            o->emit = a + 7;
            i++;
        } else if (strcmp(a, "--portable") == 0) {
            o->portable = true;
            i++;
        } else if (!cmd_front_arg(&o->front, argc, argv, &i)) {
            return i < argc ? cmd_usage_error("unknown option '%s'", a) : 2;
        }
    }
    if (o->front.nfiles != 1)
        return cmd_usage_error("%s", o->front.nfiles ? "expected one input file" : "no input file");
    if (!o->output && strcmp(o->emit, "ast") != 0 && strcmp(o->emit, "analysis") != 0)
        return cmd_usage_error("no output file (-o OUT)");
    return 0;
}

/* Parses the --target list into targets[]; returns how many, 0 after an error. */
static int emit_parse_targets(Arena *a, const char *list, int kind, CgTarget *targets, int max)
{
    int n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(arena_strdup(a, list), ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        CgTarget t;
        if (!cg_target_parse(tok, &t))
            return emit_fail("unknown target '%s' (expected cpu, sm_80 or sm_90a)", tok);
        if (emit_kinds[kind].gpu_only && !cg_target_is_gpu(t))
            return emit_fail("--emit %s needs an sm target (sm_80, sm_90a)", emit_kinds[kind].name);
        if (emit_kinds[kind].cpu_only && cg_target_is_gpu(t))
            return emit_fail("no object files for %s: use --emit ptx", tok);
        if (n == max)
            return emit_fail("too many targets in '%s'", list);
        targets[n++] = t;
    }
    if (!n)
        emit_fail("%s", "--target needs at least one target");
    return n;
}

/* OUT with ".<target>" inserted before the extension of its last component. */
static const char *emit_output_path(Arena *a, const char *out, const char *target)
{
    const char *base = strrchr(out, '/') ? strrchr(out, '/') + 1 : out;
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base)
        return arena_printf(a, "%s.%s", out, target);
    return arena_printf(a, "%.*s.%s%s", (int)(dot - out), out, target, dot);
}

/* Compiles the variants for one target into `path`. */
static bool emit_target(Compilation *c, CgTarget t, CgEmit kind, bool portable, Decl **decls,
                        int n, const char *symbol_prefix, const char *path)
{
    char err[CG_ERR_LEN];
    LLVMTargetMachineRef tm = cg_target_machine(t, !portable, err);
    bool ok = tm != NULL;
    if (ok) {
        LLVMContextRef ctx = LLVMContextCreate();
        LLVMModuleRef m = cg_build(ctx, tm, t, &c->arena, decls, n, cg_attention_template(t), true, err);
        ok = m && (!symbol_prefix || cg_prefix_symbols(m, symbol_prefix, err)) &&
             cg_emit_file(m, tm, kind, path, err);
        if (m)
            LLVMDisposeModule(m);
        LLVMContextDispose(ctx);
        LLVMDisposeTargetMachine(tm);
    }
    return ok || emit_fail("%s", err);
}

/* The attention and scan variants of m into *out; returns how many, 0 after
 * an error (an empty file has nothing to compile). */
static int emit_collect(Compilation *c, Module *m, const char *input, Decl ***out)
{
    PtrVec v = {0};
    for (int i = 0; i < m->ndecls; i++) {
        Decl *d = m->decls[i];
        if (d->kind == DECL_ATTENTION || d->kind == DECL_SCAN)
            ptrvec_push(&c->arena, &v, d);
    }
    if (c->diags.errors)
        return 0;
    if (!v.len)
        return emit_fail("%s: no attention or scan declarations to compile", input);
    *out = (Decl **)v.items;
    return v.len;
}

/* Reports a parameter (or output) of the same list whose keyword-escaped
 * field name in generated headers (`int` -> `int_`, cg_header_field_suffix)
 * is the name of another one: the struct would have one field twice. */
static void emit_check_field_names(Compilation *c, Param *const *list, int n)
{
    for (int i = 0; i < n; i++) {
        const char *suffix = cg_header_field_suffix(list[i]->name);
        if (!*suffix)
            continue;
        const char *field = arena_printf(&c->arena, "%s%s", list[i]->name, suffix);
        for (int j = 0; j < n; j++)
            if (strcmp(list[j]->name, field) == 0) {
                diag_error(&c->diags, list[i]->span,
                           "'%s' is a C/C++ keyword, so its field in the generated header is '%s', "
                           "which '%s' already names; rename one of them",
                           list[i]->name, field, field);
                diag_note(&c->diags, list[j]->span, "'%s' declared here", field);
            }
    }
}

/* --emit ast: the syntax tree of the main module, even when it has errors. */
static bool emit_ast(Compilation *c, Module *m, const char *output)
{
    FILE *f = output ? fopen(output, "w") : stdout;
    if (!f)
        return emit_fail("cannot write '%s'", output);
    ast_dump_module(f, m);
    if (f != stdout && fclose(f) != 0)
        return emit_fail("cannot write '%s'", output);
    return c->diags.errors == 0;
}

/* --emit analysis: what the mask analysis concluded, per variant. */
static bool emit_analysis(Compilation *c, Module *m, const char *output)
{
    if (c->diags.errors)
        return false;
    FILE *f = output ? fopen(output, "w") : stdout;
    if (!f)
        return emit_fail("cannot write '%s'", output);
    analysis_report(f, &c->arena, &c->sources, m);
    if (f != stdout && fclose(f) != 0)
        return emit_fail("cannot write '%s'", output);
    return true;
}

/* Runs the compilation of an already parsed command line. */
static bool emit_run(const EmitOptions *o, Compilation *c)
{
    bool analysis = strcmp(o->emit, "analysis") == 0;
    bool ast = analysis || strcmp(o->emit, "ast") == 0;
    int kind = 0;
    while (!ast && kind < EMIT_NKINDS && strcmp(emit_kinds[kind].name, o->emit) != 0)
        kind++;
    if (kind == EMIT_NKINDS)
        return emit_fail("unknown --emit kind '%s' (expected obj, asm, ptx, llvm, header, stubs, ast or "
                         "analysis)",
                         o->emit);
    CgTarget targets[8];
    int ntargets = ast ? 0 : emit_parse_targets(&c->arena, o->targets, kind, targets, 8);
    if (!ast && !ntargets)
        return false;
    cmd_front_apply(&o->front, c);
    Module *m = compile_file(c, o->front.files[0]);
    if (!m)
        return false;
    if (analysis)
        return emit_analysis(c, m, o->output);
    if (ast)
        return emit_ast(c, m, o->output);
    Decl **decls = NULL;
    int n = c->diags.errors ? 0 : emit_collect(c, m, o->front.files[0], &decls);
    bool ok = n > 0, header = strcmp(o->emit, "header") == 0, stubs = strcmp(o->emit, "stubs") == 0;
    for (int i = 0; ok && (header || stubs) && i < n; i++) {
        emit_check_field_names(c, decls[i]->params, decls[i]->nparams);
        emit_check_field_names(c, decls[i]->outputs, decls[i]->noutputs);
    }
    ok = ok && c->diags.errors == 0;
    const char *stem = cg_header_stem(&c->arena, o->output);
    char err[CG_ERR_LEN];
    if (ok && stubs)
        return cg_stub_write(&c->arena, decls, n, targets, ntargets, stem, o->front.files[0], err) ||
               emit_fail("%s", err);
    const char *output = header ? arena_printf(&c->arena, "%s.o", stem) : o->output;
    for (int i = 0; ok && i < ntargets; i++) {
        const char *path = ntargets == 1 ? output
                                         : emit_output_path(&c->arena, output, cg_target_name(targets[i]));
        ok = emit_target(c, targets[i], emit_kinds[kind].kind, o->portable, decls, n,
                         header ? cg_header_prefix(&c->arena, stem) : NULL, path);
    }
    if (ok && header && !cg_header_write(&c->arena, decls, n, stem, o->front.files[0], err))
        return emit_fail("%s", err);
    return ok;
}

int cmd_emit(int argc, char **argv)
{
    EmitOptions o = {0};
    cmd_front_init(&o.front, argc);
    int status = emit_parse_args(argc, argv, &o);
    if (status == 0) {
        Compilation c;
        compilation_init(&c, stderr);
        status = emit_run(&o, &c) ? 0 : 1;
        diag_finish(&c.diags);
        compilation_free(&c);
    }
    cmd_front_free(&o.front);
    return status;
}
