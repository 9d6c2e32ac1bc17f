/* rt_launch_gpu.c - attn_forward_gpu (attn_gpu.h): an attention variant's
 * GPU kernels launched on the SIMT emulator or on a CUDA device.
 *
 * How `attnc run --device emu|cuda` (or any program holding compiled
 * variants) calls it:
 *   1. compile the variant: attn_variant as for the CPU path; PTX per target
 *      with cg_gpu_ptx (sm_80, sm_90a) for CUDA; for the emulator a JIT of
 *      template CG_TEMPLATE_GPU_EMU (cg_jit_create), with attn_emu linked
 *      into the process and its symbols exported;
 *   2. fill an attn_gpu_variant: one attn_gpu_kernel per cg_gpu_specs()
 *      entry s, with entry "<variant>_" + cg_gpu_entry(s) and emu =
 *      cg_jit_lookup(jit, variant, cg_gpu_entry(s)); ptx[] = the PTX texts
 *      (compiler/run_gpu.c does this from a declaration and an emu
 *      JIT; tests/gpu/gpu_bench_variants.c from `attnc --emit header`
 *      output and PTX files, without LLVM);
 *   3. attn_forward_gpu(&gv, ATTN_GPU_EMU or ATTN_GPU_CUDA, q, k, v, out,
 *      lse, args, nargs, opts), exactly like attn_forward; attn_time_gpu
 *      to time the CUDA kernel.
 *
 * The launch validates like attn_forward (rt_check_attn_tensors,
 * rt_bind_args), picks the kernel of q's dtype and (D, DV), passes the
 * scale (the variant's hook_scale on the host if it has one, else
 * ATTN_GPU_SCALE_ON_DEVICE: the kernel computes it), the BlockMask
 * (rt_launch_gpu_blockmask.c: the caller's, or one built for a variant
 * whose mask analysis is dense) and runs the template's
 * geometry: grid (ceil(Q / ATTN_GPU_BLOCK_Q(D, DV)), H, B), ATTN_GPU_THREADS(D, DV)
 * threads, ATTN_GPU_SMEM_BYTES(D, DV) of shared memory. The CUDA transfers
 * are in rt_launch_gpu_cuda.c; rt_gpu_plan.c reuses the host-side part
 * (rt_gpu_prepare) for launches settled once. */
#include <stdio.h>
#include <string.h>

#include "emu.h"
#include "rt_cuda.h"
#include "rt_launch_gpu.h"

const attn_gpu_kernel *rt_gpu_pick(const attn_gpu_variant *gv, int32_t dt, int32_t d, int32_t dv) {
    if (dt != ATTN_F16 && dt != ATTN_BF16) {
        rt_fail(ATTN_ERR_DTYPE, "%s: the GPU kernels take f16 or bf16 tensors, got f32",
                gv->var->name);
        return NULL;
    }
    char have[512] = "";
    size_t len = 0;
    for (int32_t i = 0; i < gv->nkernels; i++) {
        const attn_gpu_kernel *k = &gv->kernels[i];
        if (k->dtype == dt && k->d == d && k->dv == dv)
            return k;
        if (k->dtype == dt && len < sizeof have)
            len += (size_t)snprintf(have + len, sizeof have - len, "%s(%d, %d)", len ? ", " : "",
                                    (int)k->d, (int)k->dv);
    }
    rt_fail(ATTN_ERR_UNSUPPORTED, "%s: no GPU kernel for %s with D = %d, DV = %d (available "
            "(D, DV): %s)", gv->var->name, dt == ATTN_BF16 ? "bf16" : "f16", (int)d, (int)dv,
            len ? have : "none");
    return NULL;
}

void rt_gpu_fill_args(attn_fwd_gpu_args *a, const DLTensor *q, const DLTensor *k,
                      const DLTensor *v, const DLTensor *out, const DLTensor *lse) {
    RT_FILL_QKVO(a, q, k, v, out, lse);
}

/* The emulated launch of kernel `kern` (host tensors). */
static attn_status rt_gpu_run_emu(const attn_gpu_variant *gv, const attn_gpu_kernel *kern,
                                  attn_fwd_gpu_args *a, int32_t workers) {
    if (!kern->emu)
        return rt_fail(ATTN_ERR_UNSUPPORTED, "%s: the kernel %s was not compiled for the emulator",
                       gv->var->name, kern->entry);
    attn_status s = rt_gpu_check_row_strides(a);
    if (s != ATTN_OK)
        return s;
    const int32_t *dims = a->ctx.dims, bq = ATTN_GPU_BLOCK_Q(kern->d, kern->dv);
    emu_launch_cfg cfg = {
        .grid = {(dims[ATTN_DIM_Q] + bq - 1) / bq, dims[ATTN_DIM_H], dims[ATTN_DIM_B]},
        .block = {ATTN_GPU_THREADS(kern->d, kern->dv), 1, 1},
        .smem_bytes = ATTN_GPU_SMEM_BYTES(kern->d, kern->dv),
        .workers = workers,
    };
    char err[256];
    if (emu_launch(kern->emu, &cfg, a, err, sizeof err) != 0)
        return rt_fail(ATTN_ERR_INVALID_ARG, "%s: emulated kernel %s failed: %s", gv->var->name,
                       kern->entry, err);
    return ATTN_OK;
}

attn_status rt_gpu_check(attn_gpu_device dev, const DLTensor *const t[5], int32_t *dims,
                         int *on_device) {
    int ndev = 0, n = 0;
    for (int i = 0; i < 5; i++)
        if (t[i]) {
            n++;
            ndev += t[i]->device.device_type == kDLCUDA;
        }
    if (ndev && (dev != ATTN_GPU_CUDA || ndev != n))
        return rt_fail(ATTN_ERR_UNSUPPORTED, dev == ATTN_GPU_CUDA
                       ? "q, k, v, out and lse must be all CPU or all CUDA tensors"
                       : "the emulator takes CPU tensors, got a CUDA tensor");
    static const char *const names[5] = {"q", "k", "v", "out", "lse"};
    attn_status s = rt_cuda_check_tensors_device(t, names, 5); /* no driver call without one */
    if (s != ATTN_OK)
        return s;
    DLTensor c[5];
    for (int i = 0; i < 5; i++)
        if (t[i]) {
            c[i] = *t[i];
            c[i].device = (DLDevice){kDLCPU, 0};
        }
    *on_device = ndev > 0;
    return rt_check_attn_tensors(t[0] ? &c[0] : NULL, t[1] ? &c[1] : NULL, t[2] ? &c[2] : NULL,
                                 t[3] ? &c[3] : NULL, t[4] ? &c[4] : NULL, dims);
}

attn_status rt_gpu_capture_refused(const char *variant, rt_capture cap) {
    if (cap == RT_CAPTURE_BLOCKED)
        return rt_fail(ATTN_ERR_UNSUPPORTED, "%s: the stream is the legacy default stream while "
                       "another stream captures a CUDA graph (CUDA_ERROR_STREAM_CAPTURE_IMPLICIT), "
                       "and this launch copies from the host or waits; launch on another stream or "
                       "after the capture", variant);
    return rt_fail(ATTN_ERR_UNSUPPORTED, "%s: the stream is capturing a CUDA graph, and this launch "
                   "copies from the host or waits; capture attn_gpu_plan_launch of a plan made "
                   "before the capture (attn_gpu_plan_create)", variant);
}

attn_status rt_gpu_prepare(const attn_gpu_variant *gv, attn_gpu_device dev, const DLTensor *const t[5],
                           const attn_arg *args, int32_t nargs, const attn_launch_opts *opts,
                           rt_gpu_prepared *p) {
    memset(p, 0, sizeof *p);
    if (!gv || !gv->var)
        return rt_fail(ATTN_ERR_INVALID_ARG, "GPU variant is NULL");
    if (dev != ATTN_GPU_EMU && dev != ATTN_GPU_CUDA)
        return rt_fail(ATTN_ERR_INVALID_ARG, "unknown GPU device %d", (int)dev);
    if (gv->var->kind != ATTN_KIND_ATTENTION)
        return rt_fail(ATTN_ERR_INVALID_ARG, "%s is not a compiled attention variant",
                       gv->var->name ? gv->var->name : "variant");
    if (opts->qb_begin || opts->qb_end)
        return rt_fail(ATTN_ERR_UNSUPPORTED, "%s: GPU launches run every query block "
                       "(qb_begin/qb_end must be 0)", gv->var->name);
    attn_status s = rt_gpu_check(dev, t, p->a.ctx.dims, &p->on_device);
    if (s != ATTN_OK)
        return s;
    p->kern = rt_gpu_pick(gv, rt_dtype_from_dl(t[0]->dtype), p->a.ctx.dims[ATTN_DIM_D],
                          p->a.ctx.dims[ATTN_DIM_DV]);
    if (!p->kern)
        return ATTN_ERR_UNSUPPORTED;
    if ((s = rt_gpu_args_view(gv->var, dev, args, nargs, &p->views)) != ATTN_OK ||
        (s = rt_bind_args(gv->var, p->views.args, nargs, p->a.ctx.dims, &p->bound)) != ATTN_OK) {
        rt_gpu_prepared_free(p);
        return s;
    }
    p->bound_live = true;
    p->a.ctx.params = p->bound.slots;
    p->a.scale = gv->var->hook_scale ? gv->var->hook_scale(&p->a.ctx) : ATTN_GPU_SCALE_ON_DEVICE;
    const int32_t *dims = p->a.ctx.dims;
    p->empty = dims[ATTN_DIM_B] <= 0 || dims[ATTN_DIM_H] <= 0 || dims[ATTN_DIM_Q] <= 0;
    /* building a BlockMask waits for the device */
    if (!p->empty && dev == ATTN_GPU_CUDA && !opts->block_mask && gv->var->needs_block_mask) {
        const rt_capture cap = rt_cuda_stream_capture(opts->stream);
        if (cap != RT_CAPTURE_NONE)
            s = rt_gpu_capture_refused(gv->var->name, cap);
    }
    if (!p->empty && s == ATTN_OK)
        s = rt_gpu_block_mask_for_launch(gv, dev, p->kern, dims, args, nargs, opts, &p->owned_bm,
                                         &p->bm);
    if (s != ATTN_OK)
        rt_gpu_prepared_free(p);
    return s;
}

void rt_gpu_prepared_free(rt_gpu_prepared *p) {
    attn_block_mask_free(p->owned_bm);
    if (p->bound_live)
        rt_bound_free(&p->bound);
    rt_gpu_args_free(&p->views);
    memset(p, 0, sizeof *p);
}

/* attn_forward_gpu and attn_time_gpu (timing != NULL: CUDA only). */
static attn_status rt_gpu_forward(const attn_gpu_variant *gv, attn_gpu_device dev,
                                  const DLTensor *q, const DLTensor *k, const DLTensor *v,
                                  DLTensor *out, DLTensor *lse, const attn_arg *args,
                                  int32_t nargs, const attn_launch_opts *opts,
                                  const rt_gpu_timing *timing) {
    static const attn_launch_opts defaults;
    if (!opts)
        opts = &defaults;
    const DLTensor *t[5] = {q, k, v, out, lse};
    rt_gpu_prepared p;
    attn_status s = rt_gpu_prepare(gv, dev, t, args, nargs, opts, &p);
    if (s != ATTN_OK)
        return s;
    if (p.empty) {
        if (timing) /* nothing to compute */
            *timing->median_ms = 0.0f;
    } else if (dev == ATTN_GPU_EMU) {
        rt_gpu_fill_args(&p.a, q, k, v, out, lse);
        if (p.bm)
            p.a.block_mask = attn_block_mask_view_of(p.bm);
        s = rt_gpu_run_emu(gv, p.kern, &p.a, rt_pool_default_threads(opts->num_threads));
    } else {
        s = rt_gpu_run_cuda(gv, p.kern, &p.a, t, p.on_device, p.views.on_device, p.bm, opts->stream,
                            timing);
        /* A BlockMask built for this launch is freed below, not in stream order. */
        attn_status sync = p.owned_bm ? attn_cuda_synchronize(opts->stream) : ATTN_OK;
        s = s != ATTN_OK ? s : sync;
    }
    rt_gpu_prepared_free(&p);
    return s;
}

attn_status attn_forward_gpu(const attn_gpu_variant *gv, attn_gpu_device dev, const DLTensor *q,
                             const DLTensor *k, const DLTensor *v, DLTensor *out, DLTensor *lse,
                             const attn_arg *args, int32_t nargs, const attn_launch_opts *opts) {
    return rt_gpu_forward(gv, dev, q, k, v, out, lse, args, nargs, opts, NULL);
}

attn_status attn_time_gpu(const attn_gpu_variant *gv, const DLTensor *q, const DLTensor *k,
                          const DLTensor *v, DLTensor *out, DLTensor *lse, const attn_arg *args,
                          int32_t nargs, const attn_launch_opts *opts, int32_t warmup,
                          int32_t iters, float *median_ms) {
    if (!median_ms || warmup < 0 || iters < 1)
        return rt_fail(ATTN_ERR_INVALID_ARG, "attn_time_gpu: needs median_ms, warmup >= 0 and "
                       "iters >= 1 (got warmup %d, iters %d)", (int)warmup, (int)iters);
    const rt_gpu_timing timing = {warmup, iters, median_ms};
    return rt_gpu_forward(gv, ATTN_GPU_CUDA, q, k, v, out, lse, args, nargs, opts, &timing);
}
