/* gpu_launch.h - a GpuCase (gpu_case.h) run through the runtime's GPU
 * entry, attn_forward_gpu (runtime/include/attn_gpu.h), on the SIMT
 * emulator or a CUDA device, and checked against its reference. Shared by
 * test_gpu_forward (emulator) and test_gpu_cuda (CUDA). */
#ifndef GPU_LAUNCH_H
#define GPU_LAUNCH_H

#include <stdbool.h>

#include "attn_gpu.h"
#include "gpu_case.h"

/* A compact row-major CPU DLTensor over `data` (shape copied into *shape). */
DLTensor gpu_launch_tensor(void *data, int32_t dtype, int32_t ndim, const int64_t *dims,
                           int64_t *shape);

/* Compact CPU tensors t = {q, k, v, out, lse} of case c over its inputs and
 * new *out (16-byte aligned: cp.async) and *lse buffers from `arena`. */
void gpu_launch_tensors(Arena *arena, const GpuCase *c, uint16_t **out, float **lse,
                        DLTensor t[5], int64_t shape[5][4]);

/* The parameter slots of c as attn_forward arguments for gv->var: scalars by
 * value, tensors as DLTensors over the slot's data, packs as their offsets.
 * Returns the count; args[] and its tensors come from `arena`. */
int32_t gpu_launch_args(Arena *arena, const attn_variant *var, const GpuCase *c, attn_arg **args);

/* Runs c with attn_forward_gpu(gv, dev, ..., opts) on CPU tensors (q, k, v
 * of the case; *out and *lse allocated from `arena`) or, when `on_device`
 * (CUDA only), on device copies of them and of its tensor parameters;
 * returns its status. opts may be NULL. */
attn_status gpu_launch_run(Arena *arena, const attn_gpu_variant *gv, attn_gpu_device dev,
                           bool on_device, const GpuCase *c, const attn_launch_opts *opts,
                           uint16_t **out, float **lse);

/* c through the CPU kernel: attn_forward(var, ..., opts) on the tensors
 * gpu_launch_run makes. */
attn_status gpu_launch_run_cpu(Arena *arena, const attn_variant *var, const GpuCase *c,
                               const attn_launch_opts *opts, uint16_t **out, float **lse);

/* gpu_launch_run, then out and lse compared with the reference; prints
 * "ok   WHAT" or "FAIL WHAT: reason" and returns whether they match. */
bool gpu_launch_check(Arena *arena, const attn_gpu_variant *gv, attn_gpu_device dev, bool on_device,
                      const GpuCase *c, const char *what);
#endif
