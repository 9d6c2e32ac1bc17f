/* rt_cuda.h - the CUDA driver API as the runtime sees it: the few driver
 * types and constants it needs (declared here, not taken from cuda.h, so the
 * runtime builds without the toolkit) and the table of entry points that
 * rt_cuda_driver.c fills from libcuda.so.1 at run time. */
#ifndef ATTN_RT_CUDA_H
#define ATTN_RT_CUDA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attn_cuda.h"
#include "attn_gpu.h"
#include "rt_internal.h"

typedef int CUresult; /* CUDA_SUCCESS = 0 */
typedef int CUdevice;
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUstream_st *CUstream;
typedef struct CUevent_st *CUevent;
typedef unsigned long long CUdeviceptr;

enum {
    RT_CUDA_SUCCESS = 0,
    RT_CUDA_ERROR_INVALID_VALUE = 1,
    RT_CUDA_ERROR_OUT_OF_MEMORY = 2,
    RT_CUDA_ERROR_STREAM_CAPTURE_IMPLICIT = 906,
};
/* CUjit_option */
enum {
    RT_CU_JIT_INFO_LOG_BUFFER = 3,
    RT_CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4,
    RT_CU_JIT_ERROR_LOG_BUFFER = 5,
    RT_CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6,
    RT_CU_JIT_LOG_VERBOSE = 12,
};
/* CUdevice_attribute, CUfunction_attribute */
enum {
    RT_CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16,
    RT_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
    RT_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
    RT_CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97,
    RT_CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8,
    RT_CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES = 3,
    RT_CU_FUNC_ATTRIBUTE_NUM_REGS = 4,
};
/* Dynamic shared memory a kernel may use without the opt-in attribute. */
#define RT_CUDA_DEFAULT_SMEM_LIMIT (48 * 1024)

/* The driver entry points, looked up once (rt_cuda_api_get). */
typedef struct rt_cuda_api {
    CUresult (*Init)(unsigned flags);
    CUresult (*DriverGetVersion)(int *version);
    CUresult (*DeviceGet)(CUdevice *dev, int ordinal);
    CUresult (*DeviceGetAttribute)(int *value, int attrib, CUdevice dev);
    CUresult (*DevicePrimaryCtxRetain)(CUcontext *ctx, CUdevice dev);
    CUresult (*DevicePrimaryCtxRelease)(CUdevice dev);
    CUresult (*CtxSetCurrent)(CUcontext ctx);
    CUresult (*CtxGetCurrent)(CUcontext *ctx);
    CUresult (*CtxGetDevice)(CUdevice *dev);
    CUresult (*CtxSynchronize)(void);
    CUresult (*ModuleLoadDataEx)(CUmodule *mod, const void *image, unsigned nopts, int *opts,
                                 void **values);
    CUresult (*ModuleGetFunction)(CUfunction *fn, CUmodule mod, const char *name);
    CUresult (*ModuleUnload)(CUmodule mod);
    CUresult (*FuncSetAttribute)(CUfunction fn, int attrib, int value);
    CUresult (*FuncGetAttribute)(int *value, int attrib, CUfunction fn);
    CUresult (*OccupancyMaxActiveBlocksPerMultiprocessor)(int *blocks, CUfunction fn, int threads,
                                                          size_t smem);
    CUresult (*LaunchKernel)(CUfunction fn, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                             unsigned by, unsigned bz, unsigned smem, CUstream stream,
                             void **params, void **extra);
    CUresult (*MemAlloc)(CUdeviceptr *dptr, size_t bytes);
    CUresult (*MemFree)(CUdeviceptr dptr);
    CUresult (*MemcpyHtoD)(CUdeviceptr dst, const void *src, size_t bytes);
    CUresult (*MemcpyDtoH)(void *dst, CUdeviceptr src, size_t bytes);
    CUresult (*MemcpyHtoDAsync)(CUdeviceptr dst, const void *src, size_t bytes, CUstream stream);
    CUresult (*MemsetD8)(CUdeviceptr dst, unsigned char value, size_t n);
    CUresult (*StreamSynchronize)(CUstream stream);
    CUresult (*EventCreate)(CUevent *ev, unsigned flags);
    CUresult (*EventRecord)(CUevent ev, CUstream stream);
    CUresult (*EventSynchronize)(CUevent ev);
    CUresult (*EventElapsedTime)(float *ms, CUevent start, CUevent end);
    CUresult (*EventDestroy)(CUevent ev);
    CUresult (*GetErrorName)(CUresult r, const char **name);
    CUresult (*GetErrorString)(CUresult r, const char **text);
    /* Optional (NULL when the driver has none; CUDA 11.2+): stream-ordered
     * allocation, which may also fail on devices without memory pools. */
    CUresult (*MemAllocAsync)(CUdeviceptr *dptr, size_t bytes, CUstream stream);
    CUresult (*MemFreeAsync)(CUdeviceptr dptr, CUstream stream);
    CUresult (*StreamIsCapturing)(CUstream stream, int *status); /* CUDA 10+ */
} rt_cuda_api;

/* rt_cuda_driver.c ------------------------------------------------------ */

/* Loads libcuda.so.1 and runs cuInit once per process; *api is the filled
 * table. Fails with ATTN_ERR_UNSUPPORTED and "CUDA unavailable: <why>"
 * (the dlerror text, a missing symbol or cuInit's error) on every call
 * when there is no usable driver. */
attn_status rt_cuda_api_get(const rt_cuda_api **api);
/* Records "<call>: CUDA_ERROR_NAME: description" as the last error and
 * returns the matching status (out of memory, invalid value, or
 * ATTN_ERR_UNSUPPORTED for every other driver failure). */
attn_status rt_cuda_fail(CUresult r, const char *call);
/* Makes sure a context is current on this thread (the caller's own, else
 * the selected device's primary context, retained once) and returns the
 * table and that context. */
attn_status rt_cuda_enter(const rt_cuda_api **api, CUcontext *ctx);

/* rt_cuda_launch.c ------------------------------------------------------- */

/* attn_cuda_attn_fwd_kernel with the module found through memo (may be NULL). */
attn_status rt_cuda_attn_fwd_kernel(const char *ptx, attn_cuda_module_memo *memo, const char *entry,
                                    int32_t d, int32_t dv, attn_cuda_kernel *out);

/* The row strides of a's q, k and v are within what the GPU template
 * takes (0 to ATTN_GPU_MAX_ROW_STRIDE elements); checked by CUDA and
 * emulated launches alike. */
attn_status rt_gpu_check_row_strides(const attn_fwd_gpu_args *a);
/* What a CUDA graph capture allows on `stream` (cuStreamIsCapturing):
 * RT_CAPTURE_NONE, also when the driver cannot say; RT_CAPTURE_ACTIVE: the
 * stream captures a graph, so launches that copy from the host per call or
 * wait refuse; RT_CAPTURE_BLOCKED: it is the legacy stream while another
 * stream of the context captures (CUDA_ERROR_STREAM_CAPTURE_IMPLICIT), so
 * nothing that copies or waits may touch it. */
typedef enum rt_capture { RT_CAPTURE_NONE, RT_CAPTURE_ACTIVE, RT_CAPTURE_BLOCKED } rt_capture;
rt_capture rt_cuda_stream_capture(void *stream);

/* rt_cuda_device.c ------------------------------------------------------- */

/* The device ordinal of the current context (the primary one if none). */
attn_status rt_cuda_context_ordinal(int *ordinal);
/* For each kDLCUDA tensor t[i] (NULL and others pass): refused, named
 * what[i], unless its device_id is the current context's device (asked
 * once per call). */
attn_status rt_cuda_check_tensors_device(const DLTensor *const *t, const char *const *what, int n);
/* The same for one tensor. */
attn_status rt_cuda_check_tensor_device(const DLTensor *t, const char *what);

/* rt_cuda_memory.c ------------------------------------------------------- */

/* attn_cuda_tensor_upload with the copy queued on `stream` (a launch's, so
 * that the kernel sees it): host must not change until the stream has
 * passed the copy. */
attn_status rt_cuda_tensor_upload_on(const DLTensor *host, void *stream, attn_cuda_tensor **out);

/* rt_cuda_module.c ------------------------------------------------------- */

/* attn_cuda_module_load through memo (may be NULL: by content): a memo hit
 * for the current context and this very text pointer skips the hash. */
attn_status rt_cuda_module_load_memo(const char *ptx, attn_cuda_module_memo *memo,
                                     attn_cuda_module **out);

/* Unloads every cached module (attn_cuda_release's first half). */
void rt_cuda_modules_release(const rt_cuda_api *api);

#endif
