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
