/* run_gpu.c - attn_gpu_variant from a declaration (run_gpu.h). */
#include <stdio.h>

#include "run_attention.h"
#include "run_gpu.h"

bool run_gpu_kernels(Arena *arena, const Decl *d, CgJit *emu_jit, attn_gpu_variant *gv, char *err)
{
    const CgGpuSpec *specs;
    int n = cg_gpu_specs(&specs);
    attn_gpu_kernel *k = arena_alloc(arena, (size_t)n * sizeof *k);
    gv->kernels = k;
    gv->nkernels = n;
    for (int i = 0; i < n; i++) {
        const char *entry = cg_gpu_entry(arena, &specs[i]);
        k[i] = (attn_gpu_kernel){.dtype = specs[i].dtype, .d = specs[i].d, .dv = specs[i].dv,
                                 .entry = arena_printf(arena, "%s_%s", d->name, entry)};
        if (emu_jit && !(k[i].emu = (attn_emu_kernel_fn)cg_jit_lookup(emu_jit, d->name, entry, err)))
            return false;
    }
    return !emu_jit || run_gpu_bm_kernels(d, emu_jit, gv, err);
}

bool run_gpu_bm_kernels(const Decl *d, CgJit *emu_jit, attn_gpu_variant *gv, char *err)
{
    static const char *const entries[ATTN_GPU_BM_KERNELS] = ATTN_GPU_BM_ENTRIES;
    for (int i = 0; i < ATTN_GPU_BM_KERNELS; i++)
        if (!(gv->bm_emu[i] = (attn_emu_kernel_fn)cg_jit_lookup(emu_jit, d->name, entries[i], err)))
            return false;
    return true;
}

bool run_gpu_variant_build(Arena *arena, const Decl *d, CgJit *emu_jit, attn_variant *var,
                           attn_gpu_variant *gv, char *err)
{
    run_attn_describe(arena, d, var);
    *gv = (attn_gpu_variant){.var = var};
    return run_gpu_kernels(arena, d, emu_jit, gv, err);
}

bool run_gpu_has_spec(int32_t dtype, int32_t d, int32_t dv, char *have, size_t havelen)
{
    const CgGpuSpec *specs;
    int n = cg_gpu_specs(&specs);
    size_t len = 0;
    have[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (specs[i].dtype != dtype)
            continue;
        if (specs[i].d == d && specs[i].dv == dv)
            return true;
        if (len < havelen)
            len += (size_t)snprintf(have + len, havelen - len, "%s(%d, %d)", len ? ", " : "",
                                    specs[i].d, specs[i].dv);
    }
    return false;
}
