/* rt_gpu_plan.c - attn_gpu_plan (attn_gpu.h): a CUDA attention launch
 * prepared once (rt_gpu_prepare), its parameter slots, packs and BlockMask
 * tables in device memory that the plan owns, replayed by cuLaunchKernel
 * alone, so that launches can be captured into CUDA graphs. A BlockMask the
 * plan built for a mask that may read CUDA tensor arguments is rebuilt by
 * every launch, by the variant's builder kernels queued before the kernel. */
#include <stdlib.h>
#include <string.h>

#include "rt_blockmask_gpu.h"
#include "rt_cuda.h"
#include "rt_launch_gpu.h"

struct attn_gpu_plan {
    const char *name;            /* the variant's, for messages */
    CUcontext ctx;               /* the context that owns the module and memory */
    int ordinal;                 /* its device's */
    attn_fwd_gpu_args a;         /* device slots and BlockMask; tensors filled per launch */
    attn_cuda_kernel kernel;
    int32_t dtype;
    bool empty;                  /* B, H or Q is 0: launches do nothing */
    rt_gpu_upload upload;        /* owns the device copy */
    attn_block_mask *owned_bm;   /* built for the plan, or NULL */
    /* Set: every launch rebuilds owned_bm's tables first (bm_args: its
     * shape and tables, the launch's device ctx, a class scratch that the
     * plan owns), since the CUDA tensors its mask reads may have changed. */
    bool rebuild_mask;
    attn_cuda_kernel bm_kernels[ATTN_GPU_BM_KERNELS];
    attn_bm_gpu_args bm_args;
};

/* The device side of plan pl from the prepared launch p: the kernel, the
 * staged copy (sent on the default stream and waited for). */
static attn_status rt_gpu_plan_upload(attn_gpu_plan *pl, const attn_gpu_variant *gv,
                                      const rt_gpu_prepared *p) {
    attn_status s = rt_gpu_cuda_kernel(gv, p->kern, &pl->kernel);
    if (s == ATTN_OK)
        s = rt_gpu_launch_stage(gv->var, &pl->a, p->views.on_device, p->bm, &pl->upload);
    if (s == ATTN_OK)
        s = rt_gpu_upload_commit(&pl->upload);
    return s == ATTN_OK ? attn_cuda_synchronize(NULL) : s;
}

/* Makes every launch of pl rebuild its BlockMask m (device tables) with
 * gv's builder kernels, reading the parameters where the kernel reads them
 * (pl->a.ctx, staged): nothing to do without rows or key blocks. */
static attn_status rt_gpu_plan_rebuild_mask(attn_gpu_plan *pl, const attn_gpu_variant *gv,
                                            const attn_block_mask *m) {
    attn_bm_gpu_args *a = &pl->bm_args;
    *a = (attn_bm_gpu_args){.B = m->B, .H = m->H, .q_len = m->q_len, .kv_len = m->kv_len,
                            .block_q = m->block_q, .block_kv = m->block_kv, .nqb = m->nqb,
                            .nkvb = m->nkvb, .ctx = pl->a.ctx};
    const int64_t cells = rt_bm_gpu_classify_blocks(a) * a->nkvb;
    if (cells == 0)
        return ATTN_OK;
    rt_bm_gpu_tables(a, m, m->kv_num_blocks);
    void *cls = NULL;
    attn_status s = rt_bm_gpu_cuda_kernels(gv, pl->bm_kernels);
    if (s == ATTN_OK)
        s = attn_cuda_malloc((size_t)cells, &cls);
    a->cls = cls;
    pl->rebuild_mask = s == ATTN_OK;
    return s;
}

attn_status attn_gpu_plan_create(const attn_gpu_variant *gv, const DLTensor *q, const DLTensor *k,
                                 const DLTensor *v, const DLTensor *out, const DLTensor *lse,
                                 const attn_arg *args, int32_t nargs, const attn_launch_opts *opts,
                                 attn_gpu_plan **plan) {
    static const attn_launch_opts defaults;
    if (!plan)
        return rt_fail(ATTN_ERR_INVALID_ARG, "attn_gpu_plan_create: plan is NULL");
    *plan = NULL;
    if (!opts)
        opts = &defaults;
    const rt_capture cap = gv && gv->var ? rt_cuda_stream_capture(opts->stream) : RT_CAPTURE_NONE;
    if (cap != RT_CAPTURE_NONE) /* making a plan waits */
        return rt_gpu_capture_refused(gv->var->name, cap);
    const DLTensor *t[5] = {q, k, v, out, lse};
    rt_gpu_prepared p;
    attn_status s = rt_gpu_prepare(gv, ATTN_GPU_CUDA, t, args, nargs, opts, &p);
    if (s != ATTN_OK)
        return s;
    const int on_device = p.on_device;
    attn_gpu_plan *pl = on_device ? calloc(1, sizeof *pl) : NULL;
    if (!pl) {
        rt_gpu_prepared_free(&p);
        return on_device ? rt_fail(ATTN_ERR_NO_MEMORY, "attn_gpu_plan_create: out of memory")
                         : rt_fail(ATTN_ERR_UNSUPPORTED, "%s: a plan's launches copy nothing: q, k, "
                                   "v, out and lse must be CUDA tensors", gv->var->name);
    }
    *pl = (attn_gpu_plan){.name = gv->var->name, .a = p.a, .dtype = p.kern->dtype, .empty = p.empty};
    const rt_cuda_api *api;
    s = rt_cuda_enter(&api, &pl->ctx);
    if (s == ATTN_OK)
        s = rt_cuda_context_ordinal(&pl->ordinal);
    if (s == ATTN_OK && !p.empty)
        s = rt_gpu_plan_upload(pl, gv, &p);
    if (gv->var->nparams == 0 || p.empty)
        pl->a.ctx.params = NULL; /* nothing read: not the host slots freed below */
    pl->owned_bm = p.owned_bm;
    p.owned_bm = NULL;
    if (s == ATTN_OK && pl->owned_bm && p.views.ncuda > 0)
        s = rt_gpu_plan_rebuild_mask(pl, gv, pl->owned_bm);
    rt_gpu_prepared_free(&p);
    if (s != ATTN_OK) {
        attn_gpu_plan_free(pl);
        return s;
    }
    *plan = pl;
    return ATTN_OK;
}

attn_status attn_gpu_plan_launch(const attn_gpu_plan *pl, const DLTensor *q, const DLTensor *k,
                                 const DLTensor *v, DLTensor *out, DLTensor *lse, void *stream) {
    if (!pl)
        return rt_fail(ATTN_ERR_INVALID_ARG, "attn_gpu_plan_launch: plan is NULL");
    const rt_cuda_api *api;
    CUcontext ctx;
    attn_status s = rt_cuda_enter(&api, &ctx);
    if (s != ATTN_OK)
        return s;
    if (ctx != pl->ctx)
        return rt_fail(ATTN_ERR_UNSUPPORTED, "%s: the plan was made in another CUDA context (of "
                       "device %d), which owns its kernel and memory; make a plan per context",
                       pl->name, pl->ordinal);
    const DLTensor *t[5] = {q, k, v, out, lse};
    int32_t dims[ATTN_MAX_VARIANT_DIMS] = {0};
    int on_device = 0;
    s = rt_gpu_check(ATTN_GPU_CUDA, t, dims, &on_device);
    if (s != ATTN_OK)
        return s;
    if (!on_device)
        return rt_fail(ATTN_ERR_UNSUPPORTED, "%s: plan launches take CUDA tensors", pl->name);
    const int32_t *want = pl->a.ctx.dims;
    if (rt_dtype_from_dl(q->dtype) != pl->dtype ||
        memcmp(dims, want, ATTN_DIM_STANDARD_COUNT * sizeof *dims) != 0) {
        char got[32];
        return rt_fail(ATTN_ERR_SHAPE, "%s: the plan is for %s B=%d H=%d HKV=%d Q=%d KV=%d D=%d "
                       "DV=%d, got %s B=%d H=%d HKV=%d Q=%d KV=%d D=%d DV=%d", pl->name,
                       pl->dtype == ATTN_BF16 ? "bf16" : "f16", (int)want[0], (int)want[1],
                       (int)want[2], (int)want[3], (int)want[4], (int)want[5], (int)want[6],
                       rt_dl_dtype_name(q->dtype, got), (int)dims[0], (int)dims[1], (int)dims[2],
                       (int)dims[3], (int)dims[4], (int)dims[5], (int)dims[6]);
    }
    if (pl->empty)
        return ATTN_OK;
    if (pl->rebuild_mask && (s = rt_bm_gpu_enqueue(pl->bm_kernels, &pl->bm_args, stream)) != ATTN_OK)
        return s;
    attn_fwd_gpu_args a = pl->a;
    rt_gpu_fill_args(&a, q, k, v, out, lse);
    return attn_cuda_launch_attn_fwd(&pl->kernel, &a, stream);
}

void attn_gpu_plan_free(attn_gpu_plan *pl) {
    if (!pl)
        return;
    /* In the plan's context, from any thread: its launches may still read
     * the plan's memory. */
    const rt_cuda_api *api;
    CUcontext cur = NULL;
    const bool switched = pl->ctx && rt_cuda_enter(&api, &cur) == ATTN_OK && cur != pl->ctx &&
                          api->CtxSetCurrent(pl->ctx) == RT_CUDA_SUCCESS;
    attn_cuda_synchronize(NULL);
    rt_gpu_upload_free(&pl->upload);
    attn_cuda_free(pl->bm_args.cls);
    attn_block_mask_free(pl->owned_bm);
    if (switched)
        api->CtxSetCurrent(cur);
    free(pl);
}
