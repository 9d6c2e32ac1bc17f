/* rt_launch_gpu.h - declarations shared by rt_launch_gpu*.c. */
#ifndef ATTN_RT_LAUNCH_GPU_H
#define ATTN_RT_LAUNCH_GPU_H

#include <stdbool.h>

#include "attn_cuda.h"
#include "attn_gpu.h"
#include "rt_cuda.h"
#include "rt_internal.h"

/* rt_launch_gpu.c: the kernel of gv for dtype dt and head dims (d, dv), or
 * NULL with the error set, naming the specialisations gv has. */
const attn_gpu_kernel *rt_gpu_pick(const attn_gpu_variant *gv, int32_t dt, int32_t d, int32_t dv);
/* Validation as attn_forward's of t = {q, k, v, out, lse (may be NULL)}, on
 * the CPU or (CUDA) all on the device (*on_device): device tensors are
 * checked through CPU-typed shallow copies (the checks read shapes,
 * strides and dtypes, never data). */
attn_status rt_gpu_check(attn_gpu_device dev, const DLTensor *const t[5], int32_t *dims,
                         int *on_device);

/* Fills the tensor part of a (data pointers and strides) from validated tensors. */
void rt_gpu_fill_args(attn_fwd_gpu_args *a, const DLTensor *q, const DLTensor *k,
                      const DLTensor *v, const DLTensor *out, const DLTensor *lse);

/* A timed CUDA launch (attn_time_gpu): `warmup` launches, then `iters`
 * timed one by one; the median into *median_ms. */
typedef struct rt_gpu_timing {
    int32_t warmup, iters;
    float *median_ms;
} rt_gpu_timing;

/* rt_gpu_upload.c: the small host data of one CUDA launch (parameter
 * slots, tensor parameters, pack tables, host BlockMask tables) staged in
 * one host buffer, then copied by rt_gpu_upload_commit into one device
 * buffer with one cuMemcpyHtoDAsync on `stream`, ordered before the launch.
 * Pointers to staged pieces are recorded with rt_gpu_upload_point and set
 * to device addresses by the commit. The device buffer comes from
 * cuMemAllocAsync on the stream when the driver and device have it
 * (stream_ordered: freed with cuMemFreeAsync behind the launch, so the host
 * need not wait), else from cuMemAlloc (rt_gpu_upload_must_wait: the caller
 * synchronizes the stream before rt_gpu_upload_free). */
typedef struct rt_gpu_upload_link {
    void *where;      /* a pointer object of the caller's, or NULL: ... */
    size_t at;        /* ... the pointer at this staged offset */
    size_t target;    /* the staged offset it will point at */
} rt_gpu_upload_link;
typedef struct rt_gpu_upload {
    void *stream;     /* set by the caller; the launch's stream */
    char *host;
    size_t used, cap;
    rt_gpu_upload_link *links;
    int nlinks, cap_links;
    void *dev;
    bool stream_ordered;
} rt_gpu_upload;
/* Stages `bytes` of src (NULL: zeros) at the 16-byte aligned offset *off. */
attn_status rt_gpu_upload_put(rt_gpu_upload *u, const void *src, size_t bytes, size_t *off);
/* At commit, the pointer object `where` (when not NULL), else the pointer
 * staged at offset `at`, gets the device address of staged offset `target`. */
attn_status rt_gpu_upload_point(rt_gpu_upload *u, void *where, size_t at, size_t target);
/* Allocates the device buffer, sets the recorded pointers and queues the
 * copy on u->stream (nothing when nothing was staged). */
attn_status rt_gpu_upload_commit(rt_gpu_upload *u);
bool rt_gpu_upload_must_wait(const rt_gpu_upload *u);
/* Frees the device buffer (on the stream, or at once: see above) and the
 * staging memory; u keeps its stream and can be reused. */
void rt_gpu_upload_free(rt_gpu_upload *u);

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

/* What every GPU launch of gv on dev settles on the host before anything
 * runs (rt_gpu_prepare): the validated dims, host parameter slots and scale
 * in a (tensors not filled), the kernel, the argument views and bindings,
 * the BlockMask (the caller's, or one built now and owned). */
typedef struct rt_gpu_prepared {
    attn_fwd_gpu_args a;
    const attn_gpu_kernel *kern;
    int on_device;              /* q, k, v, out, lse are CUDA tensors */
    bool empty;                 /* B, H or Q is 0: nothing to launch */
    rt_gpu_args views;
    rt_bound bound;
    bool bound_live;
    attn_block_mask *owned_bm;
    const attn_block_mask *bm;  /* NULL: the variant's key ranges */
} rt_gpu_prepared;
/* The error of a launch refused because of a CUDA graph capture (`cap`,
 * rt_cuda_stream_capture: not RT_CAPTURE_NONE) while it would copy from
 * the host or wait. */
attn_status rt_gpu_capture_refused(const char *variant, rt_capture cap);
/* t = {q, k, v, out, lse}; opts not NULL. On failure nothing is held. A
 * BlockMask that would have to be built while opts->stream is capturing
 * is refused (rt_gpu_capture_refused). */
attn_status rt_gpu_prepare(const attn_gpu_variant *gv, attn_gpu_device dev, const DLTensor *const t[5],
                           const attn_arg *args, int32_t nargs, const attn_launch_opts *opts,
                           rt_gpu_prepared *p);
void rt_gpu_prepared_free(rt_gpu_prepared *p);

/* rt_launch_gpu_cuda.c: stages var's parameter slots ctx->params for the
 * device (ctx->params points at the device copy after the commit of u):
 * tensor data (the span its strides reach) unless on_device[p] (may be
 * NULL: none) says parameter p's is in device memory already, pack tables,
 * the slot array itself. */
attn_status rt_gpu_params_stage(const attn_variant *var, attn_ctx *ctx, const uint8_t *on_device,
                                rt_gpu_upload *u);
/* The kernel `kern` of gv for the current device, its module found through
 * gv->memo. */
attn_status rt_gpu_cuda_kernel(const attn_gpu_variant *gv, const attn_gpu_kernel *kern,
                               attn_cuda_kernel *k);
/* Stages in u what a launch reads from the host: var's parameters
 * (rt_gpu_params_stage of a->ctx) and the key-side tables of BlockMask bm
 * (may be NULL; rt_gpu_block_mask_stage into a->block_mask). */
attn_status rt_gpu_launch_stage(const attn_variant *var, attn_fwd_gpu_args *a,
                                const uint8_t *params_on_device, const attn_block_mask *bm,
                                rt_gpu_upload *u);

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
 * m's own for a CUDA BlockMask, else copies staged in u (the view's table
 * pointers are set by the commit of u). */
attn_status rt_gpu_block_mask_stage(const attn_block_mask *m, rt_gpu_upload *u,
                                    attn_block_mask_view *view);

/* rt_launch_gpu_cuda.c: runs kernel `kern` of gv on the CUDA device for the
 * validated tensors t = {q, k, v, out, lse (may be NULL)}: on the device
 * already (on_device) or on the CPU (uploaded; out and lse downloaded
 * after). a->ctx (host parameter slots) and a->scale (maybe
 * ATTN_GPU_SCALE_ON_DEVICE) are set; the parameters (tensors but those
 * marked in params_on_device, rt_gpu_params_stage), and the key-side
 * tables of the BlockMask bm (host memory; may be NULL), are copied to the
 * device (rt_gpu_upload). With `timing` the launch is the timed series of
 * attn_cuda_time_attn_fwd. Returns when the kernel is done if tensors came
 * from the CPU or the driver cannot free in stream order; with every tensor
 * on the device, as soon as the kernel is queued on `stream`. */
attn_status rt_gpu_run_cuda(const attn_gpu_variant *gv, const attn_gpu_kernel *kern,
                            attn_fwd_gpu_args *a, const DLTensor *const t[5], int on_device,
                            const uint8_t *params_on_device, const attn_block_mask *bm, void *stream,
                            const rt_gpu_timing *timing);

#endif
