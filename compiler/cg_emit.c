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

/* Renames v to prefix_<its name> (`buf` holds the prefix and '_' and has
 * room for `room` name bytes; false when the name is longer). */
static bool cg_prefix_one(LLVMValueRef v, char *buf, size_t plen, size_t room)
{
    size_t len;
    const char *name = LLVMGetValueName2(v, &len);
    if (len > room)
        return false;
    memcpy(buf + plen, name, len);
    LLVMSetValueName2(v, buf, plen + len);
    return true;
}

bool cg_prefix_symbols(LLVMModuleRef m, const char *prefix, char *err)
{
    char buf[1024];
    size_t plen = strlen(prefix) + 1, room = plen < sizeof buf ? sizeof buf - plen : 0;
    snprintf(buf, sizeof buf, "%s_", prefix);
    bool ok = true;
    for (LLVMValueRef f = LLVMGetFirstFunction(m); ok && f; f = LLVMGetNextFunction(f))
        ok = !cg_exported(f) || cg_prefix_one(f, buf, plen, room);
    for (LLVMValueRef g = LLVMGetFirstGlobal(m); ok && g; g = LLVMGetNextGlobal(g))
        ok = !cg_exported(g) || cg_prefix_one(g, buf, plen, room);
    if (!ok)
        snprintf(err, CG_ERR_LEN, "output name '%.200s' and a variant name make a symbol longer "
                 "than %d bytes", prefix, (int)sizeof buf);
    return ok;
}
