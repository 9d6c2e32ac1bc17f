/* rt_launch_gpu_cuda.c - the CUDA half of attn_forward_gpu: the variant's
 * PTX for the device, parameters and (for CPU tensors) q, k, v, out, lse
 * copied to the device (tensors in device memory are used in place), the
 * launch, the results copied back. */
#include <stdlib.h>
#include <string.h>

#include "attn_cuda.h"
#include "rt_launch_gpu.h"

void rt_gpu_buffers_free(rt_gpu_buffers *b) {
    for (int i = 0; i < b->n; i++)
        attn_cuda_free(b->ptr[i]);
    for (int i = 0; i < 5; i++)
        attn_cuda_tensor_free(b->io[i]);
}

attn_status rt_gpu_copy_in(rt_gpu_buffers *b, const void *src, size_t bytes, void **dst) {
    if (b->n == (int)(sizeof b->ptr / sizeof b->ptr[0]))
        return rt_fail(ATTN_ERR_UNSUPPORTED, "too many parameter buffers for one CUDA launch");
    attn_status s = attn_cuda_malloc(bytes ? bytes : 1, &b->ptr[b->n]);
    if (s != ATTN_OK)
        return s;
    *dst = b->ptr[b->n++];
    return bytes ? attn_cuda_memcpy_htod(*dst, src, bytes) : ATTN_OK;
}

static int64_t rt_gpu_elem_bytes(int32_t dtype) {
    return dtype == ATTN_F16 || dtype == ATTN_BF16 ? 2 : dtype == ATTN_BOOL ? 1 : 4;
}

attn_status rt_gpu_params_to_device(const attn_variant *var, attn_ctx *ctx, const uint8_t *on_device,
                                    rt_gpu_buffers *b) {
    if (var->nparams == 0)
        return ATTN_OK;
    attn_param *slots = malloc((size_t)var->nparams * sizeof *slots);
    if (!slots)
        return rt_fail(ATTN_ERR_NO_MEMORY, "out of memory for %d parameters", (int)var->nparams);
    memcpy(slots, ctx->params, (size_t)var->nparams * sizeof *slots);
    attn_status s = ATTN_OK;
    for (int32_t i = 0; i < var->nparams && s == ATTN_OK; i++) {
        void *d = NULL;
        if (var->params[i].kind == ATTN_PARAM_TENSOR && !(on_device && on_device[i])) {
            attn_tensor_arg *t = &slots[i].u.t;
            int64_t span = 1; /* elements from the first to one past the last */
            for (int32_t j = 0; j < t->ndim && span; j++)
                span = t->shape[j] == 0 ? 0 : span + (t->shape[j] - 1) * t->stride[j];
            s = rt_gpu_copy_in(b, t->data, (size_t)(span * rt_gpu_elem_bytes(t->dtype)), &d);
            t->data = d;
        } else if (var->params[i].kind == ATTN_PARAM_PACK) {
            attn_pack_arg *p = &slots[i].u.p;
            s = rt_gpu_copy_in(b, p->offsets, (size_t)(p->nseg + 1) * sizeof(int32_t), &d);
            p->offsets = d;
            if (s == ATTN_OK)
                s = rt_gpu_copy_in(b, p->seg_of, (size_t)p->length * sizeof(int32_t), &d);
            p->seg_of = d;
        }
    }
    void *dslots = NULL;
    if (s == ATTN_OK)
        s = rt_gpu_copy_in(b, slots, (size_t)var->nparams * sizeof *slots, &dslots);
    free(slots);
    ctx->params = dslots;
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

attn_status rt_gpu_run_cuda(const attn_gpu_variant *gv, const attn_gpu_kernel *kern,
                            attn_fwd_gpu_args *a, const DLTensor *const t[5], int on_device,
                            const uint8_t *params_on_device, const attn_block_mask *bm, void *stream,
                            const rt_gpu_timing *timing) {
    const char *ptx;
    attn_cuda_kernel k;
    attn_status s = attn_gpu_variant_ptx(gv, &ptx);
    if (s == ATTN_OK)
        s = attn_cuda_attn_fwd_kernel(ptx, kern->entry, kern->d, kern->dv, &k);
    if (s != ATTN_OK)
        return s;
    rt_gpu_buffers b = {.n = 0};
    const DLTensor *dev[5] = {t[0], t[1], t[2], t[3], t[4]};
    for (int i = 0; i < 5 && !on_device && s == ATTN_OK; i++)
        if (t[i] && (s = attn_cuda_tensor_upload(t[i], &b.io[i])) == ATTN_OK)
            dev[i] = &b.io[i]->t;
    if (s == ATTN_OK)
        s = rt_gpu_params_to_device(gv->var, &a->ctx, params_on_device, &b);
    if (s == ATTN_OK && bm)
        s = rt_gpu_block_mask_to_device(bm, &b, &a->block_mask);
    if (s == ATTN_OK) {
        rt_gpu_fill_args(a, dev[0], dev[1], dev[2], dev[3], dev[4]);
        s = timing ? attn_cuda_time_attn_fwd(&k, a, stream, timing->warmup, timing->iters,
                                             timing->median_ms)
                   : attn_cuda_launch_attn_fwd(&k, a, stream);
    }
    /* The parameter buffers are freed below: wait for the kernel. */
    attn_status sync = attn_cuda_synchronize(stream);
    s = s != ATTN_OK ? s : sync;
    for (int i = 3; i < 5 && !on_device && s == ATTN_OK; i++)
        if (t[i])
            s = attn_cuda_tensor_download(dev[i], (DLTensor *)t[i]);
    rt_gpu_buffers_free(&b);
    return s;
}
