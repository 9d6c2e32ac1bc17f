/* rt_cuda_driver.c - the CUDA driver API loaded at run time: libcuda.so.1
 * is opened with dlopen once per process (pthread_once), every entry point
 * is looked up and checked, cuInit is called; contexts are chosen per call
 * (the thread's current one, else the primary context of one device). */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_cuda.h"

static pthread_once_t rt_cuda_once = PTHREAD_ONCE_INIT;
static rt_cuda_api rt_cuda_table;
static void *rt_cuda_lib;
static char rt_cuda_unavailable[400]; /* why not, when the load failed */

/* The primary context the runtime retained (guarded by rt_cuda_ctx_lock). */
static pthread_mutex_t rt_cuda_ctx_lock = PTHREAD_MUTEX_INITIALIZER;
static CUcontext rt_cuda_primary;
static CUdevice rt_cuda_primary_dev;
static int rt_cuda_atexit_done;

/* Symbol names in the order of rt_cuda_api's members; "a|b" tries a, then b
 * (newer drivers version some entry points); a leading '?' marks an entry
 * point the runtime can do without (left NULL when missing). */
static const char *const rt_cuda_symbols[] = {
    "cuInit", "cuDriverGetVersion", "cuDeviceGet", "cuDeviceGetAttribute",
    "cuDevicePrimaryCtxRetain", "cuDevicePrimaryCtxRelease_v2|cuDevicePrimaryCtxRelease",
    "cuCtxSetCurrent", "cuCtxGetCurrent", "cuCtxGetDevice", "cuCtxSynchronize", "cuModuleLoadDataEx",
    "cuModuleGetFunction", "cuModuleUnload", "cuFuncSetAttribute", "cuFuncGetAttribute",
    "cuOccupancyMaxActiveBlocksPerMultiprocessor", "cuLaunchKernel",
    "cuMemAlloc_v2", "cuMemFree_v2", "cuMemcpyHtoD_v2", "cuMemcpyDtoH_v2",
    "cuMemcpyHtoDAsync_v2", "cuMemsetD8_v2", "cuStreamSynchronize", "cuEventCreate",
    "cuEventRecord", "cuEventSynchronize", "cuEventElapsedTime_v2|cuEventElapsedTime",
    "cuEventDestroy_v2", "cuGetErrorName", "cuGetErrorString", "?cuMemAllocAsync",
    "?cuMemFreeAsync", "?cuStreamIsCapturing",
};
_Static_assert(sizeof rt_cuda_symbols / sizeof *rt_cuda_symbols ==
                   sizeof(rt_cuda_api) / sizeof(void (*)(void)),
               "one symbol name per rt_cuda_api member");

/* Looks up "a|b|..." alternatives in turn; NULL when none exists. */
static void *rt_cuda_lookup(const char *names) {
    char name[64];
    for (const char *p = names; *p;) {
        size_t n = strcspn(p, "|");
        snprintf(name, sizeof name, "%.*s", (int)n, p);
        void *f = dlsym(rt_cuda_lib, name);
        if (f)
            return f;
        p += n + (p[n] == '|');
    }
    return NULL;
}

/* Formats a driver error as "CUDA_ERROR_NAME: description" into buf. */
static void rt_cuda_describe(CUresult r, char *buf, size_t size) {
    const char *name = NULL, *text = NULL;
    if (rt_cuda_table.GetErrorName)
        rt_cuda_table.GetErrorName(r, &name);
    if (rt_cuda_table.GetErrorString)
        rt_cuda_table.GetErrorString(r, &text);
    if (name)
        snprintf(buf, size, "%s: %s", name, text ? text : "no description");
    else
        snprintf(buf, size, "CUDA error %d", r);
}

/* pthread_once body: fills rt_cuda_table, or rt_cuda_unavailable. The
 * library is $ATTN_CUDA_DRIVER when set (tests), else libcuda.so.1. */
static void rt_cuda_load(void) {
    const char *path = getenv("ATTN_CUDA_DRIVER");
    if (!path || !*path)
        path = "libcuda.so.1";
    rt_cuda_lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!rt_cuda_lib) {
        const char *why = dlerror();
        snprintf(rt_cuda_unavailable, sizeof rt_cuda_unavailable, "%s",
                 why ? why : "cannot load the CUDA driver");
        return;
    }
    void (**slot)(void) = (void (**)(void))&rt_cuda_table;
    for (size_t i = 0; i < sizeof rt_cuda_symbols / sizeof *rt_cuda_symbols; i++) {
        const char *names = rt_cuda_symbols[i];
        const int optional = names[0] == '?';
        void *f = rt_cuda_lookup(names + optional);
        if (!f && !optional) {
            snprintf(rt_cuda_unavailable, sizeof rt_cuda_unavailable,
                     "%s has no %s (driver too old?)", path, rt_cuda_symbols[i]);
            break;
        }
        memcpy(&slot[i], &f, sizeof f);
    }
    CUresult r = rt_cuda_unavailable[0] ? RT_CUDA_SUCCESS : rt_cuda_table.Init(0);
    if (r != RT_CUDA_SUCCESS) {
        char why[256];
        rt_cuda_describe(r, why, sizeof why);
        snprintf(rt_cuda_unavailable, sizeof rt_cuda_unavailable, "cuInit: %s", why);
    }
    if (rt_cuda_unavailable[0]) {
        memset(&rt_cuda_table, 0, sizeof rt_cuda_table);
        dlclose(rt_cuda_lib);
        rt_cuda_lib = NULL;
    }
}

attn_status rt_cuda_api_get(const rt_cuda_api **api) {
    pthread_once(&rt_cuda_once, rt_cuda_load);
    if (!rt_cuda_lib)
        return rt_fail(ATTN_ERR_UNSUPPORTED, "CUDA unavailable: %s", rt_cuda_unavailable);
    *api = &rt_cuda_table;
    return ATTN_OK;
}

attn_status rt_cuda_fail(CUresult r, const char *call) {
    char why[300];
    rt_cuda_describe(r, why, sizeof why);
    attn_status s = r == RT_CUDA_ERROR_OUT_OF_MEMORY   ? ATTN_ERR_NO_MEMORY
                    : r == RT_CUDA_ERROR_INVALID_VALUE ? ATTN_ERR_INVALID_ARG
                                                       : ATTN_ERR_UNSUPPORTED;
    return rt_fail(s, "%s: %s", call, why);
}

/* The device ordinal to use: $ATTN_CUDA_DEVICE, default 0. */
static int rt_cuda_ordinal(void) {
    const char *env = getenv("ATTN_CUDA_DEVICE");
    return env && *env ? atoi(env) : 0;
}

/* Retains the primary context of the selected device once (caller holds
 * rt_cuda_ctx_lock). */
static attn_status rt_cuda_retain_primary(const rt_cuda_api *api) {
    if (rt_cuda_primary)
        return ATTN_OK;
    int ordinal = rt_cuda_ordinal();
    CUresult r = api->DeviceGet(&rt_cuda_primary_dev, ordinal);
    if (r != RT_CUDA_SUCCESS)
        return rt_cuda_fail(r, ordinal ? "cuDeviceGet ($ATTN_CUDA_DEVICE)" : "cuDeviceGet");
    r = api->DevicePrimaryCtxRetain(&rt_cuda_primary, rt_cuda_primary_dev);
    if (r != RT_CUDA_SUCCESS) {
        rt_cuda_primary = NULL;
        return rt_cuda_fail(r, "cuDevicePrimaryCtxRetain");
    }
    if (!rt_cuda_atexit_done && atexit(attn_cuda_release) == 0)
        rt_cuda_atexit_done = 1;
    return ATTN_OK;
}

attn_status rt_cuda_enter(const rt_cuda_api **api, CUcontext *ctx) {
    attn_status s = rt_cuda_api_get(api);
    if (s != ATTN_OK)
        return s;
    CUresult r = (*api)->CtxGetCurrent(ctx);
    if (r != RT_CUDA_SUCCESS)
        return rt_cuda_fail(r, "cuCtxGetCurrent");
    if (*ctx)
        return ATTN_OK;
    pthread_mutex_lock(&rt_cuda_ctx_lock);
    s = rt_cuda_retain_primary(*api);
    *ctx = rt_cuda_primary;
    pthread_mutex_unlock(&rt_cuda_ctx_lock);
    if (s != ATTN_OK)
        return s;
    r = (*api)->CtxSetCurrent(*ctx);
    return r == RT_CUDA_SUCCESS ? ATTN_OK : rt_cuda_fail(r, "cuCtxSetCurrent");
}

attn_status attn_cuda_init(void) {
    const rt_cuda_api *api;
    CUcontext ctx;
    return rt_cuda_enter(&api, &ctx);
}

attn_status attn_cuda_device_info(attn_cuda_info *out) {
    const rt_cuda_api *api;
    CUcontext ctx;
    if (!out)
        return rt_fail(ATTN_ERR_INVALID_ARG, "attn_cuda_device_info: out is NULL");
    attn_status s = rt_cuda_enter(&api, &ctx);
    if (s != ATTN_OK)
        return s;
    CUdevice dev;
    CUresult r = api->CtxGetDevice(&dev);
    static const int attrs[] = {
        RT_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, RT_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
        RT_CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT,
        RT_CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN};
    int32_t *fields[] = {&out->cc_major, &out->cc_minor, &out->sm_count, &out->smem_optin_bytes};
    for (size_t i = 0; i < sizeof attrs / sizeof *attrs && r == RT_CUDA_SUCCESS; i++) {
        int v = 0;
        r = api->DeviceGetAttribute(&v, attrs[i], dev);
        *fields[i] = v;
    }
    int version = 0;
    if (r == RT_CUDA_SUCCESS)
        r = api->DriverGetVersion(&version);
    out->driver_version = version;
    if (r != RT_CUDA_SUCCESS)
        return rt_cuda_fail(r, "attn_cuda_device_info");
    int ordinal = 0;
    s = rt_cuda_context_ordinal(&ordinal);
    out->ordinal = ordinal;
    return s;
}

void attn_cuda_release(void) {
    const rt_cuda_api *api;
    pthread_once(&rt_cuda_once, rt_cuda_load);
    if (!rt_cuda_lib)
        return;
    api = &rt_cuda_table;
    rt_cuda_modules_release(api);
    pthread_mutex_lock(&rt_cuda_ctx_lock);
    if (rt_cuda_primary) {
        CUcontext cur = NULL;
        if (api->CtxGetCurrent(&cur) == RT_CUDA_SUCCESS && cur == rt_cuda_primary)
            api->CtxSetCurrent(NULL);
        api->DevicePrimaryCtxRelease(rt_cuda_primary_dev);
        rt_cuda_primary = NULL;
    }
    pthread_mutex_unlock(&rt_cuda_ctx_lock);
}
