/* blockmask_gpu.c - the GPU BlockMask builder: the variant's mask hook
 * evaluated over every (b, h, query block, key block) tile, written against
 * gpu_dev.h (NVPTX and the SIMT emulator) as one more part of the GPU
 * attention template. The launch contract is kernels/blockmask_gpu.h; the
 * result equals the CPU builder's (runtime/rt_blockmask_build.c) exactly.
 *
 * attn_bm_gpu_classify: one CTA per stored row (b, h, query block [q0, q1)).
 * Every thread asks the variant's key ranges (attn_hook_kv_ranges, sound)
 * about each key block in turn: blocks they prove empty or full are
 * classified without the mask, uniformly across the CTA. For any other tile
 * the 128 threads split its elements (thread t takes elements t, t + 128,
 * ... in row-major order) and stop early once they saw a visible and an
 * invisible one; an OR over the warp (shuffles) and over the 4 warps (shared
 * memory, one barrier) gives the tile's class: both seen = partial, only
 * visible = full, only invisible = empty.
 *
 * attn_bm_gpu_lists: one thread per row compacts its key blocks' classes
 * into the kv-side count and index lists, one thread per (b, h, key block)
 * its query blocks' classes into the q-side ones (attn_bm_compact, shared
 * with the CPU builder), unless the q-side tables are NULL (a BlockMask
 * built for CUDA launches, which read the key side only). */
#include "blockmask_class.h"
#include "blockmask_gpu.h"
#include "gpu_dev.h"

/* This thread's evidence about the tile rows [q0, q0 + nrows) x keys
 * [k0, k0 + ncols): bit 0 = a visible element seen, bit 1 = an invisible
 * one; it stops once both are set. */
static int attn_bm_gpu_thread_flags(const attn_ctx *ctx, int32_t b, int32_t h, int32_t q0,
                                    int32_t nrows, int32_t k0, int32_t ncols)
{
    const int t = dev_linear_tid();
    const int dr = ATTN_BM_GPU_THREADS / ncols, dc = ATTN_BM_GPU_THREADS % ncols;
    int r = t / ncols, c = t % ncols, f = 0;
    while (r < nrows && f != 3) {
        f |= attn_hook_mask(b, h, q0 + r, k0 + c, ctx) ? 1 : 2;
        r += dr;
        c += dc;
        if (c >= ncols) {
            c -= ncols;
            r++;
        }
    }
    return f;
}

/* The OR of f over the CTA: over the warp by shuffles, then over the warps
 * through slot[0 .. ATTN_BM_GPU_WARPS) (shared memory; the caller alternates
 * two slot sets, so one barrier per call suffices: a set is rewritten only
 * after the next call's barrier, which every thread reaches after reading it). */
static int attn_bm_gpu_block_or(int f, int *slot)
{
    const int lane = dev_lane();
    for (int m = 16; m > 0; m >>= 1)
        f |= dev_shfl_idx_i32(f, lane ^ m);
    if (lane == 0)
        slot[dev_warp()] = f;
    dev_syncthreads();
    f = 0;
    for (int w = 0; w < ATTN_BM_GPU_WARPS; w++)
        f |= slot[w];
    return f;
}

DEV_BODY void attn_bm_gpu_classify_body(const attn_bm_gpu_args *a)
{
    const int64_t row = dev_ctaid(0);
    int32_t b, h, qb, q0, q1;
    attn_bm_row(row, a->H, a->nqb, &b, &h, &qb);
    attn_bm_block_bounds(qb, a->block_q, a->q_len, &q0, &q1);
    attn_kv_range r[ATTN_MAX_KV_RANGES];
    int32_t nr = attn_hook_kv_ranges(b, h, q0, q1, &a->ctx, r);
    nr = nr < 0 ? 0 : nr > ATTN_MAX_KV_RANGES ? ATTN_MAX_KV_RANGES : nr;
    int *slots = dev_smem();
    uint8_t *cls = a->cls + row * a->nkvb;
    for (int32_t kb = 0; kb < a->nkvb; kb++) {
        int32_t k0, k1;
        attn_bm_block_bounds(kb, a->block_kv, a->kv_len, &k0, &k1);
        uint8_t c = attn_bm_range_class(r, nr, k0, k1);
        if (c == ATTN_BM_PARTIAL) {
            int f = attn_bm_gpu_thread_flags(&a->ctx, b, h, q0, q1 - q0, k0, k1 - k0);
            f = attn_bm_gpu_block_or(f, slots + (kb & 1) * ATTN_BM_GPU_WARPS);
            c = f == 3 ? ATTN_BM_PARTIAL : f == 1 ? ATTN_BM_FULL : ATTN_BM_EMPTY;
        }
        if (dev_linear_tid() == 0)
            cls[kb] = c;
    }
}

DEV_BODY void attn_bm_gpu_lists_body(const attn_bm_gpu_args *a)
{
    const int64_t bh = (int64_t)a->B * a->H, rows = bh * a->nqb;
    const int64_t i = (int64_t)dev_ctaid(0) * ATTN_BM_GPU_THREADS + dev_linear_tid();
    if (i < rows) {
        attn_bm_compact(a->cls + i * a->nkvb, 1, a->nkvb, a->kv_indices + i * a->nkvb,
                        a->full_kv_indices + i * a->nkvb, &a->kv_num_blocks[i],
                        &a->full_kv_num_blocks[i]);
    } else if (a->q_num_blocks && i < rows + bh * a->nkvb) {
        const int64_t col = i - rows, kb = col % a->nkvb;
        attn_bm_compact(a->cls + col / a->nkvb * a->nqb * a->nkvb + kb, a->nkvb, a->nqb,
                        a->q_indices + col * a->nqb, a->full_q_indices + col * a->nqb,
                        &a->q_num_blocks[col], &a->full_q_num_blocks[col]);
    }
}

DEV_ENTRY(attn_bm_gpu_classify, attn_bm_gpu_args, attn_bm_gpu_classify_body)
DEV_ENTRY(attn_bm_gpu_lists, attn_bm_gpu_args, attn_bm_gpu_lists_body)
