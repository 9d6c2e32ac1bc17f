/* lower_verify.c - every attention variant of the given files lowers to a
 * module that LLVMVerifyModule accepts with the x86-64 and the nvptx64 data
 * layout, and instantiates, links and optimizes (O3) cleanly for cpu, sm_80
 * and sm_90a. Prints the compile time of the first variant (parse -> object).
 * usage: codegen_lower_verify FILE.attn... */
#include <stdio.h>
#include <time.h>

#include <llvm-c/TargetMachine.h>

#include "cg.h"
#include "compiler.h"
#include "lower.h"

static int failures, checked;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The hooks alone, for the data layout of tm. */
static void check_lower(Compilation *c, Decl *d, LLVMTargetMachineRef tm)
{
    char *triple = LLVMGetTargetMachineTriple(tm), *dl = cg_data_layout(tm);
    char err[CG_ERR_LEN] = "";
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef m = lower_attention(ctx, &c->arena, d, triple, dl, err);
    if (!m || !cg_verify(m, err)) {
        printf("FAIL: %s (%s): %s\n", d->name, triple, err);
        failures++;
    }
    if (m)
        LLVMDisposeModule(m);
    LLVMContextDispose(ctx);
    LLVMDisposeMessage(triple);
    LLVMDisposeMessage(dl);
    checked++;
}

/* The full pipeline for one target; emits an object (cpu) or PTX in memory. */
static void check_build(Compilation *c, Decl *d, CgTarget t, LLVMTargetMachineRef tm, const char *tmpl)
{
    char err[CG_ERR_LEN] = "";
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef m = cg_build(ctx, tm, t, &c->arena, &d, 1, tmpl, true, err);
    LLVMMemoryBufferRef buf = NULL;
    char *msg = NULL;
    if (!m || !cg_verify(m, err) ||
        LLVMTargetMachineEmitToMemoryBuffer(tm, m, t == CG_TARGET_X86 ? LLVMObjectFile : LLVMAssemblyFile,
                                            &msg, &buf)) {
        printf("FAIL: %s (%s, %s): %s%s\n", d->name, cg_target_name(t), tmpl, err, msg ? msg : "");
        failures++;
    }
    LLVMDisposeMessage(msg);
    if (buf)
        LLVMDisposeMemoryBuffer(buf);
    if (m)
        LLVMDisposeModule(m);
    LLVMContextDispose(ctx);
    checked++;
}

static void check_file(const char *path, LLVMTargetMachineRef *tms)
{
    double t0 = now_ms();
    Compilation c;
    compilation_init(&c, stderr);
    Module *m = compile_file(&c, path);
    if (!m || c.diags.errors) {
        printf("FAIL: %s does not compile\n", path);
        failures++;
        compilation_free(&c);
        return;
    }
    bool timed = false;
    for (int i = 0; i < m->ndecls; i++) {
        Decl *d = m->decls[i];
        if (d->kind != DECL_ATTENTION)
            continue;
        if (!timed) {
            const unsigned char *data;
            size_t size;
            const char *tmpl = cg_template_bitcode("attn_fwd_cpu", CG_TARGET_X86, &data, &size)
                                   ? "attn_fwd_cpu" : "attn_probe";
            check_build(&c, d, CG_TARGET_X86, tms[CG_TARGET_X86], tmpl);
            printf("compile time %s:%s (parse + sema + lower + link + O3 + object, %s): %.1f ms\n",
                   path, d->name, tmpl, now_ms() - t0);
            timed = true;
        }
        check_lower(&c, d, tms[CG_TARGET_X86]);
        check_lower(&c, d, tms[CG_TARGET_SM80]);
        for (int t = 0; t < CG_TARGET_COUNT; t++)
            check_build(&c, d, (CgTarget)t, tms[t], "attn_probe");
    }
    compilation_free(&c);
}

int main(int argc, char **argv)
{
    char err[CG_ERR_LEN];
    LLVMTargetMachineRef tms[CG_TARGET_COUNT];
    for (int t = 0; t < CG_TARGET_COUNT; t++)
        if (!(tms[t] = cg_target_machine((CgTarget)t, true, err))) {
            printf("FAIL: %s\n", err);
            return 1;
        }
    for (int i = 1; i < argc; i++)
        check_file(argv[i], tms);
    for (int t = 0; t < CG_TARGET_COUNT; t++)
        LLVMDisposeTargetMachine(tms[t]);
    printf("%d checks, %d failures\n", checked, failures);
    return failures != 0;
}
