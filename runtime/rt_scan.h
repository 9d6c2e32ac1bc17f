/* rt_scan.h - validation and binding shared by the CPU scan launch
 * (rt_scan.c) and the GPU one (rt_scan_gpu.c). */
#ifndef ATTN_RT_SCAN_H
#define ATTN_RT_SCAN_H

#include "rt_internal.h"

/* Checks the output count and list of scan variant var (var->scan set). */
attn_status rt_scan_check_outputs(const attn_variant *var, int32_t noutputs, DLTensor *const *outputs);

/* Binds args (as attn_forward: dimensions from the shapes, agreeing
 * everywhere; packs ending at the scanned length) into ctx and checks the
 * outputs (CPU f32 tensors of the declared shapes, any strides) into io.
 * On success the caller owns `bound` (rt_bound_free), which ctx->params
 * points into. */
attn_status rt_scan_bind(const attn_variant *var, const attn_arg *args, int32_t nargs,
                         DLTensor *const *outputs, attn_ctx *ctx, attn_scan_io *io, rt_bound *bound);

/* rt_scan_gpu_cuda.c: runs gv's kernel on the CUDA device for the bound
 * launch a (host parameter slots): host outputs[] (bound in a->io) are
 * copied to the device and back, outputs NULL means a->io's are device
 * tensors already; tensor parameters are copied but those marked in
 * params_on_device (rt_gpu_params_stage). Grid (rows, 1, 1), smem
 * bytes of shared memory; returns when the kernel is done, or (outputs
 * NULL and a driver that frees in stream order) once it is queued. */
struct attn_scan_gpu_variant;
attn_status rt_scan_gpu_run_cuda(const struct attn_scan_gpu_variant *gv, attn_scan_gpu_args *a,
                                 int32_t rows, int32_t smem, DLTensor *const *outputs,
                                 const uint8_t *params_on_device, void *stream);

#endif
