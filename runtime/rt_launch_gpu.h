/* rt_launch_gpu.h - declarations shared by rt_launch_gpu*.c. */
#ifndef ATTN_RT_LAUNCH_GPU_H
#define ATTN_RT_LAUNCH_GPU_H

#include "attn_cuda.h"
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

/* Device buffers of one CUDA launch, freed together (tensor and pack
 * parameters take one or two each). */
enum { RT_GPU_MAX_BUFFERS = 256 };
typedef struct rt_gpu_buffers {
    void *ptr[RT_GPU_MAX_BUFFERS];
    int n;
    attn_cuda_tensor *io[5];
} rt_gpu_buffers;

/* rt_gpu_args.c: the arguments of a GPU launch as rt_bind_args sees them.
 * Each tensor argument in CUDA memory (allowed when dev is CUDA) becomes a
 * CPU-typed shallow copy (the checks read shapes, strides and dtypes, never
 * data, so the bound data pointer stays a device address) and its
 * parameter is marked in on_device[]; packs must be CPU tensors (their
 * offsets are checked and indexed on the host). Free with rt_gpu_args_free. */
typedef struct rt_gpu_args {
    attn_arg *args;        /* nargs views (NULL when args was NULL) */
    DLTensor *copies;
    uint8_t *on_device;    /* per parameter of the variant */
    int32_t ncuda, ntensors; /* tensor arguments in CUDA memory / in all */
} rt_gpu_args;
attn_status rt_gpu_args_view(const attn_variant *var, attn_gpu_device dev, const attn_arg *args,
                             int32_t nargs, rt_gpu_args *v);
/* t itself, or for a CUDA tensor its CPU-typed shallow copy in *copy. */
DLTensor *rt_gpu_cpu_view(const DLTensor *t, DLTensor *copy);
void rt_gpu_args_free(rt_gpu_args *v);

/* rt_launch_gpu_cuda.c: frees every buffer of b. */
void rt_gpu_buffers_free(rt_gpu_buffers *b);
/* Copies `bytes` from host `src` into a new device buffer *dst owned by b. */
attn_status rt_gpu_copy_in(rt_gpu_buffers *b, const void *src, size_t bytes, void **dst);
/* Device copies of var's parameter slots ctx->params (ctx->params then
 * points at them): tensor data (the span its strides reach) uploaded unless
 * on_device[p] (may be NULL: none) says parameter p's is device memory
 * already, pack tables uploaded, the slot array itself uploaded; owned by b. */
attn_status rt_gpu_params_to_device(const attn_variant *var, attn_ctx *ctx, const uint8_t *on_device,
                                    rt_gpu_buffers *b);

/* rt_launch_gpu_blockmask.c: the BlockMask a launch of kernel `kern` of gv
 * on dev reads (*use; NULL: the variant's key ranges): opts->block_mask,
 * checked against the launch's dims and the kernel's tiles (block_q a
 * multiple of ATTN_GPU_BLOCK_Q, block_kv of ATTN_GPU_BLOCK_KV), else, when
 * gv->var->needs_block_mask, one built now by gv's GPU builder on dev with
 * query blocks of ATTN_GPU_BLOCK_Q rows (*owned: the caller frees it). */
attn_status rt_gpu_block_mask_for_launch(const attn_gpu_variant *gv, attn_gpu_device dev,
                                         const attn_gpu_kernel *kern, const int32_t *dims,
                                         const attn_arg *args, int32_t nargs,
                                         const attn_launch_opts *opts, attn_block_mask **owned,
                                         const attn_block_mask **use);
/* *view = m's kernel view with its four key-side tables in device memory:
 * m's own for a mask from attn_block_mask_to_cuda, else copies into new
 * device buffers owned by b. */
attn_status rt_gpu_block_mask_to_device(const attn_block_mask *m, rt_gpu_buffers *b,
                                        attn_block_mask_view *view);

/* rt_launch_gpu_cuda.c: runs kernel `kern` of gv on the CUDA device for the
 * validated tensors t = {q, k, v, out, lse (may be NULL)}: on the device
 * already (on_device) or on the CPU (uploaded; out and lse downloaded
 * after). a->ctx (host parameter slots) and a->scale (maybe
 * ATTN_GPU_SCALE_ON_DEVICE) are set; the parameters (tensors but those
 * marked in params_on_device, rt_gpu_params_to_device), and the key-side
 * tables of the BlockMask bm (host memory; may be NULL), are copied to the
 * device. With `timing` the launch is the timed series of
 * attn_cuda_time_attn_fwd. Returns when the kernel is done. */
attn_status rt_gpu_run_cuda(const attn_gpu_variant *gv, const attn_gpu_kernel *kern,
                            attn_fwd_gpu_args *a, const DLTensor *const t[5], int on_device,
                            const uint8_t *params_on_device, const attn_block_mask *bm, void *stream,
                            const rt_gpu_timing *timing);

#endif
