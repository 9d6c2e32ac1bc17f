/* attn_cuda.h - the runtime's CUDA path: PTX modules, device buffers and
 * launches through the CUDA driver API, which is loaded at run time
 * (dlopen "libcuda.so.1"), so programs using it build and run anywhere.
 *
 *   attn_cuda_kernel k;
 *   if (attn_cuda_attn_fwd_kernel(ptx, "causal_attn_fwd_gpu", 128, 128, &k) != ATTN_OK ||
 *       attn_cuda_launch_attn_fwd(&k, &args, stream) != ATTN_OK)
 *       fprintf(stderr, "%s\n", attn_last_error());
 *
 * Errors follow attn.h: a status plus attn_last_error(). Without a usable
 * driver every call fails with ATTN_ERR_UNSUPPORTED and a message starting
 * "CUDA unavailable: " (e.g. "CUDA unavailable: libcuda.so.1: cannot open
 * shared object file: No such file or directory"); a failing driver call
 * gives "<cuFunction>: CUDA_ERROR_NAME: description" (ATTN_ERR_NO_MEMORY
 * when out of memory, ATTN_ERR_INVALID_ARG for invalid values,
 * ATTN_ERR_UNSUPPORTED otherwise). $ATTN_CUDA_DRIVER, when set, names the
 * driver library to load instead of libcuda.so.1.
 *
 * Context: calls use the CUDA context current on the calling thread (e.g.
 * PyTorch's); when there is none, the primary context of device
 * $ATTN_CUDA_DEVICE (default 0) is retained once and made current.
 * Device pointers are plain `void *` (CUdeviceptr values). */
#ifndef ATTN_CUDA_H
#define ATTN_CUDA_H

#include <stddef.h>
#include <stdint.h>

#include "attn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Loads the driver and makes a context current (see above); ATTN_OK when
 * CUDA can be used. Every other call does this itself. */
attn_status attn_cuda_init(void);

typedef struct attn_cuda_info {
    int32_t driver_version; /* e.g. 13000 */
    int32_t cc_major, cc_minor;
    int32_t sm_count;
    int32_t smem_optin_bytes; /* largest dynamic shared memory per block */
    int32_t ordinal;          /* the device's ordinal: DLPack's device_id of its tensors */
} attn_cuda_info;
/* Describes the device of the current context. */
attn_status attn_cuda_device_info(attn_cuda_info *out);

/* ------------------------------------------------------------- modules */

/* A loaded PTX module, cached per (context, PTX text) and owned by the
 * runtime until attn_cuda_release(). */
typedef struct attn_cuda_module attn_cuda_module;

/* Loads NUL-terminated PTX text with the driver's JIT into the current
 * context, or returns the module already loaded from identical text. On a
 * JIT failure the message holds the driver's error and the start of its
 * error log; the whole log is in attn_cuda_jit_log(). Thread-safe. */
attn_status attn_cuda_module_load(const char *ptx, attn_cuda_module **out);
/* The info and error log of this thread's last module load ("" if none). */
const char *attn_cuda_jit_log(void);

typedef struct attn_cuda_kernel {
    void *fn;           /* CUfunction */
    int32_t smem_bytes; /* dynamic shared memory the kernel may use */
} attn_cuda_kernel;

/* Looks up kernel `entry` of `m`, allowing it `smem_bytes` of dynamic
 * shared memory (opting in beyond 48 KiB; fails when the device cannot). */
attn_status attn_cuda_kernel_get(attn_cuda_module *m, const char *entry, int32_t smem_bytes,
                                 attn_cuda_kernel *out);

/* A kernel as the driver compiled it for this device: registers and local
 * memory (spills, stack) per thread, and how many CTAs of `threads` threads
 * with its dynamic shared memory one SM holds at once. */
typedef struct attn_cuda_kernel_resources {
    int32_t registers, local_bytes, ctas_per_sm;
} attn_cuda_kernel_resources;
attn_status attn_cuda_kernel_resources_get(const attn_cuda_kernel *k, int32_t threads,
                                           attn_cuda_kernel_resources *out);

/* Unloads all modules and releases the primary context the runtime
 * retained (also done at exit). Kernels and modules obtained before are
 * invalid afterwards; the next call starts afresh. Device buffers must have
 * been freed before. */
void attn_cuda_release(void);

/* ------------------------------------------------------------ launches */

/* cuLaunchKernel of k on `stream` (NULL: the default stream) with grid and
 * block sizes, k->smem_bytes of dynamic shared memory and the kernel's
 * parameters as cuLaunchKernel takes them (one pointer per parameter). */
attn_status attn_cuda_launch(const attn_cuda_kernel *k, const uint32_t grid[3],
                             const uint32_t block[3], void **params, void *stream);

/* The attention forward kernel `entry` of a variant's PTX (the GPU template,
 * kernels/attn_fwd_gpu.c, specialised for head dims d, dv), allowed
 * ATTN_GPU_SMEM_BYTES(d, dv) of shared memory. */
attn_status attn_cuda_attn_fwd_kernel(const char *ptx, const char *entry, int32_t d, int32_t dv,
                                      attn_cuda_kernel *out);
/* Launches it for `args` (device pointers; ctx.dims set; ctx.params device-
 * readable) with the template's geometry: grid (ceil(Q / ATTN_GPU_BLOCK_Q(D,
 * DV)), H, B), ATTN_GPU_THREADS(D, DV) threads, ATTN_GPU_SMEM_BYTES(D, DV)
 * bytes of shared memory. Checks pointers (16-byte aligned),
 * strides (multiples of 8; q, k and v row strides from 0 to
 * ATTN_GPU_MAX_ROW_STRIDE) and sizes first; B, H or Q = 0 is a no-op.
 * Asynchronous on `stream`. */
attn_status attn_cuda_launch_attn_fwd(const attn_cuda_kernel *k, const attn_fwd_gpu_args *args,
                                      void *stream);
/* Runs `warmup` launches, then times `iters` launches one by one with CUDA
 * events on `stream`; *median_ms is the median. */
attn_status attn_cuda_time_attn_fwd(const attn_cuda_kernel *k, const attn_fwd_gpu_args *args,
                                    void *stream, int32_t warmup, int32_t iters,
                                    float *median_ms);

/* Waits for `stream` (NULL: the whole context). */
attn_status attn_cuda_synchronize(void *stream);

/* -------------------------------------------------------------- memory */

attn_status attn_cuda_malloc(size_t bytes, void **dptr);
/* Frees a buffer from attn_cuda_malloc (NULL is fine). */
attn_status attn_cuda_free(void *dptr);
/* Synchronous copies on the default stream: they wait for the work queued
 * there (a launch on the NULL stream); after a launch on another stream,
 * attn_cuda_synchronize(stream) first. So does attn_cuda_tensor_download. */
attn_status attn_cuda_memcpy_htod(void *dst, const void *src, size_t bytes);
attn_status attn_cuda_memcpy_dtoh(void *dst, const void *src, size_t bytes);
/* Asynchronous on `stream`; `src` must stay valid until the copy is done. */
attn_status attn_cuda_memcpy_htod_async(void *dst, const void *src, size_t bytes, void *stream);
attn_status attn_cuda_memset(void *dptr, uint8_t value, size_t bytes);

/* An owned device tensor: `t` (kDLCUDA) views a compact row-major buffer. */
typedef struct attn_cuda_tensor {
    DLTensor t;
    int64_t shape[ATTN_MAX_RANK];
} attn_cuda_tensor;

/* Copies a CPU tensor (any strides) into a new compact device tensor. */
attn_status attn_cuda_tensor_upload(const DLTensor *host, attn_cuda_tensor **out);
/* Copies a device tensor from attn_cuda_tensor_upload (or any compact
 * kDLCUDA tensor) into a CPU tensor of the same shape and dtype (any
 * strides). */
attn_status attn_cuda_tensor_download(const DLTensor *dev, DLTensor *host);
/* Frees the device buffer and the tensor (NULL is fine). */
void attn_cuda_tensor_free(attn_cuda_tensor *t);

#ifdef __cplusplus
}
#endif

#endif
