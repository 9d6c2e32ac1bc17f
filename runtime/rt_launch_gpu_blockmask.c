/* rt_launch_gpu_blockmask.c - the BlockMask of one GPU attention launch:
 * the caller's (opts->block_mask), checked against the launch and the
 * kernel's tiles, or, for a variant whose mask analysis is dense
 * (needs_block_mask), one built for the launch by the variant's GPU builder
 * on the same device (left in device memory on CUDA); and the kernel's view
 * of it, with the key-side tables staged for the device for a CUDA launch
 * unless they are there already. */
#include "rt_blockmask.h"
#include "rt_blockmask_gpu.h"
#include "rt_cuda.h"
#include "rt_launch_gpu.h"

/* Keys per block of the BlockMasks built for GPU launches: a multiple of
 * every ATTN_GPU_BLOCK_KV. */
#define RT_GPU_BM_BLOCK_KV 64

/* A CUDA BlockMask m is read where its tables are: by launches on the
 * current context's device only. */
static attn_status rt_gpu_block_mask_device(const attn_block_mask *m) {
    int ordinal = 0;
    attn_status s = rt_cuda_context_ordinal(&ordinal);
    if (s == ATTN_OK && ordinal != m->device_id)
        s = rt_fail(ATTN_ERR_UNSUPPORTED, "block mask: in the memory of CUDA device %d, but the "
                    "current CUDA context is on device %d", (int)m->device_id, ordinal);
    return s;
}

attn_status rt_gpu_block_mask_for_launch(const attn_gpu_variant *gv, attn_gpu_device dev,
                                         const attn_gpu_kernel *kern, const int32_t *dims,
                                         const attn_arg *args, int32_t nargs,
                                         const attn_launch_opts *opts, attn_block_mask **owned,
                                         const attn_block_mask **use) {
    *owned = NULL;
    *use = NULL;
    const int32_t bq = ATTN_GPU_BLOCK_Q(kern->d, kern->dv), bkv = ATTN_GPU_BLOCK_KV(kern->d, kern->dv);
    const attn_block_mask *m = opts->block_mask;
    if (m) {
        attn_status s = rt_bm_check_dims(m, dims);
        if (s != ATTN_OK)
            return s;
        if (dev == ATTN_GPU_EMU && m->device != ATTN_BLOCK_MASK_HOST)
            return rt_fail(ATTN_ERR_UNSUPPORTED, "block mask: in CUDA device memory; the emulator reads "
                           "host BlockMasks (attn_block_mask_build, attn_block_mask_build_gpu)");
        if (dev == ATTN_GPU_CUDA && m->device == ATTN_BLOCK_MASK_CUDA &&
            (s = rt_gpu_block_mask_device(m)) != ATTN_OK)
            return s;
        if (m->block_q <= 0 || m->block_q % bq || m->block_kv <= 0 || m->block_kv % bkv)
            return rt_fail(ATTN_ERR_SHAPE, "block mask: blocks of %d x %d; the GPU kernel for "
                           "D = %d, DV = %d needs block_q a multiple of %d and block_kv a "
                           "multiple of %d", (int)m->block_q, (int)m->block_kv, (int)kern->d,
                           (int)kern->dv, (int)bq, (int)bkv);
        *use = m;
        return ATTN_OK;
    }
    if (!gv->var->needs_block_mask)
        return ATTN_OK;
    const attn_block_mask_opts o = {.block_q = bq, .block_kv = RT_GPU_BM_BLOCK_KV,
                                    .num_threads = opts->num_threads};
    int64_t std[ATTN_DIM_STANDARD_COUNT]; /* the mask may read HKV, D or DV too */
    for (int i = 0; i < ATTN_DIM_STANDARD_COUNT; i++)
        std[i] = dims[i];
    const int cuda = dev == ATTN_GPU_CUDA;
    attn_status s = rt_bm_gpu_build(cuda ? "attn_block_mask_build_cuda" : "attn_block_mask_build_gpu",
                                    gv, dev, cuda ? ATTN_BLOCK_MASK_CUDA : ATTN_BLOCK_MASK_HOST,
                                    std, args, nargs, &o, owned);
    *use = *owned;
    return s;
}

attn_status rt_gpu_block_mask_stage(const attn_block_mask *m, rt_gpu_upload *u,
                                    attn_block_mask_view *view) {
    *view = attn_block_mask_view_of(m);
    if (m->device == ATTN_BLOCK_MASK_CUDA)
        return ATTN_OK; /* read in place */
    int64_t rows, cells;
    if (!rt_bm_kv_sizes(m, &rows, &cells))
        return rt_fail(ATTN_ERR_SHAPE, "block mask: %d x %d heads of %d x %d blocks is not a "
                       "valid BlockMask", (int)m->B, (int)m->H, (int)m->nqb, (int)m->nkvb);
    const size_t bytes[4] = {(size_t)rows * sizeof(int32_t), (size_t)cells * sizeof(int32_t),
                             (size_t)rows * sizeof(int32_t), (size_t)cells * sizeof(int32_t)};
    const int32_t **table[4] = {&view->kv_num_blocks, &view->kv_indices,
                                &view->full_kv_num_blocks, &view->full_kv_indices};
    attn_status s = ATTN_OK;
    for (int i = 0; i < 4 && s == ATTN_OK; i++) {
        size_t off;
        s = rt_gpu_upload_put(u, *table[i], bytes[i], &off);
        if (s == ATTN_OK)
            s = rt_gpu_upload_point(u, table[i], 0, off);
    }
    return s;
}
