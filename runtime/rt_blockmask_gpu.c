/* rt_blockmask_gpu.c - attn_block_mask_build_gpu (attn_gpu.h): a variant's
 * BlockMask built by its GPU builder kernels (kernels/blockmask_gpu.c) on
 * the SIMT emulator or a CUDA device (rt_blockmask_gpu_cuda.c).
 *
 * The shape, validation, argument binding and table allocation are the CPU
 * builder's (rt_bm_variant_ctx, rt_bm_shape, rt_bm_alloc_tables), so the
 * result has the same fields and one host allocation; the kernels fill the
 * tables: classify (one CTA per stored row) into a byte per (row, key block),
 * then lists (one thread per row and per column). */
#include <stdlib.h>

#include "emu.h"
#include "rt_blockmask.h"
#include "rt_blockmask_gpu.h"
#include "rt_launch_gpu.h"

void rt_bm_gpu_tables(attn_bm_gpu_args *a, const attn_block_mask *m, int32_t *base) {
    const int32_t *t = m->kv_num_blocks;
    a->kv_num_blocks = base;
    a->full_kv_num_blocks = base + (m->full_kv_num_blocks - t);
    a->kv_indices = base + (m->kv_indices - t);
    a->full_kv_indices = base + (m->full_kv_indices - t);
    const bool q_side = m->q_num_blocks != NULL;
    a->q_num_blocks = q_side ? base + (m->q_num_blocks - t) : NULL;
    a->full_q_num_blocks = q_side ? base + (m->full_q_num_blocks - t) : NULL;
    a->q_indices = q_side ? base + (m->q_indices - t) : NULL;
    a->full_q_indices = q_side ? base + (m->full_q_indices - t) : NULL;
}

int64_t rt_bm_gpu_classify_blocks(const attn_bm_gpu_args *a) {
    return (int64_t)a->B * a->H * a->nqb;
}

int64_t rt_bm_gpu_lists_blocks(const attn_bm_gpu_args *a) {
    int64_t items = (int64_t)a->B * a->H * ((int64_t)a->nqb + a->nkvb);
    return (items + ATTN_BM_GPU_THREADS - 1) / ATTN_BM_GPU_THREADS;
}

/* Both kernels on the emulator over host tables (a->cls allocated here). */
static attn_status rt_bm_gpu_run_emu(const attn_gpu_variant *gv, attn_bm_gpu_args *a,
                                     int32_t workers) {
    static const char *const entries[ATTN_GPU_BM_KERNELS] = ATTN_GPU_BM_ENTRIES;
    for (int i = 0; i < ATTN_GPU_BM_KERNELS; i++)
        if (!gv->bm_emu[i])
            return rt_fail(ATTN_ERR_UNSUPPORTED, "%s: the kernel %s_%s was not compiled for the "
                           "emulator", gv->var->name, gv->var->name, entries[i]);
    int64_t cells = rt_bm_gpu_classify_blocks(a) * a->nkvb;
    if (!(a->cls = malloc((size_t)cells)))
        return rt_fail(ATTN_ERR_NO_MEMORY, "block mask: out of memory for %lld block classes",
                       (long long)cells);
    const int64_t blocks[ATTN_GPU_BM_KERNELS] = {rt_bm_gpu_classify_blocks(a),
                                                 rt_bm_gpu_lists_blocks(a)};
    const size_t smem[ATTN_GPU_BM_KERNELS] = {ATTN_BM_GPU_SMEM_BYTES, 0};
    attn_status s = ATTN_OK;
    for (int i = 0; i < ATTN_GPU_BM_KERNELS && s == ATTN_OK; i++) {
        emu_launch_cfg cfg = {{(int)blocks[i], 1, 1}, {ATTN_BM_GPU_THREADS, 1, 1}, smem[i], workers};
        char err[256];
        if (emu_launch(gv->bm_emu[i], &cfg, a, err, sizeof err) != 0)
            s = rt_fail(ATTN_ERR_INVALID_ARG, "%s: emulated kernel %s_%s failed: %s",
                        gv->var->name, gv->var->name, entries[i], err);
    }
    free(a->cls);
    a->cls = NULL;
    return s;
}

/* A new BlockMask of the shape ctx and o give, with a's shape and ctx set to
 * match: in host memory with zeroed tables, or, for device CUDA, without
 * tables yet (rt_bm_gpu_run_cuda allocates them); NULL with the error set on
 * failure. */
static attn_block_mask *rt_bm_gpu_new(const attn_ctx *ctx, const attn_block_mask_opts *o,
                                      int32_t device, attn_bm_gpu_args *a,
                                      attn_status *s) {
    attn_block_mask *m = calloc(1, sizeof *m);
    if (!m) {
        *s = rt_fail(ATTN_ERR_NO_MEMORY, "block mask: out of memory");
        return NULL;
    }
    int64_t rows, cells;
    *s = rt_bm_shape(ctx, o, m);
    if (*s == ATTN_OK && device == ATTN_BLOCK_MASK_HOST)
        *s = rt_bm_alloc_tables(m);
    else if (*s == ATTN_OK && !rt_bm_kv_sizes(m, &rows, &cells))
        *s = rt_fail(ATTN_ERR_NO_MEMORY, "block mask: %d x %d heads of %d x %d blocks is too large",
                     (int)m->B, (int)m->H, (int)m->nqb, (int)m->nkvb);
    m->device = device;
    *a = (attn_bm_gpu_args){.B = m->B, .H = m->H, .q_len = m->q_len, .kv_len = m->kv_len,
                            .block_q = m->block_q, .block_kv = m->block_kv, .nqb = m->nqb,
                            .nkvb = m->nkvb, .ctx = *ctx};
    if (*s == ATTN_OK && rt_bm_gpu_classify_blocks(a) > INT32_MAX)
        *s = rt_fail(ATTN_ERR_UNSUPPORTED, "block mask: %d x %d heads of %d query blocks exceed "
                     "the GPU builder's grid (2^31 - 1 blocks)", (int)m->B, (int)m->H, (int)m->nqb);
    if (*s != ATTN_OK) {
        attn_block_mask_free(m);
        return NULL;
    }
    return m;
}

attn_status rt_bm_gpu_build(const char *fn, const attn_gpu_variant *gv, attn_gpu_device dev,
                            int32_t result, const int64_t std[ATTN_DIM_STANDARD_COUNT],
                            const attn_arg *args, int32_t nargs, const attn_block_mask_opts *opts,
                            attn_block_mask **out) {
    if (!out)
        return rt_fail(ATTN_ERR_INVALID_ARG, "%s: out is NULL", fn);
    *out = NULL;
    if (!gv || !gv->var)
        return rt_fail(ATTN_ERR_INVALID_ARG, "%s: GPU variant is NULL", fn);
    if (dev != ATTN_GPU_EMU && dev != ATTN_GPU_CUDA)
        return rt_fail(ATTN_ERR_INVALID_ARG, "unknown GPU device %d", (int)dev);
    attn_ctx ctx;
    rt_bound bound;
    rt_gpu_args views;
    attn_status s = rt_gpu_args_view(gv->var, dev, args, nargs, &views);
    if (s == ATTN_OK)
        s = rt_bm_variant_ctx(gv->var, std, views.args, nargs, &ctx, &bound);
    if (s != ATTN_OK) {
        rt_gpu_args_free(&views);
        return s;
    }
    attn_block_mask_opts o = rt_bm_variant_opts(gv->var, opts);
    attn_bm_gpu_args a;
    attn_block_mask *m = rt_bm_gpu_new(&ctx, &o, result, &a, &s);
    const bool work = m && rt_bm_gpu_classify_blocks(&a) > 0 && a.nkvb > 0;
    if (work && dev == ATTN_GPU_EMU) {
        rt_bm_gpu_tables(&a, m, m->kv_num_blocks);
        s = rt_bm_gpu_run_emu(gv, &a, rt_pool_default_threads(o.num_threads));
    } else if (m && (work || result == ATTN_BLOCK_MASK_CUDA)) { /* a device result needs tables */
        s = rt_bm_gpu_run_cuda(gv, &a, m, &views);
    }
    rt_bound_free(&bound);
    rt_gpu_args_free(&views);
    if (s != ATTN_OK) {
        attn_block_mask_free(m);
        return s;
    }
    *out = m;
    return ATTN_OK;
}

/* The public builders: given B, H, Q and KV only (HKV = H, D = DV = 0), so
 * a mask that reads the others is refused. */
static attn_status rt_bm_gpu_build_public(const char *fn, const attn_gpu_variant *gv,
                                          attn_gpu_device dev, int32_t result, int64_t B, int64_t H,
                                          int64_t Q, int64_t KV, const attn_arg *args,
                                          int32_t nargs, const attn_block_mask_opts *opts,
                                          attn_block_mask **out) {
    if (out)
        *out = NULL;
    int64_t std[ATTN_DIM_STANDARD_COUNT];
    attn_status s = rt_bm_public_dims(gv ? gv->var : NULL, fn, B, H, Q, KV, std);
    if (s != ATTN_OK)
        return s;
    return rt_bm_gpu_build(fn, gv, dev, result, std, args, nargs, opts, out);
}

attn_status attn_block_mask_build_gpu(const attn_gpu_variant *gv, attn_gpu_device dev, int64_t B,
                                      int64_t H, int64_t Q, int64_t KV, const attn_arg *args,
                                      int32_t nargs, const attn_block_mask_opts *opts,
                                      attn_block_mask **out) {
    return rt_bm_gpu_build_public("attn_block_mask_build_gpu", gv, dev, ATTN_BLOCK_MASK_HOST, B, H,
                                  Q, KV, args, nargs, opts, out);
}

attn_status attn_block_mask_build_cuda(const attn_gpu_variant *gv, int64_t B, int64_t H, int64_t Q,
                                       int64_t KV, const attn_arg *args, int32_t nargs,
                                       const attn_block_mask_opts *opts, attn_block_mask **out) {
    return rt_bm_gpu_build_public("attn_block_mask_build_cuda", gv, ATTN_GPU_CUDA,
                                  ATTN_BLOCK_MASK_CUDA, B, H, Q, KV, args, nargs, opts, out);
}
