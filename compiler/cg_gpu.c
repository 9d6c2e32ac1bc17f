/* cg_gpu.c - the GPU attention kernels of variants: PTX text in memory (for
 * the CUDA run path and launch stubs that embed PTX in C) and the table of
 * the template's specialisations (kernels/attn_gpu_specs.h). */
#include <stdio.h>
#include <string.h>

#include "attn_abi.h"
#include "attn_gpu_specs.h"
#include "cg.h"

#define CG_GPU_SPEC_ROW(DT, DH, DHV) {ATTN_##DT, DH, DHV},
static const CgGpuSpec cg_gpu_spec_table[] = {ATTN_GPU_SPECS(CG_GPU_SPEC_ROW)};

int cg_gpu_specs(const CgGpuSpec **out)
{
    *out = cg_gpu_spec_table;
    return (int)(sizeof cg_gpu_spec_table / sizeof cg_gpu_spec_table[0]);
}

const char *cg_gpu_entry(Arena *arena, const CgGpuSpec *s)
{
    const char *dt = s->dtype == ATTN_BF16 ? "bf16" : "f16";
    if (s->d == s->dv)
        return arena_printf(arena, "attn_fwd_gpu_%s_d%d", dt, s->d);
    return arena_printf(arena, "attn_fwd_gpu_%s_d%d_dv%d", dt, s->d, s->dv);
}

const char *cg_gpu_ptx(Arena *arena, Decl *const *decls, int n, CgTarget t, char *err)
{
    if (!cg_target_is_gpu(t)) {
        snprintf(err, CG_ERR_LEN, "no PTX for target %s", cg_target_name(t));
        return NULL;
    }
    LLVMTargetMachineRef tm = cg_target_machine(t, false, err);
    if (!tm)
        return NULL;
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef m = cg_build(ctx, tm, t, arena, decls, n, cg_attention_template(t), true, err);
    LLVMMemoryBufferRef buf = NULL;
    char *msg = NULL;
    if (m && LLVMTargetMachineEmitToMemoryBuffer(tm, m, LLVMAssemblyFile, &msg, &buf)) {
        snprintf(err, CG_ERR_LEN, "internal error: PTX emission: %.400s", msg ? msg : "failed");
        buf = NULL;
    }
    char *ptx = NULL;
    if (buf) {
        size_t len = LLVMGetBufferSize(buf);
        ptx = arena_strndup(arena, LLVMGetBufferStart(buf), len); /* NUL-terminated */
        LLVMDisposeMemoryBuffer(buf);
    }
    LLVMDisposeMessage(msg);
    if (m)
        LLVMDisposeModule(m);
    LLVMContextDispose(ctx);
    LLVMDisposeTargetMachine(tm);
    return ptx;
}
