/* rt_scan_gpu.c - attn_scan_gpu (attn_scan_gpu.h): a scan variant's GPU
 * kernel launched on the SIMT emulator or on a CUDA device.
 *
 * The launch binds and validates exactly as attn_scan (rt_scan_bind), then
 * runs the template's geometry (kernels/scan_gpu.c): one CTA of
 * ATTN_SCAN_GPU_THREADS threads per row, grid (rows, 1, 1), gv->smem(ctx)
 * bytes of dynamic shared memory, gv->rows(ctx) rows. The CUDA transfers
 * are in rt_scan_gpu_cuda.c. */
#include <stdlib.h>

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

/* The tensors of one launch as rt_scan_bind sees them: for CUDA tensors,
 * CPU-typed shallow copies (the checks read shapes, strides and dtypes,
 * never data; the bound data pointers stay device addresses). */
typedef struct rt_scan_views {
    attn_arg *args;
    DLTensor **outputs;
    DLTensor *copies; /* one per argument and output */
} rt_scan_views;

static void rt_scan_views_free(rt_scan_views *v)
{
    free(v->args);
    free(v->outputs);
    free(v->copies);
}

/* A CPU-typed view of t in *copy when t is a CUDA tensor (counted in *ncuda),
 * else t itself. */
static DLTensor *rt_scan_view(const DLTensor *t, DLTensor *copy, int *ncuda)
{
    if (!t || t->device.device_type != kDLCUDA)
        return (DLTensor *)t;
    (*ncuda)++;
    *copy = *t;
    copy->device = (DLDevice){kDLCPU, 0};
    return copy;
}

/* Fills v for args and outputs and sets *on_device: CPU tensors, or on CUDA
 * every tensor argument and output a CUDA tensor (packs stay CPU tensors:
 * their offsets are checked and indexed on the host, then copied). */
static attn_status rt_scan_gpu_views(attn_gpu_device dev, const attn_arg *args, int32_t nargs,
                                     DLTensor *const *outputs, int32_t noutputs, int *on_device,
                                     rt_scan_views *v)
{
    int32_t na = nargs > 0 && args ? nargs : 0, no = noutputs > 0 && outputs ? noutputs : 0;
    v->args = calloc((size_t)na + 1, sizeof *v->args);
    v->outputs = calloc((size_t)no + 1, sizeof *v->outputs);
    v->copies = calloc((size_t)(na + no) + 1, sizeof *v->copies);
    if (!v->args || !v->outputs || !v->copies)
        return rt_fail(ATTN_ERR_NO_MEMORY, "out of memory for a scan launch's tensors");
    int ncuda = 0, ntensors = 0;
    for (int32_t i = 0; i < na; i++) {
        v->args[i] = args[i];
        if (args[i].kind == ATTN_ARG_PACK && args[i].u.tensor &&
            args[i].u.tensor->device.device_type == kDLCUDA)
            return rt_fail(ATTN_ERR_UNSUPPORTED, "pack argument %d: offsets are read on the host, "
                           "pass a CPU tensor", (int)args[i].param);
        if (args[i].kind == ATTN_ARG_TENSOR) {
            ntensors += args[i].u.tensor != NULL;
            v->args[i].u.tensor = rt_scan_view(args[i].u.tensor, &v->copies[i], &ncuda);
        }
    }
    for (int32_t o = 0; o < no; o++) {
        ntensors += outputs[o] != NULL;
        v->outputs[o] = rt_scan_view(outputs[o], &v->copies[na + o], &ncuda);
    }
    *on_device = ncuda > 0;
    if (ncuda && (dev != ATTN_GPU_CUDA || ncuda != ntensors))
        return rt_fail(ATTN_ERR_UNSUPPORTED, dev == ATTN_GPU_CUDA
                       ? "tensor arguments and outputs must be all CPU or all CUDA tensors"
                       : "the emulator takes CPU tensors, got a CUDA tensor");
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
    rt_scan_views views = {0};
    int on_device = 0;
    s = rt_scan_gpu_views(dev, args, nargs, outputs, noutputs, &on_device, &views);
    if (s == ATTN_OK)
        s = rt_scan_bind(gv->var, nargs > 0 && args ? views.args : args, nargs,
                         noutputs > 0 ? views.outputs : outputs, &a.ctx, &a.io, &bound);
    rt_scan_views_free(&views);
    if (s != ATTN_OK)
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
            s = rt_scan_gpu_run_cuda(gv, &a, (int32_t)rows, (int32_t)smem, on_device ? NULL : outputs,
                                     opts->stream);
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
