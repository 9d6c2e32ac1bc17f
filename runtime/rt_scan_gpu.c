/* rt_scan_gpu.c - attn_scan_gpu (attn_scan_gpu.h): a scan variant's GPU
 * kernel launched on the SIMT emulator or on a CUDA device.
 *
 * The launch binds and validates exactly as attn_scan (rt_scan_bind), then
 * runs the template's geometry (kernels/scan_gpu.c): one CTA of
 * ATTN_SCAN_GPU_THREADS threads per row, grid (rows, 1, 1), gv->smem(ctx)
 * bytes of dynamic shared memory, gv->rows(ctx) rows. The CUDA transfers
 * are in rt_scan_gpu_cuda.c. */
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
    if ((s = rt_scan_bind(gv->var, args, nargs, outputs, &a.ctx, &a.io, &bound)) != ATTN_OK)
        return s;
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
            s = rt_scan_gpu_run_cuda(gv, &a, (int32_t)rows, (int32_t)smem, outputs, opts->stream);
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
    return s;
}
