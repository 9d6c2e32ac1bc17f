/* rt_cuda_memory.c - device buffers and host <-> device copies, raw and as
 * DLTensors (a strided CPU tensor is packed through a compact staging copy). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "rt_cuda.h"

attn_status attn_cuda_malloc(size_t bytes, void **dptr) {
    const rt_cuda_api *api;
    CUcontext ctx;
    if (!dptr)
        return rt_fail(ATTN_ERR_INVALID_ARG, "attn_cuda_malloc: dptr is NULL");
    *dptr = NULL;
    attn_status s = rt_cuda_enter(&api, &ctx);
    if (s != ATTN_OK)
        return s;
    CUdeviceptr p = 0;
    CUresult r = api->MemAlloc(&p, bytes ? bytes : 1);
    if (r != RT_CUDA_SUCCESS)
        return rt_cuda_fail(r, "cuMemAlloc");
    *dptr = (void *)(uintptr_t)p;
    return ATTN_OK;
}

attn_status attn_cuda_free(void *dptr) {
    const rt_cuda_api *api;
    CUcontext ctx;
    if (!dptr)
        return ATTN_OK;
    attn_status s = rt_cuda_enter(&api, &ctx);
    if (s != ATTN_OK)
        return s;
    CUresult r = api->MemFree((CUdeviceptr)(uintptr_t)dptr);
    return r == RT_CUDA_SUCCESS ? ATTN_OK : rt_cuda_fail(r, "cuMemFree");
}

attn_status attn_cuda_memcpy_htod(void *dst, const void *src, size_t bytes) {
    const rt_cuda_api *api;
    CUcontext ctx;
    attn_status s = rt_cuda_enter(&api, &ctx);
    if (s != ATTN_OK || bytes == 0)
        return s;
    CUresult r = api->MemcpyHtoD((CUdeviceptr)(uintptr_t)dst, src, bytes);
    return r == RT_CUDA_SUCCESS ? ATTN_OK : rt_cuda_fail(r, "cuMemcpyHtoD");
}

attn_status attn_cuda_memcpy_dtoh(void *dst, const void *src, size_t bytes) {
    const rt_cuda_api *api;
    CUcontext ctx;
    attn_status s = rt_cuda_enter(&api, &ctx);
    if (s != ATTN_OK || bytes == 0)
        return s;
    CUresult r = api->MemcpyDtoH(dst, (CUdeviceptr)(uintptr_t)src, bytes);
    return r == RT_CUDA_SUCCESS ? ATTN_OK : rt_cuda_fail(r, "cuMemcpyDtoH");
}

attn_status attn_cuda_memcpy_htod_async(void *dst, const void *src, size_t bytes, void *stream) {
    const rt_cuda_api *api;
    CUcontext ctx;
    attn_status s = rt_cuda_enter(&api, &ctx);
    if (s != ATTN_OK || bytes == 0)
        return s;
    CUresult r = api->MemcpyHtoDAsync((CUdeviceptr)(uintptr_t)dst, src, bytes, (CUstream)stream);
    return r == RT_CUDA_SUCCESS ? ATTN_OK : rt_cuda_fail(r, "cuMemcpyHtoDAsync");
}

attn_status attn_cuda_memset(void *dptr, uint8_t value, size_t bytes) {
    const rt_cuda_api *api;
    CUcontext ctx;
    attn_status s = rt_cuda_enter(&api, &ctx);
    if (s != ATTN_OK || bytes == 0)
        return s;
    CUresult r = api->MemsetD8((CUdeviceptr)(uintptr_t)dptr, value, bytes);
    return r == RT_CUDA_SUCCESS ? ATTN_OK : rt_cuda_fail(r, "cuMemsetD8");
}

/* Copies between a strided CPU tensor and a compact buffer of its elements
 * (row-major), in the direction `to_compact`. */
static void rt_cuda_restride(const DLTensor *t, char *compact, int to_compact) {
    int64_t esize = rt_dl_elem_size(t->dtype), n = rt_numel(t), idx[ATTN_MAX_RANK] = {0};
    char *base = rt_data(t);
    for (int64_t i = 0; i < n; i++) {
        int64_t off = 0;
        for (int32_t d = 0; d < t->ndim; d++)
            off += idx[d] * rt_stride(t, d);
        char *elem = base + off * esize, *c = compact + i * esize;
        memcpy(to_compact ? c : elem, to_compact ? elem : c, (size_t)esize);
        for (int32_t d = t->ndim - 1; d >= 0 && ++idx[d] == t->shape[d]; d--)
            idx[d] = 0;
    }
}

/* Whether t's strides are the compact row-major ones. */
static int rt_cuda_is_compact(const DLTensor *t) {
    int64_t expect = 1;
    for (int32_t d = t->ndim - 1; d >= 0; d--) {
        if (t->shape[d] != 1 && rt_stride(t, d) != expect)
            return 0;
        expect *= t->shape[d];
    }
    return 1;
}

/* How rt_cuda_transfer copies to the device: synchronously, or queued on a stream. */
typedef struct rt_cuda_copy_mode {
    bool queued;
    void *stream;
} rt_cuda_copy_mode;

static attn_status rt_cuda_htod(void *dev, const void *src, size_t bytes, rt_cuda_copy_mode mode) {
    return mode.queued ? attn_cuda_memcpy_htod_async(dev, src, bytes, mode.stream)
                       : attn_cuda_memcpy_htod(dev, src, bytes);
}

/* Copies host (a checked CPU tensor) to (as `mode` says) or from the
 * compact device buffer dev, staging through a compact host buffer when
 * host is strided (a queued copy of pageable memory is staged by the driver
 * before the call returns, so the buffer may be freed at once). */
static attn_status rt_cuda_transfer(const DLTensor *host, void *dev, int to_device,
                                    rt_cuda_copy_mode mode) {
    size_t bytes = (size_t)(rt_numel(host) * rt_dl_elem_size(host->dtype));
    if (rt_cuda_is_compact(host))
        return to_device ? rt_cuda_htod(dev, rt_data(host), bytes, mode)
                         : attn_cuda_memcpy_dtoh(rt_data(host), dev, bytes);
    char *stage = malloc(bytes ? bytes : 1);
    if (!stage)
        return rt_fail(ATTN_ERR_NO_MEMORY, "CUDA tensor copy: out of memory (%zu bytes)", bytes);
    attn_status s;
    if (to_device) {
        rt_cuda_restride(host, stage, 1);
        s = rt_cuda_htod(dev, stage, bytes, mode);
    } else {
        s = attn_cuda_memcpy_dtoh(stage, dev, bytes);
        if (s == ATTN_OK)
            rt_cuda_restride(host, stage, 0);
    }
    free(stage);
    return s;
}

/* attn_cuda_tensor_upload with its copy made as `mode` says. */
static attn_status rt_cuda_tensor_upload(const DLTensor *host, rt_cuda_copy_mode mode,
                                         attn_cuda_tensor **out) {
    if (!out)
        return rt_fail(ATTN_ERR_INVALID_ARG, "attn_cuda_tensor_upload: out is NULL");
    *out = NULL;
    attn_status s = rt_check_cpu_tensor(host, "attn_cuda_tensor_upload");
    if (s != ATTN_OK)
        return s;
    attn_cuda_tensor *t = calloc(1, sizeof *t);
    if (!t)
        return rt_fail(ATTN_ERR_NO_MEMORY, "attn_cuda_tensor_upload: out of memory");
    memcpy(t->shape, host->shape, (size_t)host->ndim * sizeof *t->shape);
    t->t.ndim = host->ndim;
    t->t.shape = t->shape;
    t->t.dtype = host->dtype;
    int ordinal = 0;
    s = rt_cuda_context_ordinal(&ordinal);
    t->t.device = (DLDevice){kDLCUDA, ordinal};
    if (s == ATTN_OK)
        s = attn_cuda_malloc((size_t)(rt_numel(host) * rt_dl_elem_size(host->dtype)), &t->t.data);
    if (s == ATTN_OK)
        s = rt_cuda_transfer(host, t->t.data, 1, mode);
    if (s != ATTN_OK) {
        attn_cuda_tensor_free(t);
        return s;
    }
    *out = t;
    return ATTN_OK;
}

attn_status attn_cuda_tensor_upload(const DLTensor *host, attn_cuda_tensor **out) {
    return rt_cuda_tensor_upload(host, (rt_cuda_copy_mode){.queued = false}, out);
}

attn_status rt_cuda_tensor_upload_on(const DLTensor *host, void *stream, attn_cuda_tensor **out) {
    return rt_cuda_tensor_upload(host, (rt_cuda_copy_mode){.queued = true, .stream = stream}, out);
}

attn_status attn_cuda_tensor_download(const DLTensor *dev, DLTensor *host) {
    attn_status s = rt_check_cpu_tensor(host, "attn_cuda_tensor_download: host");
    if (s != ATTN_OK)
        return s;
    if (!dev || dev->device.device_type != kDLCUDA || !rt_cuda_is_compact(dev))
        return rt_fail(ATTN_ERR_INVALID_ARG,
                       "attn_cuda_tensor_download: dev must be a compact CUDA tensor");
    int same = dev->ndim == host->ndim && dev->dtype.code == host->dtype.code &&
               dev->dtype.bits == host->dtype.bits && dev->dtype.lanes == host->dtype.lanes;
    for (int32_t d = 0; same && d < dev->ndim; d++)
        same = dev->shape[d] == host->shape[d];
    if (!same)
        return rt_fail(ATTN_ERR_SHAPE,
                       "attn_cuda_tensor_download: host tensor differs in shape or dtype");
    return rt_cuda_transfer(host, rt_data(dev), 0, (rt_cuda_copy_mode){0});
}

void attn_cuda_tensor_free(attn_cuda_tensor *t) {
    if (!t)
        return;
    attn_cuda_free(t->t.data);
    free(t);
}
