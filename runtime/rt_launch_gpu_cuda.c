/* rt_launch_gpu_cuda.c - the CUDA half of attn_forward_gpu: the variant's
 * PTX for the device, parameters and (for CPU tensors) q, k, v, out, lse
 * copied to the device (tensors in device memory are used in place), the
 * launch, the results copied back; with device tensors nothing is waited
 * for (rt_gpu_upload), and nothing that would break a stream capture runs. */
#include <stddef.h>

#include "attn_cuda.h"
#include "rt_cuda.h"
#include "rt_launch_gpu.h"

static int64_t rt_gpu_elem_bytes(int32_t dtype) {
    return dtype == ATTN_F16 || dtype == ATTN_BF16 ? 2 : dtype == ATTN_BOOL ? 1 : 4;
}

/* Stages the bytes of the parameter slot `slot` (a host tensor or pack)
 * that the device reads and records where the staged slot copy at offset
 * slot_off points at them. */
static attn_status rt_gpu_param_stage(const attn_param *slot, int32_t kind, size_t slot_off,
                                      rt_gpu_upload *u) {
    size_t off;
    attn_status s = ATTN_OK;
    if (kind == ATTN_PARAM_TENSOR) {
        const attn_tensor_arg *t = &slot->u.t;
        int64_t span = 1; /* elements from the first to one past the last */
        for (int32_t j = 0; j < t->ndim && span; j++)
            span = t->shape[j] == 0 ? 0 : span + (t->shape[j] - 1) * t->stride[j];
        s = rt_gpu_upload_put(u, t->data, (size_t)(span * rt_gpu_elem_bytes(t->dtype)), &off);
        if (s == ATTN_OK)
            s = rt_gpu_upload_point(u, NULL, slot_off + offsetof(attn_param, u.t.data), off);
    } else if (kind == ATTN_PARAM_PACK) {
        const attn_pack_arg *p = &slot->u.p;
        s = rt_gpu_upload_put(u, p->offsets, (size_t)(p->nseg + 1) * sizeof(int32_t), &off);
        if (s == ATTN_OK)
            s = rt_gpu_upload_point(u, NULL, slot_off + offsetof(attn_param, u.p.offsets), off);
        if (s == ATTN_OK)
            s = rt_gpu_upload_put(u, p->seg_of, (size_t)p->length * sizeof(int32_t), &off);
        if (s == ATTN_OK)
            s = rt_gpu_upload_point(u, NULL, slot_off + offsetof(attn_param, u.p.seg_of), off);
    }
    return s;
}

attn_status rt_gpu_params_stage(const attn_variant *var, attn_ctx *ctx, const uint8_t *on_device,
                                rt_gpu_upload *u) {
    if (var->nparams == 0)
        return ATTN_OK;
    size_t slots;
    attn_status s = rt_gpu_upload_put(u, ctx->params, (size_t)var->nparams * sizeof(attn_param),
                                      &slots);
    if (s == ATTN_OK)
        s = rt_gpu_upload_point(u, &ctx->params, 0, slots);
    for (int32_t i = 0; i < var->nparams && s == ATTN_OK; i++) {
        const int32_t kind = var->params[i].kind;
        if (!(kind == ATTN_PARAM_TENSOR && on_device && on_device[i]))
            s = rt_gpu_param_stage(&ctx->params[i], kind, slots + (size_t)i * sizeof(attn_param), u);
    }
    return s;
}

attn_status attn_gpu_variant_ptx(const attn_gpu_variant *gv, const char **ptx) {
    attn_cuda_info info;
    attn_status s = attn_cuda_device_info(&info);
    if (s != ATTN_OK)
        return s;
    if (info.cc_major < 8)
        return rt_fail(ATTN_ERR_UNSUPPORTED, "%s: the GPU kernels need compute capability 8.0 "
                       "or newer, the device has %d.%d", gv->var->name, (int)info.cc_major,
                       (int)info.cc_minor);
    int hopper = info.cc_major == 9 && info.cc_minor == 0 && gv->ptx[ATTN_GPU_PTX_SM90A];
    *ptx = gv->ptx[hopper ? ATTN_GPU_PTX_SM90A : ATTN_GPU_PTX_SM80];
    if (!*ptx)
        return rt_fail(ATTN_ERR_UNSUPPORTED, "%s: no PTX for this device (compile with --target "
                       "sm_80)", gv->var->name);
    return ATTN_OK;
}

attn_status rt_gpu_cuda_kernel(const attn_gpu_variant *gv, const attn_gpu_kernel *kern,
                               attn_cuda_kernel *k) {
    const char *ptx;
    attn_status s = attn_gpu_variant_ptx(gv, &ptx);
    return s == ATTN_OK ? rt_cuda_attn_fwd_kernel(ptx, gv->memo, kern->entry, kern->d, kern->dv, k)
                        : s;
}

attn_status rt_gpu_launch_stage(const attn_variant *var, attn_fwd_gpu_args *a,
                                const uint8_t *params_on_device, const attn_block_mask *bm,
                                rt_gpu_upload *u) {
    attn_status s = rt_gpu_params_stage(var, &a->ctx, params_on_device, u);
    return s == ATTN_OK && bm ? rt_gpu_block_mask_stage(bm, u, &a->block_mask) : s;
}

attn_status rt_gpu_run_cuda(const attn_gpu_variant *gv, const attn_gpu_kernel *kern,
                            attn_fwd_gpu_args *a, const DLTensor *const t[5], int on_device,
                            const uint8_t *params_on_device, const attn_block_mask *bm, void *stream,
                            const rt_gpu_timing *timing) {
    attn_cuda_kernel k;
    attn_status s = rt_gpu_cuda_kernel(gv, kern, &k);
    /* Stream capture records no copy from pageable host memory (and the
     * staged copy is freed after the call): only a launch that copies
     * nothing may be captured; refuse before touching the stream. */
    const rt_capture cap = rt_cuda_stream_capture(stream);
    if (s == ATTN_OK && cap != RT_CAPTURE_NONE && (!on_device || timing))
        s = rt_gpu_capture_refused(gv->var->name, cap);
    if (s != ATTN_OK)
        return s;
    attn_cuda_tensor *io[5] = {NULL};
    const DLTensor *dev[5] = {t[0], t[1], t[2], t[3], t[4]};
    for (int i = 0; i < 5 && !on_device && s == ATTN_OK; i++)
        if (t[i] && (s = rt_cuda_tensor_upload_on(t[i], stream, &io[i])) == ATTN_OK)
            dev[i] = &io[i]->t;
    rt_gpu_upload u = {.stream = stream};
    if (s == ATTN_OK)
        s = rt_gpu_launch_stage(gv->var, a, params_on_device, bm, &u);
    if (s == ATTN_OK && cap != RT_CAPTURE_NONE && u.used)
        s = rt_gpu_capture_refused(gv->var->name, cap);
    if (s == ATTN_OK)
        s = rt_gpu_upload_commit(&u);
    if (s == ATTN_OK) {
        rt_gpu_fill_args(a, dev[0], dev[1], dev[2], dev[3], dev[4]);
        s = timing ? attn_cuda_time_attn_fwd(&k, a, stream, timing->warmup, timing->iters,
                                             timing->median_ms)
                   : attn_cuda_launch_attn_fwd(&k, a, stream);
    }
    /* Wait for the kernel when results come back to the host, or when the
     * launch's buffers cannot be freed in stream order. */
    if (cap == RT_CAPTURE_NONE && (s != ATTN_OK || !on_device || rt_gpu_upload_must_wait(&u))) {
        attn_status sync = attn_cuda_synchronize(stream);
        s = s != ATTN_OK ? s : sync;
    }
    for (int i = 3; i < 5 && !on_device && s == ATTN_OK; i++)
        if (t[i])
            s = attn_cuda_tensor_download(dev[i], (DLTensor *)t[i]);
    for (int i = 0; i < 5; i++)
        attn_cuda_tensor_free(io[i]);
    rt_gpu_upload_free(&u);
    return s;
}
