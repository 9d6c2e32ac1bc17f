/* rt_blockmask_gpu.h - declarations shared by rt_blockmask_gpu*.c, the
 * runtime side of the GPU BlockMask builder (kernels/blockmask_gpu.h). */
#ifndef ATTN_RT_BLOCKMASK_GPU_H
#define ATTN_RT_BLOCKMASK_GPU_H

#include "attn_cuda.h"
#include "attn_gpu.h"
#include "blockmask_gpu.h"
#include "rt_launch_gpu.h"

/* Points the eight table pointers of a at `base` laid out as m's tables
 * (one block starting at m->kv_num_blocks: rt_bm_alloc_tables, or
 * rt_bm_device_layout, whose NULL query side stays NULL). */
void rt_bm_gpu_tables(attn_bm_gpu_args *a, const attn_block_mask *m, int32_t *base);

/* attn_block_mask_build_gpu (result ATTN_BLOCK_MASK_HOST) or
 * attn_block_mask_build_cuda (ATTN_BLOCK_MASK_CUDA on dev CUDA), `fn`
 * naming it in errors, with the mask evaluated under the standard dims std
 * (B, H, HKV, Q, KV, D, DV; a launch's own for its BlockMask). */
attn_status rt_bm_gpu_build(const char *fn, const attn_gpu_variant *gv, attn_gpu_device dev,
                            int32_t result, const int64_t std[ATTN_DIM_STANDARD_COUNT],
                            const attn_arg *args, int32_t nargs, const attn_block_mask_opts *opts,
                            attn_block_mask **out);

/* Grid sizes (blocks along x) of the two kernels for the shape of a. */
int64_t rt_bm_gpu_classify_blocks(const attn_bm_gpu_args *a);
int64_t rt_bm_gpu_lists_blocks(const attn_bm_gpu_args *a);

/* rt_blockmask_gpu_cuda.c: the two builder kernels of gv (ATTN_GPU_BM_*
 * order) for the current device, the module found through gv->memo. */
attn_status rt_bm_gpu_cuda_kernels(const attn_gpu_variant *gv,
                                   attn_cuda_kernel k[ATTN_GPU_BM_KERNELS]);
/* Queues both kernels k on `stream` for a (rows and key blocks > 0; tables,
 * class scratch and ctx in device memory); cuLaunchKernel alone. */
attn_status rt_bm_gpu_enqueue(const attn_cuda_kernel k[ATTN_GPU_BM_KERNELS],
                              const attn_bm_gpu_args *a, void *stream);
/* Runs both kernels of gv on the CUDA device for
 * a (shape and host ctx set, the tensors of the parameters that views marks
 * on_device already in device memory, read once the context's queued work
 * is done; none when there are no rows or no key blocks):
 * for a host m (tables allocated, zero) the tables are copied into m's;
 * for m->device == ATTN_BLOCK_MASK_CUDA (no tables yet) the key-side tables
 * are left in one device allocation that m then owns (rt_bm_device_layout),
 * the query side not built. Returns when done. */
attn_status rt_bm_gpu_run_cuda(const attn_gpu_variant *gv, attn_bm_gpu_args *a,
                               attn_block_mask *m, const rt_gpu_args *views);

#endif
