/* run_scan_variant.c - JIT-compiling a scan and describing it to the
 * runtime (run_scan.h). */
#include <string.h>

#include "run_scan.h"

static int32_t run_scan_dtype(ScalarKind sk)
{
    switch (sk) {
    case SK_F16: return ATTN_F16;
    case SK_BF16: return ATTN_BF16;
    case SK_I32: return ATTN_I32;
    case SK_BOOL: return ATTN_BOOL;
    default: return ATTN_F32;
    }
}

void run_scan_param_desc(const Decl *d, const Param *prm, attn_param_desc *desc)
{
    const TypeRef *ty = prm->type;
    memset(desc, 0, sizeof *desc);
    desc->name = prm->name;
    desc->pack_dim = -1;
    if (ty->kind == TY_PACK) {
        desc->kind = ATTN_PARAM_PACK;
        desc->pack_dim = d->scan.axis_dim_id; /* every pack of a scan splits its axis */
    } else if (ty->kind == TY_TENSOR) {
        desc->kind = ATTN_PARAM_TENSOR;
        desc->dtype = run_scan_dtype(ty->scalar);
        desc->rank = ty->ndims;
        for (int k = 0; k < ty->ndims && k < ATTN_MAX_RANK; k++) {
            desc->dim_id[k] = ty->dims[k].dim_id;
            desc->dim_const[k] = ty->dims[k].value;
        }
    } else {
        desc->kind = ty->scalar == SK_BOOL ? ATTN_PARAM_BOOL
                     : ty->scalar == SK_I32 ? ATTN_PARAM_I32 : ATTN_PARAM_F32;
        desc->has_default = prm->init && prm->init->const_valid;
        if (desc->kind == ATTN_PARAM_F32)
            desc->default_value.u.f = desc->has_default ? (float)prm->init->const_value : 0.0f;
        else
            desc->default_value.u.i = desc->has_default ? (int32_t)prm->init->const_value : 0;
    }
}

void run_variant_preconds(Arena *arena, const Decl *d, attn_variant *v)
{
    attn_precond *pc = arena_alloc(arena, (size_t)(d->nfacts + 1) * sizeof *pc);
    int n = 0;
    for (int i = 0; i < d->nfacts; i++) {
        const BoundsFact *f = d->facts[i];
        if (f->kind != BOUNDS_PRECOND)
            continue;
        pc[n] = (attn_precond){.param = f->param, .axis = f->axis, .c = f->need.c,
                               .nterms = f->need.nterms};
        for (int k = 0; k < f->need.nterms && k < 4; k++) {
            pc[n].dim[k] = f->need.dim[k];
            pc[n].coef[k] = f->need.coef[k];
        }
        n++;
    }
    v->preconds = pc;
    v->npreconds = n;
}

/* Starts *p: checks d's outputs and JIT-compiles it from template tmpl. */
static bool run_scan_jit(Arena *arena, Decl *d, const char *tmpl, ScanProgram *p, char *err)
{
    memset(p, 0, sizeof *p);
    if (d->noutputs > ATTN_MAX_SCAN_OUTPUTS) {
        snprintf(err, CG_ERR_LEN, "scan '%.200s' has more than %d outputs", d->name,
                 ATTN_MAX_SCAN_OUTPUTS);
        return false;
    }
    p->jit = cg_jit_create(arena, &d, 1, tmpl, err);
    return p->jit != NULL;
}

void run_scan_describe(Arena *arena, const Decl *d, attn_variant *var, attn_scan_desc *desc)
{
    attn_param_desc *params = arena_alloc(arena, (size_t)(d->nparams + 1) * sizeof *params);
    attn_param_desc *outs = arena_alloc(arena, (size_t)(d->noutputs + 1) * sizeof *outs);
    for (int i = 0; i < d->nparams; i++)
        run_scan_param_desc(d, d->params[i], &params[i]);
    for (int i = 0; i < d->noutputs; i++)
        run_scan_param_desc(d, d->outputs[i], &outs[i]);
    *desc = (attn_scan_desc){.outputs = outs, .noutputs = d->noutputs, .axis_dim = d->scan.axis_dim_id};
    *var = (attn_variant){.name = d->name, .kind = ATTN_KIND_SCAN, .dims = (const char *const *)d->dims,
                          .ndims = d->ndims, .params = params, .nparams = d->nparams, .scan = desc};
    run_variant_preconds(arena, d, var);
}

bool run_scan_program(Arena *arena, Decl *d, ScanProgram *p, char *err)
{
    if (!run_scan_jit(arena, d, CG_TEMPLATE_SCAN_CPU, p, err))
        return false;
    void *rows = cg_jit_lookup(p->jit, d->name, "attn_scan_rows", err);
    void *scratch = rows ? cg_jit_lookup(p->jit, d->name, "attn_scan_scratch", err) : NULL;
    void *cpu = scratch ? cg_jit_lookup(p->jit, d->name, "attn_scan_cpu", err) : NULL;
    if (!cpu) {
        run_scan_program_free(p);
        return false;
    }
    run_scan_describe(arena, d, &p->var, &p->desc);
    p->desc.rows = (attn_scan_size_fn)rows;
    p->desc.scratch = (attn_scan_size_fn)scratch;
    p->desc.cpu = (attn_scan_cpu_fn)cpu;
    return true;
}

bool run_scan_gpu_program(Arena *arena, Decl *d, const CgTarget *ptx, ScanProgram *p, char *err)
{
    if (!run_scan_jit(arena, d, CG_TEMPLATE_SCAN_GPU_EMU, p, err))
        return false;
    void *emu = cg_jit_lookup(p->jit, d->name, "attn_scan_gpu", err);
    void *rows = emu ? cg_jit_lookup(p->jit, d->name, "attn_scan_gpu_rows", err) : NULL;
    void *smem = rows ? cg_jit_lookup(p->jit, d->name, "attn_scan_gpu_smem", err) : NULL;
    const char *text = smem && ptx ? cg_gpu_ptx(arena, &d, 1, *ptx, err) : NULL;
    if (!smem || (ptx && !text)) {
        run_scan_program_free(p);
        return false;
    }
    run_scan_describe(arena, d, &p->var, &p->desc);
    p->gpu = (attn_scan_gpu_variant){.var = &p->var, .entry = arena_printf(arena, "%s_attn_scan_gpu", d->name),
                                     .emu = (attn_emu_kernel_fn)emu, .rows = (attn_scan_size_fn)rows,
                                     .smem = (attn_scan_size_fn)smem};
    if (ptx) {
        p->gpu.ptx[*ptx == CG_TARGET_SM90A ? ATTN_GPU_PTX_SM90A : ATTN_GPU_PTX_SM80] = text;
        p->gpu.memo = arena_alloc(arena, sizeof *p->gpu.memo); /* lives as long as text */
    }
    return true;
}

void run_scan_program_free(ScanProgram *p)
{
    cg_jit_free(p->jit);
    p->jit = NULL;
}
