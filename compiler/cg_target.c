/* cg_target.c - the one place that creates target machines (cg.h). */
#include <stdio.h>
#include <string.h>

#include <llvm-c/Target.h>

#include "cg.h"

static const char *const cg_target_names[CG_TARGET_COUNT] = {"cpu", "sm_80", "sm_90a"};

bool cg_target_parse(const char *name, CgTarget *out)
{
    for (int t = 0; t < CG_TARGET_COUNT; t++)
        if (strcmp(name, cg_target_names[t]) == 0) {
            *out = (CgTarget)t;
            return true;
        }
    return false;
}

const char *cg_target_name(CgTarget t) { return cg_target_names[t]; }
bool cg_target_is_gpu(CgTarget t) { return t != CG_TARGET_X86; }

/* Registers the two backends attnc uses (idempotent). */
static void cg_init_targets(void)
{
    LLVMInitializeX86TargetInfo();
    LLVMInitializeX86Target();
    LLVMInitializeX86TargetMC();
    LLVMInitializeX86AsmPrinter();
    LLVMInitializeNVPTXTargetInfo();
    LLVMInitializeNVPTXTarget();
    LLVMInitializeNVPTXTargetMC();
    LLVMInitializeNVPTXAsmPrinter();
}

LLVMTargetMachineRef cg_target_machine(CgTarget t, bool host, char *err)
{
    cg_init_targets();
    const char *triple = t == CG_TARGET_X86 ? "x86_64-unknown-linux-gnu" : "nvptx64-nvidia-cuda";
    LLVMTargetRef target;
    char *msg = NULL;
    if (LLVMGetTargetFromTriple(triple, &target, &msg)) {
        snprintf(err, CG_ERR_LEN, "no LLVM target for %s: %.400s", triple, msg ? msg : "?");
        LLVMDisposeMessage(msg);
        return NULL;
    }
    if (t != CG_TARGET_X86)
        return LLVMCreateTargetMachine(target, triple, t == CG_TARGET_SM80 ? "sm_80" : "sm_90a",
                                       "+ptx80", LLVMCodeGenLevelAggressive, LLVMRelocDefault,
                                       LLVMCodeModelDefault);
    if (!host)
        return LLVMCreateTargetMachine(target, triple, "x86-64-v3", "", LLVMCodeGenLevelAggressive,
                                       LLVMRelocPIC, LLVMCodeModelDefault);
    char *cpu = LLVMGetHostCPUName(), *features = LLVMGetHostCPUFeatures();
    LLVMTargetMachineRef tm = LLVMCreateTargetMachine(target, triple, cpu, features,
                                                      LLVMCodeGenLevelAggressive, LLVMRelocPIC,
                                                      LLVMCodeModelDefault);
    LLVMDisposeMessage(cpu);
    LLVMDisposeMessage(features);
    return tm;
}

char *cg_data_layout(LLVMTargetMachineRef tm)
{
    LLVMTargetDataRef td = LLVMCreateTargetDataLayout(tm);
    char *s = LLVMCopyStringRepOfTargetData(td);
    LLVMDisposeTargetData(td);
    return s;
}
