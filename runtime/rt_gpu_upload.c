/* rt_gpu_upload.c - the small host data of one CUDA launch (parameter
 * slots, tensor parameters, pack tables, host BlockMask tables) staged in
 * one host buffer and sent in one stream-ordered copy to one device buffer:
 * one allocation and one transfer per launch instead of one or two per
 * parameter, and nothing the host must wait for when the driver allocates
 * on the stream (cuMemAllocAsync / cuMemFreeAsync). */
#include <stdlib.h>
#include <string.h>

#include "rt_cuda.h"
#include "rt_launch_gpu.h"

enum { RT_GPU_UPLOAD_ALIGN = 16 };

/* Grows u->host to hold `need` bytes (zeroed past the old end). */
static attn_status rt_gpu_upload_reserve(rt_gpu_upload *u, size_t need) {
    if (need <= u->cap)
        return ATTN_OK;
    size_t cap = u->cap ? u->cap : 256;
    while (cap < need)
        cap *= 2;
    char *host = realloc(u->host, cap);
    if (!host)
        return rt_fail(ATTN_ERR_NO_MEMORY, "CUDA launch: out of memory staging %zu bytes", need);
    memset(host + u->cap, 0, cap - u->cap);
    u->host = host;
    u->cap = cap;
    return ATTN_OK;
}

attn_status rt_gpu_upload_put(rt_gpu_upload *u, const void *src, size_t bytes, size_t *off) {
    size_t at = (u->used + RT_GPU_UPLOAD_ALIGN - 1) / RT_GPU_UPLOAD_ALIGN * RT_GPU_UPLOAD_ALIGN;
    attn_status s = rt_gpu_upload_reserve(u, at + (bytes ? bytes : 1));
    if (s != ATTN_OK)
        return s;
    if (src && bytes)
        memcpy(u->host + at, src, bytes);
    u->used = at + (bytes ? bytes : 1);
    *off = at;
    return ATTN_OK;
}

attn_status rt_gpu_upload_point(rt_gpu_upload *u, void *where, size_t at, size_t target) {
    if (u->nlinks == u->cap_links) {
        int cap = u->cap_links ? 2 * u->cap_links : 16;
        rt_gpu_upload_link *links = realloc(u->links, (size_t)cap * sizeof *links);
        if (!links)
            return rt_fail(ATTN_ERR_NO_MEMORY, "CUDA launch: out of memory");
        u->links = links;
        u->cap_links = cap;
    }
    u->links[u->nlinks++] = (rt_gpu_upload_link){where, at, target};
    return ATTN_OK;
}

/* u->dev: a stream-ordered allocation on u->stream when the driver has one
 * for this device, else a plain cuMemAlloc. */
static attn_status rt_gpu_upload_alloc(rt_gpu_upload *u, const rt_cuda_api *api) {
    CUdeviceptr p = 0;
    if (api->MemAllocAsync && api->MemFreeAsync &&
        api->MemAllocAsync(&p, u->used, (CUstream)u->stream) == RT_CUDA_SUCCESS) {
        u->dev = (void *)(uintptr_t)p;
        u->stream_ordered = true;
        return ATTN_OK;
    }
    CUresult r = api->MemAlloc(&p, u->used);
    if (r != RT_CUDA_SUCCESS)
        return rt_cuda_fail(r, "cuMemAlloc (launch parameters)");
    u->dev = (void *)(uintptr_t)p;
    return ATTN_OK;
}

attn_status rt_gpu_upload_commit(rt_gpu_upload *u) {
    const rt_cuda_api *api;
    CUcontext ctx;
    if (u->used == 0)
        return ATTN_OK;
    attn_status s = rt_cuda_enter(&api, &ctx);
    if (s == ATTN_OK)
        s = rt_gpu_upload_alloc(u, api);
    if (s != ATTN_OK)
        return s;
    for (int i = 0; i < u->nlinks; i++) {
        const rt_gpu_upload_link *l = &u->links[i];
        void *addr = (char *)u->dev + l->target;
        memcpy(l->where ? l->where : u->host + l->at, &addr, sizeof addr);
    }
    /* From pageable memory the copy is staged before the call returns, so
     * u->host may be freed right after it (CUDA driver API reference, "API
     * synchronization behavior"). */
    CUresult r = api->MemcpyHtoDAsync((CUdeviceptr)(uintptr_t)u->dev, u->host, u->used,
                                      (CUstream)u->stream);
    return r == RT_CUDA_SUCCESS ? ATTN_OK : rt_cuda_fail(r, "cuMemcpyHtoDAsync (launch parameters)");
}

bool rt_gpu_upload_must_wait(const rt_gpu_upload *u) { return u->dev && !u->stream_ordered; }

void rt_gpu_upload_free(rt_gpu_upload *u) {
    const rt_cuda_api *api;
    CUcontext ctx;
    if (u->dev && rt_cuda_enter(&api, &ctx) == ATTN_OK) {
        CUdeviceptr p = (CUdeviceptr)(uintptr_t)u->dev;
        if (u->stream_ordered)
            api->MemFreeAsync(p, (CUstream)u->stream);
        else
            api->MemFree(p);
    }
    free(u->host);
    free(u->links);
    *u = (rt_gpu_upload){.stream = u->stream};
}
