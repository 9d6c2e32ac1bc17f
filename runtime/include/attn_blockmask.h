/* attn_blockmask.h - runtime BlockMasks for masks the compiler cannot bound.
 *
 * When mask analysis cannot derive key ranges (data-dependent masks such as
 * `doc[q] == doc[kv]`, NATTEN's clamps; attn_variant.needs_block_mask), the
 * runtime evaluates the compiled mask hook block by block, in parallel on the
 * thread pool, and records the result in FlexAttention's layout. For every
 * stored row (b, h, q_block):
 *
 *   kv_num_blocks[row]            partial key blocks (mask evaluated per element)
 *   kv_indices[row][0 .. num)     their indices, ascending
 *   full_kv_num_blocks[row]       fully visible key blocks (no mask evaluation)
 *   full_kv_indices[row][0 .. num)
 *
 * and the transposed q-side lists for every (b, h, kv_block), for a backward
 * pass: q_num_blocks / q_indices / full_q_num_blocks / full_q_indices. Key
 * blocks in neither list are empty (invisible for every element). Index
 * entries past the count are 0.
 *
 * Tables are [B][H][nqb] (counts) and [B][H][nqb][nkvb] (indices), row-major;
 * B or H is 1 when the mask ignores b or h (the compiler's "independent of
 * b, h"), and that row is shared by every b or h (evaluated at b = 0, h = 0).
 *
 *   attn_block_mask *bm;
 *   if (attn_block_mask_build(var, B, H, Q, KV, args, nargs, NULL, &bm) != ATTN_OK) ...
 *   attn_launch_opts o = {.block_mask = bm};        // reuse across launches
 *   attn_forward(var, &q, &k, &v, &out, NULL, args, nargs, &o);
 *   attn_block_mask_free(bm);
 *
 * attn_block_mask_build_gpu (attn_gpu.h) builds the same BlockMask with the
 * variant's GPU kernels, on the SIMT emulator or a CUDA device.
 */
#ifndef ATTN_BLOCKMASK_H
#define ATTN_BLOCKMASK_H

#include "attn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where a BlockMask's tables live (attn_block_mask.device). */
enum { ATTN_BLOCK_MASK_HOST = 0, ATTN_BLOCK_MASK_CUDA = 1 };

typedef struct attn_block_mask {
    int32_t B, H;             /* stored leading dims (1 when broadcast) */
    int32_t q_len, kv_len;
    int32_t block_q, block_kv;
    int32_t nqb, nkvb;        /* ceil(q_len / block_q), ceil(kv_len / block_kv) */
    int32_t *kv_num_blocks, *kv_indices, *full_kv_num_blocks, *full_kv_indices;
    int32_t *q_num_blocks, *q_indices, *full_q_num_blocks, *full_q_indices;
    /* ATTN_BLOCK_MASK_HOST (0: every builder's result), or
     * ATTN_BLOCK_MASK_CUDA: the key-side tables in CUDA device memory and the
     * q-side ones NULL (attn_block_mask_to_cuda, attn_gpu.h), which only
     * CUDA launches read. */
    int32_t device;
    /* ATTN_BLOCK_MASK_CUDA: the CUDA ordinal of the device whose memory
     * holds the tables (the runtime's CUDA BlockMasks set it); launches on
     * another device refuse the mask. */
    int32_t device_id;
} attn_block_mask;

/* Build options; all-zero (or NULL) means: the CPU kernel's block sizes
 * (ATTN_CPU_BLOCK_Q x ATTN_CPU_BLOCK_KV), per-b and per-h tables, no key
 * ranges, the default pool with all its threads. */
typedef struct attn_block_mask_opts {
    int32_t block_q, block_kv;   /* 0: ATTN_CPU_BLOCK_Q, ATTN_CPU_BLOCK_KV */
    /* Nonzero when the mask ignores b (h): one shared table along that axis.
     * attn_block_mask_build takes them from the variant instead. */
    int32_t independent_of_b, independent_of_h;
    /* Sound key ranges (attn_hook_kv_ranges) or NULL: blocks outside every
     * range are empty and blocks inside a full range are full without
     * evaluating the mask. attn_block_mask_build uses the variant's. */
    attn_kv_ranges_fn kv_ranges;
    attn_pool *pool;             /* NULL: the default pool */
    int32_t num_threads;         /* > 0: at most this many workers */
} attn_block_mask_opts;

/* Builds the BlockMask of `mask` for the launch context ctx (dims B, H, Q,
 * KV set; params bound), evaluating blocks in parallel with an early exit
 * per block once a visible and an invisible element were seen. */
attn_status attn_block_mask_build_ctx(attn_mask_fn mask, const attn_ctx *ctx,
                                      const attn_block_mask_opts *opts, attn_block_mask **out);

/* Builds the BlockMask of attention variant `var` (which must carry mask_fn)
 * for B x H heads of Q queries and KV keys with arguments bound as
 * attn_forward binds them (HKV = H, D = DV = 0 for preconditions). The
 * variant's mask_independent_of_b/h and kv_ranges override opts'. A mask
 * that reads HKV, D or DV (var->mask_reads_launch_dims) is refused
 * (ATTN_ERR_UNSUPPORTED): its BlockMask comes from attn_block_mask_build_ctx
 * with the launch's ctx, or from the launch (attn_forward and
 * attn_forward_gpu build theirs with the launch's dims). */
attn_status attn_block_mask_build(const attn_variant *var, int64_t B, int64_t H, int64_t Q,
                                  int64_t KV, const attn_arg *args, int32_t nargs,
                                  const attn_block_mask_opts *opts, attn_block_mask **out);

void attn_block_mask_free(attn_block_mask *m);

/* Bytes held by m (its tables, in host or device memory, and the descriptor). */
int64_t attn_block_mask_bytes(const attn_block_mask *m);

/* Sparsity of the stored rows: block counts by class and the fraction of
 * blocks (full or partial) the kernels visit; all zero for a mask in device
 * memory (its tables cannot be read here). */
typedef struct attn_block_mask_stats {
    int64_t full, partial, empty;
    double visible_fraction;
} attn_block_mask_stats;

attn_block_mask_stats attn_block_mask_sparsity(const attn_block_mask *m);

/* The kernels' view of m (attn_fwd_args.block_mask). */
attn_block_mask_view attn_block_mask_view_of(const attn_block_mask *m);

#ifdef __cplusplus
}
#endif

#endif
