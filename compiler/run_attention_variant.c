/* run_attention_variant.c - an attention declaration's runtime descriptor
 * and its host JIT (run_attention.h). */
#include <string.h>

#include "analysis.h"
#include "run_attention.h"
#include "run_scan.h"

void run_attn_describe(Arena *arena, const Decl *d, attn_variant *v)
{
    attn_param_desc *params = arena_alloc(arena, (size_t)(d->nparams + 1) * sizeof *params);
    for (int i = 0; i < d->nparams; i++) {
        run_scan_param_desc(d, d->params[i], &params[i]);
        if (params[i].kind == ATTN_PARAM_PACK)
            params[i].pack_dim = ATTN_DIM_KV;
    }
    const MaskAnalysis *mask = analysis_mask(arena, d);
    *v = (attn_variant){.name = d->name, .kind = ATTN_KIND_ATTENTION, .dims = d->dims,
                        .ndims = d->ndims, .params = params, .nparams = d->nparams,
                        .needs_block_mask = analysis_needs_block_mask(d),
                        .mask_independent_of_b = !mask->uses_b,
                        .mask_independent_of_h = !mask->uses_h,
                        .mask_reads_launch_dims = mask->uses_launch_dims};
    run_variant_preconds(arena, d, v);
}

bool run_attn_program(Arena *arena, Decl *d, AttnProgram *p, char *err)
{
    memset(p, 0, sizeof *p);
    p->jit = cg_jit_create(arena, &d, 1, cg_attention_template(CG_TARGET_X86), err);
    if (!p->jit)
        return false;
    void *fwd = cg_jit_lookup(p->jit, d->name, "attn_fwd_cpu", err);
    void *scale = fwd ? cg_jit_lookup(p->jit, d->name, "attn_hook_scale", err) : NULL;
    void *ranges = scale ? cg_jit_lookup(p->jit, d->name, "attn_hook_kv_ranges", err) : NULL;
    void *mask = ranges ? cg_jit_lookup(p->jit, d->name, "attn_hook_mask", err) : NULL;
    if (!mask) {
        run_attn_program_free(p);
        return false;
    }
    run_attn_describe(arena, d, &p->var);
    p->var.cpu_fwd = (attn_cpu_fwd_fn)fwd;
    p->var.hook_scale = (attn_scale_fn)scale;
    p->var.kv_ranges = (attn_kv_ranges_fn)ranges;
    p->var.mask_fn = (attn_mask_fn)mask;
    return true;
}

void run_attn_program_free(AttnProgram *p)
{
    cg_jit_free(p->jit);
    p->jit = NULL;
}
