/* rt_launch_gpu.h - declarations shared by rt_launch_gpu*.c. */
#ifndef ATTN_RT_LAUNCH_GPU_H
#define ATTN_RT_LAUNCH_GPU_H

#include "attn_gpu.h"
#include "rt_internal.h"

/* Fills the tensor part of a (data pointers and strides) from validated tensors. */
void rt_gpu_fill_args(attn_fwd_gpu_args *a, const DLTensor *q, const DLTensor *k,
                      const DLTensor *v, const DLTensor *out, const DLTensor *lse);

/* A timed CUDA launch (attn_time_gpu): `warmup` launches, then `iters`
 * timed one by one; the median into *median_ms. */
typedef struct rt_gpu_timing {
    int32_t warmup, iters;
    float *median_ms;
} rt_gpu_timing;

/* rt_launch_gpu_cuda.c: runs kernel `kern` of gv on the CUDA device for the
 * validated tensors t = {q, k, v, out, lse (may be NULL)}: on the device
 * already (on_device) or on the CPU (uploaded; out and lse downloaded
 * after). a->ctx (host parameter slots) and a->scale (maybe
 * ATTN_GPU_SCALE_ON_DEVICE) are set; the
 * parameters are copied to the device. With `timing` the launch is the
 * timed series of attn_cuda_time_attn_fwd. Returns when the kernel is done. */
attn_status rt_gpu_run_cuda(const attn_gpu_variant *gv, const attn_gpu_kernel *kern,
                            attn_fwd_gpu_args *a, const DLTensor *const t[5], int on_device,
                            void *stream, const rt_gpu_timing *timing);

#endif
