/* cg_jit.c - in-process compilation for the host CPU with ORC's LLJIT. */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>

#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>

#include "cg.h"

struct CgJit {
    LLVMOrcLLJITRef jit;
};

static bool cg_jit_error(LLVMErrorRef e, const char *what, char *err)
{
    if (!e)
        return false;
    char *msg = LLVMGetErrorMessage(e);
    snprintf(err, CG_ERR_LEN, "%.100s: %.400s", what, msg);
    LLVMDisposeErrorMessage(msg);
    return true;
}

/* An LLJIT for the host that resolves symbols the code needs from the process
 * (libm, memset, ...). */
static LLVMOrcLLJITRef cg_jit_new(char *err)
{
    LLVMOrcJITTargetMachineBuilderRef jtmb;
    if (cg_jit_error(LLVMOrcJITTargetMachineBuilderDetectHost(&jtmb), "JIT", err))
        return NULL;
    LLVMOrcLLJITBuilderRef b = LLVMOrcCreateLLJITBuilder();
    LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(b, jtmb);
    LLVMOrcLLJITRef jit;
    if (cg_jit_error(LLVMOrcCreateLLJIT(&jit, b), "JIT", err))
        return NULL;
    LLVMOrcDefinitionGeneratorRef gen;
    if (cg_jit_error(LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(
                         &gen, LLVMOrcLLJITGetGlobalPrefix(jit), NULL, NULL),
                     "JIT", err)) {
        LLVMOrcDisposeLLJIT(jit);
        return NULL;
    }
    LLVMOrcJITDylibAddGenerator(LLVMOrcLLJITGetMainJITDylib(jit), gen);
    return jit;
}

CgJit *cg_jit_create(Arena *arena, Decl *const *decls, int n, const char *tmpl, char *err)
{
    LLVMTargetMachineRef tm = cg_target_machine(CG_TARGET_X86, true, err);
    if (!tm)
        return NULL;
    LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
    LLVMModuleRef m = cg_build(LLVMOrcThreadSafeContextGetContext(tsc), tm, CG_TARGET_X86, arena,
                               decls, n, tmpl, true, err);
    LLVMDisposeTargetMachine(tm);
    LLVMOrcLLJITRef jit = m ? cg_jit_new(err) : NULL;
    if (!jit) {
        if (m)
            LLVMDisposeModule(m);
        LLVMOrcDisposeThreadSafeContext(tsc);
        return NULL;
    }
    LLVMOrcThreadSafeModuleRef tsm = LLVMOrcCreateNewThreadSafeModule(m, tsc);
    LLVMOrcDisposeThreadSafeContext(tsc); /* the module keeps the context alive */
    LLVMErrorRef e = LLVMOrcLLJITAddLLVMIRModule(jit, LLVMOrcLLJITGetMainJITDylib(jit), tsm);
    if (cg_jit_error(e, "JIT", err)) {
        LLVMOrcDisposeThreadSafeModule(tsm);
        LLVMOrcDisposeLLJIT(jit);
        return NULL;
    }
    CgJit *j = malloc(sizeof *j);
    if (!j) {
        snprintf(err, CG_ERR_LEN, "out of memory");
        LLVMOrcDisposeLLJIT(jit);
        return NULL;
    }
    j->jit = jit;
    return j;
}

void *cg_jit_lookup(CgJit *j, const char *variant, const char *entry, char *err)
{
    char name[512];
    snprintf(name, sizeof name, "%.250s_%.250s", variant, entry);
    LLVMOrcExecutorAddress addr = 0;
    if (cg_jit_error(LLVMOrcLLJITLookup(j->jit, &addr, name), name, err))
        return NULL;
    return (void *)(uintptr_t)addr;
}

void cg_jit_free(CgJit *j)
{
    if (!j)
        return;
    LLVMOrcDisposeLLJIT(j->jit);
    free(j);
}
