/* cg_template.c - the embedded kernel template bitcode (cg_blobs.h). A
 * template has one or more parts (e.g. the GPU template's specialisations,
 * kernels/attn_gpu_specs.h), all of one name and target. */
#include <stdio.h>
#include <string.h>

#include <llvm-c/BitReader.h>
#include <llvm-c/Linker.h>

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

/* Parses blob i into ctx; NULL + err if corrupt. */
static LLVMModuleRef cg_blob_parse(LLVMContextRef ctx, int i, char *err)
{
    LLVMMemoryBufferRef buf = LLVMCreateMemoryBufferWithMemoryRange(
        (const char *)cg_blobs[i].data, cg_blobs[i].size, cg_blobs[i].name, 0);
    LLVMModuleRef m = NULL;
    if (LLVMParseBitcodeInContext2(ctx, buf, &m)) {
        snprintf(err, CG_ERR_LEN, "corrupt embedded bitcode of template '%.200s'", cg_blobs[i].name);
        m = NULL;
    }
    LLVMDisposeMemoryBuffer(buf);
    return m;
}

LLVMModuleRef cg_template_load(LLVMContextRef ctx, const char *name, CgTarget t, char *err)
{
    LLVMModuleRef m = NULL;
    for (int i = 0; i < cg_nblobs; i++) {
        if (strcmp(cg_blobs[i].name, name) != 0 || strcmp(cg_blobs[i].target, cg_blob_targets[t]) != 0)
            continue;
        LLVMModuleRef part = cg_blob_parse(ctx, i, err);
        if (!part) {
            if (m)
                LLVMDisposeModule(m);
            return NULL;
        }
        if (!m) {
            m = part;
        } else if (LLVMLinkModules2(m, part)) { /* consumes part; statics are renamed apart */
            snprintf(err, CG_ERR_LEN, "internal error: cannot link the parts of template '%.200s'", name);
            LLVMDisposeModule(m);
            return NULL;
        }
    }
    if (!m)
        snprintf(err, CG_ERR_LEN, "no kernel template '%.200s' for target %s", name, cg_target_name(t));
    return m;
}

const char *cg_scan_template(CgTarget t, const char *tmpl)
{
    if (cg_target_is_gpu(t))
        return CG_TEMPLATE_SCAN_GPU;
    bool emu = tmpl && (strcmp(tmpl, CG_TEMPLATE_GPU_EMU) == 0 || strcmp(tmpl, CG_TEMPLATE_SCAN_GPU_EMU) == 0);
    return emu ? CG_TEMPLATE_SCAN_GPU_EMU : CG_TEMPLATE_SCAN_CPU;
}

const char *cg_attention_template(CgTarget t)
{
    return t == CG_TARGET_X86 ? "attn_fwd_cpu" : "attn_fwd_gpu";
}
