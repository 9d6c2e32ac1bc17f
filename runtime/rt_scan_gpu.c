/* rt_scan_gpu.c - attn_scan_gpu (attn_scan_gpu.h): a scan variant's GPU
 * kernel launched on the SIMT emulator or on a CUDA device.
 *
 * The launch binds and validates exactly as attn_scan (rt_scan_bind), then
 * runs the template's geometry (kernels/scan_gpu.c): one CTA of
 * ATTN_SCAN_GPU_THREADS threads per row, grid (rows, 1, 1), gv->smem(ctx)
 * bytes of dynamic shared memory, gv->rows(ctx) rows. The CUDA transfers
 * are in rt_scan_gpu_cuda.c. */
#include <stdio.h>

#include "attn_scan_gpu.h"
#include "emu.h"
#include "rt_launch_gpu.h"
#include "rt_scan.h"

static attn_status rt_scan_gpu_check(const attn_scan_gpu_variant *gv, attn_gpu_device dev,
                                     int32_t noutputs, DLTensor *const *outputs)
{
    if (!gv || !gv->var)
        return rt_fail(ATTN_ERR_INVALID_ARG, "GPU scan variant is NULL");
    const attn_variant *var = gv->var;
    if (var->kind != ATTN_KIND_SCAN || !var->scan || !gv->rows || !gv->smem)
        return rt_fail(ATTN_ERR_INVALID_ARG, "%s is not a compiled GPU scan variant",
                       var->name ? var->name : "variant");
    if (dev != ATTN_GPU_EMU && dev != ATTN_GPU_CUDA)
        return rt_fail(ATTN_ERR_INVALID_ARG, "unknown GPU device %d", (int)dev);
    if (dev == ATTN_GPU_EMU && !gv->emu)
        return rt_fail(ATTN_ERR_UNSUPPORTED, "%s: the scan kernel was not compiled for the emulator",
                       var->name);
    return rt_scan_check_outputs(var, noutputs, outputs);
}

/* The outputs as rt_scan_bind sees them (rt_gpu_cpu_view, copies in
 * copies[], as rt_gpu_args_view does for arguments). Then a
 * launch is on the device when any tensor is: every tensor argument and
 * output must be (*on_device), and dev CUDA. */
static attn_status rt_scan_gpu_outputs(const attn_variant *var, attn_gpu_device dev,
                                       const rt_gpu_args *args,
                                       DLTensor *const *outputs, int32_t noutputs, DLTensor *copies,
                                       DLTensor **views, int *on_device)
{
    int ncuda = 0;
    for (int32_t o = 0; o < noutputs; o++) {
        views[o] = rt_gpu_cpu_view(outputs[o], &copies[o]);
        ncuda += views[o] != outputs[o];
        char what[160];
        snprintf(what, sizeof what, "output '%s'",
                 o < var->scan->noutputs ? var->scan->outputs[o].name : "?");
        attn_status s = dev == ATTN_GPU_CUDA ? rt_cuda_check_tensor_device(outputs[o], what) : ATTN_OK;
        if (s != ATTN_OK)
            return s;
    }
    *on_device = ncuda + args->ncuda > 0;
    if (ncuda && dev != ATTN_GPU_CUDA)
        return rt_fail(ATTN_ERR_UNSUPPORTED, "the emulator takes CPU tensors, got a CUDA tensor");
    if (*on_device && (ncuda != noutputs || args->ncuda != args->ntensors))
        return rt_fail(ATTN_ERR_UNSUPPORTED, "tensor arguments and outputs must be all CPU or all CUDA tensors");
    return ATTN_OK;
}

attn_status attn_scan_gpu(const attn_scan_gpu_variant *gv, attn_gpu_device dev,
                          const attn_arg *args, int32_t nargs, DLTensor *const *outputs,
                          int32_t noutputs, const attn_launch_opts *opts)
{
    static const attn_launch_opts defaults;
    if (!opts)
        opts = &defaults;
    attn_status s = rt_scan_gpu_check(gv, dev, noutputs, outputs);
    if (s != ATTN_OK)
        return s;
    attn_scan_gpu_args a = {0};
    rt_bound bound;
    rt_gpu_args views;
    DLTensor out_copies[ATTN_MAX_SCAN_OUTPUTS], *out_views[ATTN_MAX_SCAN_OUTPUTS];
    int on_device = 0;
    s = rt_gpu_args_view(gv->var, dev, args, nargs, &views);
    if (s == ATTN_OK) /* noutputs is checked: at most ATTN_MAX_SCAN_OUTPUTS */
        s = rt_scan_gpu_outputs(gv->var, dev, &views, outputs, noutputs, out_copies, out_views, &on_device);
    if (s == ATTN_OK)
        s = rt_scan_bind(gv->var, views.args, nargs, out_views, &a.ctx, &a.io, &bound);
    if (s != ATTN_OK) {
        rt_gpu_args_free(&views);
        return s;
    }
    int64_t rows = gv->rows(&a.ctx);
    int64_t smem = gv->smem(&a.ctx);
    if (rows > INT32_MAX)
        s = rt_fail(ATTN_ERR_UNSUPPORTED, "%s: %lld rows exceed the GPU grid (at most %d)",
                    gv->var->name, (long long)rows, INT32_MAX);
    else if (smem > INT32_MAX)
        s = rt_fail(ATTN_ERR_UNSUPPORTED, "%s: the states need %lld bytes of shared memory",
                    gv->var->name, (long long)smem);
    if (s == ATTN_OK && rows > 0 && a.ctx.dims[gv->var->scan->axis_dim] > 0) {
        if (dev == ATTN_GPU_CUDA) {
            s = rt_scan_gpu_run_cuda(gv, &a, (int32_t)rows, (int32_t)smem, on_device ? NULL : outputs,
                                     views.on_device, opts->stream);
        } else {
            emu_launch_cfg cfg = {.grid = {(int)rows, 1, 1}, .block = {ATTN_SCAN_GPU_THREADS, 1, 1},
                                  .smem_bytes = (size_t)smem,
                                  .workers = rt_pool_default_threads(opts->num_threads)};
            char err[256];
            if (emu_launch(gv->emu, &cfg, &a, err, sizeof err) != 0)
                s = rt_fail(ATTN_ERR_INVALID_ARG, "%s: emulated scan kernel failed: %s",
                            gv->var->name, err);
        }
    }
    rt_bound_free(&bound);
    rt_gpu_args_free(&views);
    return s;
}
