/* gpu_variant.c - attn_gpu_variant from a declaration and an emu JIT
 * (gpu_variant.h). */
#include "gpu_variant.h"
#include "run_attention.h"

bool gpu_variant_build(Arena *arena, const Decl *d, CgJit *jit, attn_variant *var,
                       attn_gpu_variant *gv, char *err)
{
    run_attn_describe(arena, d, var);
    var->hook_scale = (attn_scale_fn)cg_jit_lookup(jit, d->name, "attn_hook_scale", err);
    const CgGpuSpec *specs;
    int n = cg_gpu_specs(&specs);
    attn_gpu_kernel *k = arena_alloc(arena, (size_t)n * sizeof *k);
    *gv = (attn_gpu_variant){.var = var, .kernels = k, .nkernels = n};
    for (int i = 0; i < n && var->hook_scale; i++) {
        const char *entry = cg_gpu_entry(arena, &specs[i]);
        k[i] = (attn_gpu_kernel){.dtype = specs[i].dtype, .d = specs[i].d, .dv = specs[i].dv,
                                 .entry = arena_printf(arena, "%s_%s", d->name, entry),
                                 .emu = (attn_emu_kernel_fn)cg_jit_lookup(jit, d->name, entry, err)};
        if (!k[i].emu)
            return false;
    }
    return var->hook_scale != NULL;
}
