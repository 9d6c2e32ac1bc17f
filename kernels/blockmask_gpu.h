/* blockmask_gpu.h - the contract between the GPU BlockMask builder
 * (kernels/blockmask_gpu.c, one more part of the GPU attention template, so
 * every attention variant V gets its entries V_attn_bm_gpu_classify and
 * V_attn_bm_gpu_lists) and the runtime that launches it
 * (runtime/rt_blockmask_gpu*.c). The tables are those of attn_blockmask.h
 * (FlexAttention's layout), in device memory, zeroed before the launches.
 *
 *   1. classify: one CTA of ATTN_BM_GPU_THREADS threads per stored row
 *      (b, h, query block): grid (rows, 1, 1), ATTN_BM_GPU_SMEM_BYTES of
 *      dynamic shared memory; writes cls[row * nkvb + kv block].
 *   2. lists: one thread per row (its kv-side lists) and per (b, h, kv block)
 *      column (its q-side lists): grid (ceil((rows + cols) / THREADS), 1, 1),
 *      no shared memory.
 * rows = B * H * nqb and cols = B * H * nkvb (stored B, H). */
#ifndef ATTN_BLOCKMASK_GPU_H
#define ATTN_BLOCKMASK_GPU_H

#include "attn_abi.h"

#define ATTN_BM_GPU_THREADS 128
#define ATTN_BM_GPU_WARPS (ATTN_BM_GPU_THREADS / 32)
/* Two slots (by the parity of the key block) of one int per warp. */
#define ATTN_BM_GPU_SMEM_BYTES (2 * ATTN_BM_GPU_WARPS * 4)

typedef struct attn_bm_gpu_args {
    /* The eight tables of attn_block_mask, same shapes and order; the four
     * q-side ones may all be NULL (not built). */
    int32_t *kv_num_blocks, *kv_indices, *full_kv_num_blocks, *full_kv_indices;
    int32_t *q_num_blocks, *q_indices, *full_q_num_blocks, *full_q_indices;
    uint8_t *cls;             /* [rows][nkvb] block classes (ATTN_BM_*) */
    int32_t B, H;             /* stored leading dims (1 when broadcast) */
    int32_t q_len, kv_len, block_q, block_kv, nqb, nkvb;
    attn_ctx ctx;             /* params readable by the device */
} attn_bm_gpu_args;

#endif
