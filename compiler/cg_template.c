/* cg_template.c - the embedded kernel template bitcode (cg_blobs.h). */
#include <stdio.h>
#include <string.h>

#include <llvm-c/BitReader.h>

#include "cg.h"
#include "cg_blobs.h"

/* Blob target names are the build's (cmake/AttnKernels.cmake). */
static const char *const cg_blob_targets[CG_TARGET_COUNT] = {"x86", "sm_80", "sm_90a"};

bool cg_template_bitcode(const char *name, CgTarget t, const unsigned char **data, size_t *size)
{
    for (int i = 0; i < cg_nblobs; i++)
        if (strcmp(cg_blobs[i].name, name) == 0 && strcmp(cg_blobs[i].target, cg_blob_targets[t]) == 0) {
            *data = cg_blobs[i].data;
            *size = cg_blobs[i].size;
            return true;
        }
    return false;
}

LLVMModuleRef cg_template_load(LLVMContextRef ctx, const char *name, CgTarget t, char *err)
{
    const unsigned char *data;
    size_t size;
    if (!cg_template_bitcode(name, t, &data, &size)) {
        snprintf(err, CG_ERR_LEN, "no kernel template '%.200s' for target %s", name, cg_target_name(t));
        return NULL;
    }
    LLVMMemoryBufferRef buf = LLVMCreateMemoryBufferWithMemoryRange((const char *)data, size, name, 0);
    LLVMModuleRef m = NULL;
    if (LLVMParseBitcodeInContext2(ctx, buf, &m)) {
        snprintf(err, CG_ERR_LEN, "corrupt embedded bitcode of template '%.200s'", name);
        m = NULL;
    }
    LLVMDisposeMemoryBuffer(buf);
    return m;
}

const char *cg_attention_template(CgTarget t)
{
    /* Until the GPU forward template exists, sm targets instantiate the hook
     * probe kernel (kernels/attn_probe.c). */
    return t == CG_TARGET_X86 ? "attn_fwd_cpu" : "attn_probe";
}
