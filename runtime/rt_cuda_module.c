/* rt_cuda_module.c - PTX modules cached per (context, PTX text), loaded with
 * the driver's JIT (its info and error logs captured), and kernel lookups
 * with the dynamic shared memory opt-in. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_cuda.h"

#define RT_CUDA_LOG_BYTES 16384

struct attn_cuda_module {
    struct attn_cuda_module *next;
    CUcontext ctx;
    CUmodule mod;
    uint64_t hash;
    size_t len;
    char *ptx; /* a copy: hits compare the whole text */
};

static pthread_mutex_t rt_cuda_modules_lock = PTHREAD_MUTEX_INITIALIZER;
static attn_cuda_module *rt_cuda_modules;
/* Bumped when the modules are unloaded: older memo entries are stale
 * (starts at 1 so that a zeroed memo slot never matches). */
static uint64_t rt_cuda_module_generation = 1;
static _Thread_local char rt_cuda_log[RT_CUDA_LOG_BYTES];

const char *attn_cuda_jit_log(void) { return rt_cuda_log; }

/* FNV-1a over the text. */
static uint64_t rt_cuda_hash(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static attn_cuda_module *rt_cuda_find(CUcontext ctx, const char *ptx, size_t len, uint64_t hash) {
    for (attn_cuda_module *m = rt_cuda_modules; m; m = m->next)
        if (m->ctx == ctx && m->hash == hash && m->len == len && memcmp(m->ptx, ptx, len) == 0)
            return m;
    return NULL;
}

/* cuModuleLoadDataEx with 16 KiB info/error logs, kept in rt_cuda_log
 * (error log first); on failure the message ends with the error log. */
static attn_status rt_cuda_jit(const rt_cuda_api *api, const char *ptx, CUmodule *mod) {
    char *info = calloc(1, RT_CUDA_LOG_BYTES), *err = calloc(1, RT_CUDA_LOG_BYTES);
    if (!info || !err) {
        free(info);
        free(err);
        return rt_fail(ATTN_ERR_NO_MEMORY, "attn_cuda_module_load: out of memory for JIT logs");
    }
    int opts[] = {RT_CU_JIT_INFO_LOG_BUFFER, RT_CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES,
                  RT_CU_JIT_ERROR_LOG_BUFFER, RT_CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                  RT_CU_JIT_LOG_VERBOSE};
    void *values[] = {info, (void *)(uintptr_t)RT_CUDA_LOG_BYTES, err,
                      (void *)(uintptr_t)RT_CUDA_LOG_BYTES, (void *)(uintptr_t)1};
    CUresult r = api->ModuleLoadDataEx(mod, ptx, sizeof opts / sizeof *opts, opts, values);
    info[RT_CUDA_LOG_BYTES - 1] = err[RT_CUDA_LOG_BYTES - 1] = '\0';
    snprintf(rt_cuda_log, sizeof rt_cuda_log, "%s%s%s", err, err[0] && info[0] ? "\n" : "",
             info);
    attn_status s = ATTN_OK;
    if (r != RT_CUDA_SUCCESS) {
        s = rt_cuda_fail(r, "cuModuleLoadDataEx");
        char head[256];
        snprintf(head, sizeof head, "%s", attn_last_error());
        rt_fail(s, "%s; JIT error log: %s", head, err[0] ? err : "(empty)");
    }
    free(info);
    free(err);
    return s;
}

attn_status attn_cuda_module_load(const char *ptx, attn_cuda_module **out) {
    const rt_cuda_api *api;
    CUcontext ctx;
    if (!ptx || !out)
        return rt_fail(ATTN_ERR_INVALID_ARG, "attn_cuda_module_load: %s is NULL",
                       ptx ? "out" : "ptx");
    attn_status s = rt_cuda_enter(&api, &ctx);
    if (s != ATTN_OK)
        return s;
    size_t len = strlen(ptx);
    uint64_t hash = rt_cuda_hash(ptx, len);
    pthread_mutex_lock(&rt_cuda_modules_lock);
    attn_cuda_module *m = rt_cuda_find(ctx, ptx, len, hash);
    if (!m) {
        CUmodule mod = NULL;
        m = malloc(sizeof *m);
        char *copy = malloc(len + 1);
        if (!m || !copy)
            s = rt_fail(ATTN_ERR_NO_MEMORY, "attn_cuda_module_load: out of memory");
        else
            s = rt_cuda_jit(api, ptx, &mod);
        if (s == ATTN_OK) {
            memcpy(copy, ptx, len + 1);
            *m = (attn_cuda_module){rt_cuda_modules, ctx, mod, hash, len, copy};
            rt_cuda_modules = m;
        } else {
            free(copy);
            free(m);
            m = NULL;
        }
    }
    pthread_mutex_unlock(&rt_cuda_modules_lock);
    *out = m;
    return s;
}

attn_status attn_cuda_kernel_get(attn_cuda_module *m, const char *entry, int32_t smem_bytes,
                                 attn_cuda_kernel *out) {
    const rt_cuda_api *api;
    if (!m || !entry || !out || smem_bytes < 0)
        return rt_fail(ATTN_ERR_INVALID_ARG, "attn_cuda_kernel_get: %s",
                       !m ? "module is NULL" : !entry ? "entry is NULL" : !out ? "out is NULL"
                                                                 : "negative shared memory size");
    attn_status s = rt_cuda_api_get(&api);
    if (s != ATTN_OK)
        return s;
    CUfunction fn;
    CUresult r = api->ModuleGetFunction(&fn, m->mod, entry);
    if (r != RT_CUDA_SUCCESS) {
        char call[160];
        snprintf(call, sizeof call, "cuModuleGetFunction(\"%.100s\")", entry);
        return rt_cuda_fail(r, call);
    }
    if (smem_bytes > RT_CUDA_DEFAULT_SMEM_LIMIT) {
        r = api->FuncSetAttribute(fn, RT_CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                                  smem_bytes);
        if (r != RT_CUDA_SUCCESS) {
            char call[200];
            snprintf(call, sizeof call,
                     "cuFuncSetAttribute(\"%.100s\", MAX_DYNAMIC_SHARED_SIZE_BYTES = %d)", entry,
                     (int)smem_bytes);
            return rt_cuda_fail(r, call);
        }
    }
    *out = (attn_cuda_kernel){(void *)fn, smem_bytes};
    return ATTN_OK;
}

attn_status rt_cuda_module_load_memo(const char *ptx, attn_cuda_module_memo *memo,
                                     attn_cuda_module **out) {
    const rt_cuda_api *api;
    CUcontext ctx;
    if (!memo || !ptx || !out)
        return attn_cuda_module_load(ptx, out);
    attn_status s = rt_cuda_enter(&api, &ctx);
    if (s != ATTN_OK)
        return s;
    pthread_mutex_lock(&rt_cuda_modules_lock);
    for (int i = 0; i < ATTN_CUDA_MEMO_SLOTS; i++)
        if (memo->slot[i].generation == rt_cuda_module_generation && memo->slot[i].ctx == ctx &&
            memo->slot[i].ptx == ptx) {
            *out = memo->slot[i].module;
            pthread_mutex_unlock(&rt_cuda_modules_lock);
            return ATTN_OK;
        }
    pthread_mutex_unlock(&rt_cuda_modules_lock);
    s = attn_cuda_module_load(ptx, out);
    if (s != ATTN_OK)
        return s;
    pthread_mutex_lock(&rt_cuda_modules_lock);
    uint32_t i = 0; /* a free or stale slot, else the next in turn */
    while (i < ATTN_CUDA_MEMO_SLOTS && memo->slot[i].generation == rt_cuda_module_generation)
        i++;
    if (i == ATTN_CUDA_MEMO_SLOTS)
        i = memo->next++ % ATTN_CUDA_MEMO_SLOTS;
    memo->slot[i].ctx = ctx;
    memo->slot[i].ptx = ptx;
    memo->slot[i].module = *out;
    memo->slot[i].generation = rt_cuda_module_generation;
    pthread_mutex_unlock(&rt_cuda_modules_lock);
    return ATTN_OK;
}

void rt_cuda_modules_release(const rt_cuda_api *api) {
    pthread_mutex_lock(&rt_cuda_modules_lock);
    rt_cuda_module_generation++;
    while (rt_cuda_modules) {
        attn_cuda_module *m = rt_cuda_modules;
        rt_cuda_modules = m->next;
        api->ModuleUnload(m->mod);
        free(m->ptx);
        free(m);
    }
    pthread_mutex_unlock(&rt_cuda_modules_lock);
}

attn_status attn_cuda_kernel_resources_get(const attn_cuda_kernel *k, int32_t threads,
                                           attn_cuda_kernel_resources *out) {
    if (!k || !k->fn || !out || threads <= 0)
        return rt_fail(ATTN_ERR_INVALID_ARG, "attn_cuda_kernel_resources_get: %s",
                       !k || !k->fn ? "no kernel" : !out ? "out is NULL" : "threads must be > 0");
    const rt_cuda_api *api;
    attn_status s = rt_cuda_api_get(&api);
    if (s != ATTN_OK)
        return s;
    CUfunction fn = (CUfunction)k->fn;
    int regs = 0, local = 0, ctas = 0;
    CUresult r = api->FuncGetAttribute(&regs, RT_CU_FUNC_ATTRIBUTE_NUM_REGS, fn);
    if (r == RT_CUDA_SUCCESS)
        r = api->FuncGetAttribute(&local, RT_CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES, fn);
    if (r != RT_CUDA_SUCCESS)
        return rt_cuda_fail(r, "cuFuncGetAttribute");
    r = api->OccupancyMaxActiveBlocksPerMultiprocessor(&ctas, fn, threads, (size_t)k->smem_bytes);
    if (r != RT_CUDA_SUCCESS)
        return rt_cuda_fail(r, "cuOccupancyMaxActiveBlocksPerMultiprocessor");
    *out = (attn_cuda_kernel_resources){regs, local, ctas};
    return ATTN_OK;
}
