/* rt_cuda_launch.c - kernel launches: generic cuLaunchKernel, and the GPU
 * attention template's geometry and argument checks, independent of how its
 * PTX was produced. */
#include <stdio.h>
#include <stdlib.h>

#include "rt_cuda.h"

attn_status attn_cuda_launch(const attn_cuda_kernel *k, const uint32_t grid[3],
                             const uint32_t block[3], void **params, void *stream) {
    const rt_cuda_api *api;
    CUcontext ctx;
    if (!k || !k->fn || !grid || !block)
        return rt_fail(ATTN_ERR_INVALID_ARG, "attn_cuda_launch: %s is NULL",
                       !k || !k->fn ? "kernel" : !grid ? "grid" : "block");
    attn_status s = rt_cuda_enter(&api, &ctx);
    if (s != ATTN_OK)
        return s;
    CUresult r = api->LaunchKernel((CUfunction)k->fn, grid[0], grid[1], grid[2], block[0],
                                   block[1], block[2], (unsigned)k->smem_bytes,
                                   (CUstream)stream, params, NULL);
    if (r != RT_CUDA_SUCCESS) {
        char call[160];
        snprintf(call, sizeof call, "cuLaunchKernel(grid %u,%u,%u block %u,%u,%u smem %d)",
                 grid[0], grid[1], grid[2], block[0], block[1], block[2], (int)k->smem_bytes);
        return rt_cuda_fail(r, call);
    }
    return ATTN_OK;
}

attn_status rt_cuda_attn_fwd_kernel(const char *ptx, attn_cuda_module_memo *memo, const char *entry,
                                    int32_t d, int32_t dv, attn_cuda_kernel *out) {
    if (d <= 0 || dv <= 0 || d % 32 || dv % 32)
        return rt_fail(ATTN_ERR_SHAPE,
                       "attn_cuda_attn_fwd_kernel: head dims D = %d, DV = %d: expected "
                       "positive multiples of 32", (int)d, (int)dv);
    attn_cuda_module *m;
    attn_status s = rt_cuda_module_load_memo(ptx, memo, &m);
    return s != ATTN_OK ? s : attn_cuda_kernel_get(m, entry, ATTN_GPU_SMEM_BYTES(d, dv), out);
}

attn_status attn_cuda_attn_fwd_kernel(const char *ptx, const char *entry, int32_t d, int32_t dv,
                                      attn_cuda_kernel *out) {
    return rt_cuda_attn_fwd_kernel(ptx, NULL, entry, d, dv, out);
}

attn_status rt_gpu_check_row_strides(const attn_fwd_gpu_args *a) {
    static const char *const names[] = {"q", "k", "v"};
    const int64_t strides[] = {a->q_stride[2], a->k_stride[2], a->v_stride[2]};
    for (int i = 0; i < 3; i++)
        if (strides[i] < 0 || strides[i] > ATTN_GPU_MAX_ROW_STRIDE)
            return rt_fail(ATTN_ERR_SHAPE, "GPU attention: %s row stride (stride[2]) = %lld "
                           "elements: the GPU kernels take row strides from 0 to %d",
                           names[i], (long long)strides[i], ATTN_GPU_MAX_ROW_STRIDE);
    return ATTN_OK;
}

/* Checks what the template assumes of its arguments (attn_abi.h). */
static attn_status rt_cuda_check_attn_args(const attn_cuda_kernel *k,
                                           const attn_fwd_gpu_args *a) {
    const int32_t *dims = a->ctx.dims;
    const void *ptrs[] = {a->q, a->k, a->v, a->out};
    static const char *const names[] = {"q", "k", "v", "out"};
    const int64_t *strides[] = {a->q_stride, a->k_stride, a->v_stride, a->o_stride};
    for (int i = 0; i < 4; i++) {
        if (!ptrs[i] || (uintptr_t)ptrs[i] % 16)
            return rt_fail(ATTN_ERR_INVALID_ARG, "CUDA attention: %s pointer %p: expected a "
                           "16-byte aligned device address", names[i], ptrs[i]);
        for (int j = 0; j < 3; j++)
            if (strides[i][j] % 8)
                return rt_fail(ATTN_ERR_SHAPE, "CUDA attention: %s stride[%d] = %lld: expected "
                               "a multiple of 8 elements", names[i], j, (long long)strides[i][j]);
    }
    attn_status s = rt_gpu_check_row_strides(a);
    if (s != ATTN_OK)
        return s;
    for (int i = 0; i < ATTN_DIM_STANDARD_COUNT; i++)
        if (dims[i] < 0)
            return rt_fail(ATTN_ERR_SHAPE, "CUDA attention: dims[%d] = %d is negative", i,
                           (int)dims[i]);
    if (dims[ATTN_DIM_HKV] <= 0 || dims[ATTN_DIM_H] % dims[ATTN_DIM_HKV])
        return rt_fail(ATTN_ERR_SHAPE, "CUDA attention: H = %d is not a multiple of HKV = %d",
                       (int)dims[ATTN_DIM_H], (int)dims[ATTN_DIM_HKV]);
    if (dims[ATTN_DIM_H] > 65535 || dims[ATTN_DIM_B] > 65535)
        return rt_fail(ATTN_ERR_SHAPE, "CUDA attention: H = %d, B = %d: at most 65535 each",
                       (int)dims[ATTN_DIM_H], (int)dims[ATTN_DIM_B]);
    int32_t smem = ATTN_GPU_SMEM_BYTES(dims[ATTN_DIM_D], dims[ATTN_DIM_DV]);
    if (smem > k->smem_bytes)
        return rt_fail(ATTN_ERR_SHAPE, "CUDA attention: D = %d, DV = %d need %d bytes of shared "
                       "memory; the kernel was loaded for %d", (int)dims[ATTN_DIM_D],
                       (int)dims[ATTN_DIM_DV], (int)smem, (int)k->smem_bytes);
    return ATTN_OK;
}

attn_status attn_cuda_launch_attn_fwd(const attn_cuda_kernel *k, const attn_fwd_gpu_args *args,
                                      void *stream) {
    if (!k || !args)
        return rt_fail(ATTN_ERR_INVALID_ARG, "attn_cuda_launch_attn_fwd: %s is NULL",
                       k ? "args" : "kernel");
    const int32_t *dims = args->ctx.dims;
    if (dims[ATTN_DIM_B] == 0 || dims[ATTN_DIM_H] == 0 || dims[ATTN_DIM_Q] == 0)
        return ATTN_OK;
    attn_status s = rt_cuda_check_attn_args(k, args);
    if (s != ATTN_OK)
        return s;
    const int32_t bq = ATTN_GPU_BLOCK_Q(dims[ATTN_DIM_D], dims[ATTN_DIM_DV]);
    uint32_t grid[3] = {(uint32_t)((dims[ATTN_DIM_Q] + bq - 1) / bq),
                        (uint32_t)dims[ATTN_DIM_H], (uint32_t)dims[ATTN_DIM_B]};
    uint32_t block[3] = {(uint32_t)ATTN_GPU_THREADS(dims[ATTN_DIM_D], dims[ATTN_DIM_DV]), 1, 1};
    attn_cuda_kernel launch = {k->fn, ATTN_GPU_SMEM_BYTES(dims[ATTN_DIM_D], dims[ATTN_DIM_DV])};
    void *params[] = {(void *)args}; /* the kernel takes the struct by value */
    return attn_cuda_launch(&launch, grid, block, params, stream);
}

rt_capture rt_cuda_stream_capture(void *stream) {
    const rt_cuda_api *api;
    CUcontext ctx;
    if (rt_cuda_enter(&api, &ctx) != ATTN_OK || !api->StreamIsCapturing)
        return RT_CAPTURE_NONE;
    int status = 0; /* CU_STREAM_CAPTURE_STATUS_NONE */
    CUresult r = api->StreamIsCapturing((CUstream)stream, &status);
    if (r == RT_CUDA_ERROR_STREAM_CAPTURE_IMPLICIT)
        return RT_CAPTURE_BLOCKED;
    return r == RT_CUDA_SUCCESS && status != 0 ? RT_CAPTURE_ACTIVE : RT_CAPTURE_NONE;
}

attn_status attn_cuda_synchronize(void *stream) {
    const rt_cuda_api *api;
    CUcontext ctx;
    attn_status s = rt_cuda_enter(&api, &ctx);
    if (s != ATTN_OK)
        return s;
    CUresult r = stream ? api->StreamSynchronize((CUstream)stream) : api->CtxSynchronize();
    return r == RT_CUDA_SUCCESS ? ATTN_OK
                                : rt_cuda_fail(r, stream ? "cuStreamSynchronize"
                                                         : "cuCtxSynchronize");
}

static int rt_cuda_cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

attn_status attn_cuda_time_attn_fwd(const attn_cuda_kernel *k, const attn_fwd_gpu_args *args,
                                    void *stream, int32_t warmup, int32_t iters,
                                    float *median_ms) {
    const rt_cuda_api *api;
    CUcontext ctx;
    if (!median_ms || iters <= 0 || warmup < 0)
        return rt_fail(ATTN_ERR_INVALID_ARG, "attn_cuda_time_attn_fwd: %s",
                       !median_ms ? "median_ms is NULL" : "iters must be > 0, warmup >= 0");
    attn_status s = rt_cuda_enter(&api, &ctx);
    for (int32_t i = 0; i < warmup && s == ATTN_OK; i++)
        s = attn_cuda_launch_attn_fwd(k, args, stream);
    if (s != ATTN_OK)
        return s;
    float *ms = malloc((size_t)iters * sizeof *ms);
    CUevent ev[2] = {NULL, NULL};
    CUresult r = ms ? api->EventCreate(&ev[0], 0) : RT_CUDA_ERROR_OUT_OF_MEMORY;
    if (r == RT_CUDA_SUCCESS)
        r = api->EventCreate(&ev[1], 0);
    for (int32_t i = 0; i < iters && r == RT_CUDA_SUCCESS && s == ATTN_OK; i++) {
        r = api->EventRecord(ev[0], (CUstream)stream);
        s = r == RT_CUDA_SUCCESS ? attn_cuda_launch_attn_fwd(k, args, stream) : ATTN_OK;
        if (r == RT_CUDA_SUCCESS && s == ATTN_OK)
            r = api->EventRecord(ev[1], (CUstream)stream);
        if (r == RT_CUDA_SUCCESS && s == ATTN_OK)
            r = api->EventSynchronize(ev[1]);
        if (r == RT_CUDA_SUCCESS && s == ATTN_OK)
            r = api->EventElapsedTime(&ms[i], ev[0], ev[1]);
    }
    if (r != RT_CUDA_SUCCESS && s == ATTN_OK)
        s = rt_cuda_fail(r, "attn_cuda_time_attn_fwd (CUDA events)");
    if (s == ATTN_OK) {
        qsort(ms, (size_t)iters, sizeof *ms, rt_cuda_cmp_float);
        *median_ms = ms[iters / 2];
    }
    for (int i = 0; i < 2; i++)
        if (ev[i])
            api->EventDestroy(ev[i]);
    free(ms);
    return s;
}
