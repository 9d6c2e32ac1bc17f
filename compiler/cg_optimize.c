/* cg_optimize.c - default<O3> on an instantiated module, except the template
 * code every variant shares (cg.h, cg_optimize). */
#include <stdio.h>
#include <string.h>

#include <llvm-c/Linker.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "cg.h"

static bool cg_run_o3(LLVMModuleRef m, LLVMTargetMachineRef tm, char *err)
{
    LLVMPassBuilderOptionsRef opts = LLVMCreatePassBuilderOptions();
    LLVMErrorRef e = LLVMRunPasses(m, "default<O3>", tm, opts);
    LLVMDisposePassBuilderOptions(opts);
    if (!e)
        return true;
    char *msg = LLVMGetErrorMessage(e);
    snprintf(err, CG_ERR_LEN, "internal error: optimizer: %.400s", msg);
    LLVMDisposeErrorMessage(msg);
    return false;
}

static bool cg_is_fixed(LLVMValueRef f)
{
    const char *section = LLVMIsDeclaration(f) ? NULL : LLVMGetSection(f);
    return section && strcmp(section, CG_FIXED_SECTION) == 0;
}

/* The function a call or invoke instruction calls, if it is a plain function. */
static LLVMValueRef cg_callee(LLVMValueRef inst)
{
    LLVMOpcode op = LLVMGetInstructionOpcode(inst);
    if (op != LLVMCall && op != LLVMInvoke)
        return NULL;
    LLVMValueRef callee = LLVMGetCalledValue(inst);
    return callee && LLVMIsAFunction(callee) ? callee : NULL;
}

/* Whether the fixed functions of m keep the contract of CG_FIXED_SECTION:
 * they call only declarations, intrinsics and other fixed functions. */
static bool cg_fixed_closed(LLVMModuleRef m)
{
    for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f)) {
        if (!cg_is_fixed(f))
            continue;
        for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(f); bb; bb = LLVMGetNextBasicBlock(bb))
            for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i)) {
                LLVMValueRef callee = cg_callee(i);
                if (callee && !LLVMIsDeclaration(callee) && !cg_is_fixed(callee))
                    return false;
            }
    }
    return true;
}

/* Turns definition f into a declaration (external, as declarations must
 * be), as Function::deleteBody does: values and blocks lose their uses
 * (results become poison, terminators go) before anything is deleted. */
static void cg_drop_body(LLVMValueRef f)
{
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(f); bb; bb = LLVMGetNextBasicBlock(bb))
        for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i))
            if (LLVMGetTypeKind(LLVMTypeOf(i)) != LLVMVoidTypeKind)
                LLVMReplaceAllUsesWith(i, LLVMGetPoison(LLVMTypeOf(i)));
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(f); bb; bb = LLVMGetNextBasicBlock(bb)) {
        LLVMValueRef i;
        while ((i = LLVMGetFirstInstruction(bb)))
            LLVMInstructionEraseFromParent(i);
    }
    LLVMBasicBlockRef bb;
    while ((bb = LLVMGetFirstBasicBlock(f)))
        LLVMDeleteBasicBlock(bb);
    LLVMSetLinkage(f, LLVMExternalLinkage);
}

/* The number of instructions of f. */
static int cg_size(LLVMValueRef f)
{
    int n = 0;
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(f); bb; bb = LLVMGetNextBasicBlock(bb))
        for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i))
            n++;
    return n;
}

/* The fixed function NAME that fixed function NAME.<digits> copies, or NULL. */
static LLVMValueRef cg_fixed_original(LLVMModuleRef m, LLVMValueRef f)
{
    size_t len;
    const char *name = LLVMGetValueName2(f, &len);
    const char *dot = strrchr(name, '.');
    if (!dot || dot == name || !dot[1] || strspn(dot + 1, "0123456789") != strlen(dot + 1) ||
        (size_t)(dot - name) >= 256)
        return NULL;
    char base[256];
    memcpy(base, name, (size_t)(dot - name));
    base[dot - name] = 0;
    LLVMValueRef orig = LLVMGetNamedFunction(m, base);
    if (!orig || !cg_is_fixed(orig) || LLVMGlobalGetValueType(orig) != LLVMGlobalGetValueType(f) ||
        cg_size(orig) != cg_size(f))
        return NULL;
    return orig;
}

/* Every variant instance brings its own copy of the fixed functions, all
 * from the same template bitcode; linking named them NAME, NAME.1, ...
 * Uses of a copy go to the first one and the copy is deleted, so a file of
 * many variants compiles the shared code once. */
static void cg_dedupe_fixed(LLVMModuleRef m)
{
    for (LLVMValueRef f = LLVMGetFirstFunction(m), next; f; f = next) {
        next = LLVMGetNextFunction(f);
        LLVMValueRef orig = cg_is_fixed(f) ? cg_fixed_original(m, f) : NULL;
        if (orig) {
            LLVMReplaceAllUsesWith(f, orig);
            LLVMDeleteFunction(f);
        }
    }
}

/* Splits m: returns a module with the bodies of m's fixed functions (the
 * rest removed) and leaves declarations of them in m; the fixed functions
 * are external in both so that linking joins them again. */
static LLVMModuleRef cg_split_fixed(LLVMModuleRef m)
{
    LLVMModuleRef fixed = LLVMCloneModule(m);
    for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f))
        if (cg_is_fixed(f))
            cg_drop_body(f);
    for (LLVMValueRef f = LLVMGetFirstFunction(fixed); f; f = LLVMGetNextFunction(f))
        if (cg_is_fixed(f))
            LLVMSetLinkage(f, LLVMExternalLinkage);
        else if (!LLVMIsDeclaration(f))
            cg_drop_body(f);
    /* What the fixed code does not call is unused now. */
    for (LLVMValueRef f = LLVMGetFirstFunction(fixed), next; f; f = next) {
        next = LLVMGetNextFunction(f);
        if (LLVMIsDeclaration(f) && !LLVMGetFirstUse(f))
            LLVMDeleteFunction(f);
    }
    return fixed;
}

bool cg_optimize(LLVMModuleRef m, LLVMTargetMachineRef tm, char *err)
{
    bool any = false;
    for (LLVMValueRef f = LLVMGetFirstFunction(m); f && !any; f = LLVMGetNextFunction(f))
        any = cg_is_fixed(f);
    if (!any || !cg_fixed_closed(m))
        return cg_run_o3(m, tm, err);
    cg_dedupe_fixed(m);
    LLVMModuleRef fixed = cg_split_fixed(m);
    if (!cg_run_o3(m, tm, err)) {
        LLVMDisposeModule(fixed);
        return false;
    }
    if (LLVMLinkModules2(m, fixed)) {
        snprintf(err, CG_ERR_LEN, "internal error: cannot link the fixed template code back");
        return false;
    }
    for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f))
        if (cg_is_fixed(f))
            LLVMSetLinkage(f, LLVMInternalLinkage);
    return true;
}
