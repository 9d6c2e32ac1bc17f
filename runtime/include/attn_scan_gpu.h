/* attn_scan_gpu.h - launching the GPU kernel of a compiled scan variant: on a
 * CUDA device (its PTX) or on the SIMT emulator (the same kernel compiled
 * for the host). See runtime/rt_scan_gpu.c and kernels/attn_abi.h, "GPU
 * scans".
 *
 * attnc compiles a scan V for the GPU into one kernel, entry V_attn_scan_gpu
 * (kernels/scan_gpu.c): one CTA of ATTN_SCAN_GPU_THREADS threads per row of
 * the scan. Inputs and outputs are f32, as for attn_scan. */
#ifndef ATTN_SCAN_GPU_H
#define ATTN_SCAN_GPU_H

#include "attn_gpu.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The GPU side of a compiled scan variant. */
typedef struct attn_scan_gpu_variant {
    /* Parameters, outputs and preconditions (kind ATTN_KIND_SCAN, var->scan
     * set; its CPU entry points are not used and may be NULL). */
    const attn_variant *var;
    const char *entry;        /* PTX entry: V_attn_scan_gpu */
    attn_emu_kernel_fn emu;   /* the kernel for the emulator (attnc's JIT); NULL if none */
    /* Host functions of the launch geometry for given dims: the rows (one
     * CTA each) and the dynamic shared memory in bytes (V_attn_scan_gpu_rows,
     * V_attn_scan_gpu_smem of the emulator's JIT). */
    attn_scan_size_fn rows, smem;
    const char *ptx[ATTN_GPU_PTX_COUNT]; /* NUL-terminated PTX holding the entry; NULL if absent */
    attn_cuda_module_memo *memo;         /* as in attn_gpu_variant; may be NULL */
} attn_scan_gpu_variant;

/* attn_scan (attn.h: same arguments, validation and results) on the GPU
 * kernel of gv:
 *   EMU: CPU tensors, run in place; opts->num_threads (> 0) OS threads run
 *   blocks.
 *   CUDA: CPU tensors are copied to the device, the outputs computed there
 *   and copied back; or every tensor argument and output is a kDLCUDA
 *   tensor of the current device, read and written in place (mixing is
 *   refused). Packs are CPU tensors either way (their offsets are checked
 *   and indexed on the host, then copied). The kernel runs on
 *   opts->stream. With CPU tensors the call returns when the outputs are
 *   back; with device tensors it returns once the kernel is queued (the
 *   parameter copy is made and freed in stream order, as attn_forward_gpu
 *   does in attn_gpu.h), so synchronize the stream before reading them.
 *   Scan launches always copy their parameter slots from the host, so
 *   while opts->stream captures a CUDA graph they are refused
 *   (ATTN_ERR_UNSUPPORTED) before they touch the stream.
 * Without a CUDA driver, CUDA fails with ATTN_ERR_UNSUPPORTED and
 * "CUDA unavailable: ...". opts->qb_begin/qb_end are ignored. */
attn_status attn_scan_gpu(const attn_scan_gpu_variant *gv, attn_gpu_device dev,
                          const attn_arg *args, int32_t nargs, DLTensor *const *outputs,
                          int32_t noutputs, const attn_launch_opts *opts);

#ifdef __cplusplus
}
#endif

#endif
