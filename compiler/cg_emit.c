/* cg_emit.c - writing a finished module: object, assembly / PTX, LLVM IR. */
#include <stdio.h>
#include <string.h>

#include "cg.h"

bool cg_emit_file(LLVMModuleRef m, LLVMTargetMachineRef tm, CgEmit kind, const char *path,
                  char *err)
{
    char *msg = NULL;
    bool failed;
    if (kind == CG_EMIT_LLVM) {
        failed = LLVMPrintModuleToFile(m, path, &msg);
    } else {
        /* The C API takes a mutable path; copy it. */
        size_t n = strlen(path) + 1;
        char buf[4096];
        if (n > sizeof buf) {
            snprintf(err, CG_ERR_LEN, "%.200s...: path too long", path);
            return false;
        }
        memcpy(buf, path, n);
        failed = LLVMTargetMachineEmitToFile(tm, m, buf,
                                             kind == CG_EMIT_OBJ ? LLVMObjectFile : LLVMAssemblyFile,
                                             &msg);
    }
    if (failed)
        snprintf(err, CG_ERR_LEN, "%.200s: %.300s", path, msg ? msg : "cannot write");
    LLVMDisposeMessage(msg);
    return !failed;
}

/* Whether v (a function or global of a module) is defined here and visible
 * to other objects. */
static bool cg_exported(LLVMValueRef v)
{
    LLVMLinkage l = LLVMGetLinkage(v);
    return !LLVMIsDeclaration(v) && l != LLVMInternalLinkage && l != LLVMPrivateLinkage;
}

/* Renames v to prefix_<its name>. */
static void cg_prefix_one(LLVMValueRef v, const char *prefix)
{
    size_t len;
    const char *name = LLVMGetValueName2(v, &len);
    size_t plen = strlen(prefix), n = plen + 1 + len;
    char buf[512];
    if (n >= sizeof buf)
        return; /* names are variant names plus an entry suffix: far shorter */
    memcpy(buf, prefix, plen);
    buf[plen] = '_';
    memcpy(buf + plen + 1, name, len);
    LLVMSetValueName2(v, buf, n);
}

void cg_prefix_symbols(LLVMModuleRef m, const char *prefix)
{
    for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f))
        if (cg_exported(f))
            cg_prefix_one(f, prefix);
    for (LLVMValueRef g = LLVMGetFirstGlobal(m); g; g = LLVMGetNextGlobal(g))
        if (cg_exported(g))
            cg_prefix_one(g, prefix);
}
