/* rt_blockmask_build.c - attn_block_mask_build_ctx: evaluates a mask hook
 * block by block on the thread pool and fills a BlockMask's tables.
 *
 * Three parallel passes over a per-block class table (one byte per stored
 * (row, key block), freed at the end):
 *   1. classify: work items of (row, up to BM_CHUNK key blocks); a block
 *      that the key ranges prove empty or full is not evaluated, any other
 *      is evaluated row by row until both a visible and an invisible element
 *      were seen (partial) or it is exhausted (full or empty);
 *   2. one item per row: the kv-side counts and ascending index lists;
 *   3. one item per (b, h, key block): the q-side lists (the transpose). */
#include <stdlib.h>

#include "blockmask_class.h"
#include "rt_internal.h"
#include "rt_blockmask.h"

#define BM_CHUNK 32 /* key blocks per classification item */

typedef struct bm_job {
    attn_mask_fn mask;
    attn_kv_ranges_fn kv_ranges;
    const attn_ctx *ctx;
    attn_block_mask *m;
    uint8_t *cls;    /* [row][kv block] */
    int64_t nchunks; /* classification items per row */
} bm_job;

/* Class of the block rows [q0, q1) x keys [k0, k1) by evaluating the mask,
 * one query row at a time, stopping once both outcomes were seen. */
static uint8_t bm_eval_block(attn_mask_fn mask, const attn_ctx *ctx, int32_t b, int32_t h,
                             int32_t q0, int32_t q1, int32_t k0, int32_t k1) {
    int32_t vis = 0, inv = 0;
    for (int32_t q = q0; q < q1; q++) {
        for (int32_t kv = k0; kv < k1; kv++) {
            int32_t v = mask(b, h, q, kv, ctx) != 0;
            vis |= v;
            inv |= !v;
        }
        if (vis && inv)
            return ATTN_BM_PARTIAL;
    }
    return vis ? ATTN_BM_FULL : ATTN_BM_EMPTY;
}

static void bm_classify_task(void *arg, int64_t item) {
    const bm_job *job = arg;
    const attn_block_mask *m = job->m;
    int64_t row = item / job->nchunks;
    int32_t b, h, qb, q0, q1;
    attn_bm_row(row, m->H, m->nqb, &b, &h, &qb);
    attn_bm_block_bounds(qb, m->block_q, m->q_len, &q0, &q1);
    attn_kv_range r[ATTN_MAX_KV_RANGES];
    int32_t nr = 0;
    if (job->kv_ranges) {
        nr = job->kv_ranges(b, h, q0, q1, job->ctx, r);
        nr = nr < 0 ? 0 : nr > ATTN_MAX_KV_RANGES ? ATTN_MAX_KV_RANGES : nr;
    }
    int32_t kb0 = (int32_t)(item % job->nchunks) * BM_CHUNK;
    int32_t kb1 = kb0 + BM_CHUNK < m->nkvb ? kb0 + BM_CHUNK : m->nkvb;
    for (int32_t kb = kb0; kb < kb1; kb++) {
        int32_t k0, k1;
        attn_bm_block_bounds(kb, m->block_kv, m->kv_len, &k0, &k1);
        uint8_t c = job->kv_ranges ? attn_bm_range_class(r, nr, k0, k1) : ATTN_BM_PARTIAL;
        if (c == ATTN_BM_PARTIAL)
            c = bm_eval_block(job->mask, job->ctx, b, h, q0, q1, k0, k1);
        job->cls[row * m->nkvb + kb] = c;
    }
}

static void bm_kv_lists_task(void *arg, int64_t row) {
    const bm_job *job = arg;
    attn_block_mask *m = job->m;
    attn_bm_compact(job->cls + row * m->nkvb, 1, m->nkvb, m->kv_indices + row * m->nkvb,
                    m->full_kv_indices + row * m->nkvb, &m->kv_num_blocks[row],
                    &m->full_kv_num_blocks[row]);
}

/* item = (b * H + h) * nkvb + kv block */
static void bm_q_lists_task(void *arg, int64_t item) {
    const bm_job *job = arg;
    attn_block_mask *m = job->m;
    int64_t bh = item / m->nkvb, kb = item % m->nkvb;
    attn_bm_compact(job->cls + bh * m->nqb * m->nkvb + kb, m->nkvb, m->nqb,
                    m->q_indices + item * m->nqb, m->full_q_indices + item * m->nqb,
                    &m->q_num_blocks[item], &m->full_q_num_blocks[item]);
}

attn_status rt_bm_shape(const attn_ctx *ctx, const attn_block_mask_opts *o,
                            attn_block_mask *m) {
    const int32_t *d = ctx->dims;
    if (d[ATTN_DIM_B] < 0 || d[ATTN_DIM_H] < 0 || d[ATTN_DIM_Q] < 0 || d[ATTN_DIM_KV] < 0)
        return rt_fail(ATTN_ERR_SHAPE, "block mask: negative dimension (B=%d H=%d Q=%d KV=%d)",
                       (int)d[ATTN_DIM_B], (int)d[ATTN_DIM_H], (int)d[ATTN_DIM_Q],
                       (int)d[ATTN_DIM_KV]);
    if (o->block_q < 0 || o->block_kv < 0)
        return rt_fail(ATTN_ERR_INVALID_ARG, "block mask: block sizes must be positive, got %d x %d",
                       (int)o->block_q, (int)o->block_kv);
    m->block_q = o->block_q ? o->block_q : ATTN_CPU_BLOCK_Q;
    m->block_kv = o->block_kv ? o->block_kv : ATTN_CPU_BLOCK_KV;
    m->B = o->independent_of_b && d[ATTN_DIM_B] > 1 ? 1 : d[ATTN_DIM_B];
    m->H = o->independent_of_h && d[ATTN_DIM_H] > 1 ? 1 : d[ATTN_DIM_H];
    m->q_len = d[ATTN_DIM_Q];
    m->kv_len = d[ATTN_DIM_KV];
    m->nqb = (int32_t)(((int64_t)m->q_len + m->block_q - 1) / m->block_q);
    m->nkvb = (int32_t)(((int64_t)m->kv_len + m->block_kv - 1) / m->block_kv);
    return ATTN_OK;
}

attn_status rt_bm_alloc_tables(attn_block_mask *m) {
    int64_t bh, rows, cols, cells, n;
    if (__builtin_mul_overflow((int64_t)m->B, (int64_t)m->H, &bh) ||
        __builtin_mul_overflow(bh, (int64_t)m->nqb, &rows) ||
        __builtin_mul_overflow(bh, (int64_t)m->nkvb, &cols) ||
        __builtin_mul_overflow(rows, (int64_t)m->nkvb, &cells) ||
        __builtin_mul_overflow(cells, (int64_t)4, &n) ||
        __builtin_add_overflow(n, 2 * (rows + cols), &n) ||
        (uint64_t)n > SIZE_MAX / 2 / sizeof(int32_t))
        return rt_fail(ATTN_ERR_NO_MEMORY, "block mask: %d x %d heads of %d x %d blocks is too large",
                       (int)m->B, (int)m->H, (int)m->nqb, (int)m->nkvb);
    int32_t *t = calloc(n > 0 ? (size_t)n : 1, sizeof *t);
    if (!t)
        return rt_fail(ATTN_ERR_NO_MEMORY, "block mask: out of memory for %lld bytes",
                       (long long)(n * (int64_t)sizeof *t));
    m->kv_num_blocks = t;
    m->full_kv_num_blocks = t += rows;
    m->kv_indices = t += rows;
    m->full_kv_indices = t += cells;
    m->q_num_blocks = t += cells;
    m->full_q_num_blocks = t += cols;
    m->q_indices = t += cols;
    m->full_q_indices = t + cells;
    return ATTN_OK;
}

attn_status attn_block_mask_build_ctx(attn_mask_fn mask, const attn_ctx *ctx,
                                      const attn_block_mask_opts *opts, attn_block_mask **out) {
    static const attn_block_mask_opts defaults;
    if (!out)
        return rt_fail(ATTN_ERR_INVALID_ARG, "attn_block_mask_build_ctx: out is NULL");
    *out = NULL;
    if (!mask || !ctx)
        return rt_fail(ATTN_ERR_INVALID_ARG, "attn_block_mask_build_ctx: %s is NULL",
                       mask ? "ctx" : "mask");
    if (!opts)
        opts = &defaults;
    attn_block_mask *m = calloc(1, sizeof *m);
    if (!m)
        return rt_fail(ATTN_ERR_NO_MEMORY, "block mask: out of memory");
    attn_status s = rt_bm_shape(ctx, opts, m);
    if (s == ATTN_OK)
        s = rt_bm_alloc_tables(m); /* also bounds rows * nkvb */
    int64_t rows = s == ATTN_OK ? (int64_t)m->B * m->H * m->nqb : 0, cells = rows * m->nkvb;
    bm_job job = {mask, opts->kv_ranges, ctx, m, NULL, ((int64_t)m->nkvb + BM_CHUNK - 1) / BM_CHUNK};
    if (s == ATTN_OK && cells > 0 && !(job.cls = malloc((size_t)cells)))
        s = rt_fail(ATTN_ERR_NO_MEMORY, "block mask: out of memory for %lld block classes",
                    (long long)cells);
    attn_pool *pool = NULL;
    if (s == ATTN_OK && cells > 0 && !(pool = opts->pool ? opts->pool : rt_default_pool()))
        s = ATTN_ERR_NO_MEMORY;
    if (s != ATTN_OK) {
        free(job.cls);
        attn_block_mask_free(m);
        return s;
    }
    if (cells > 0) {
        rt_pool_run(pool, opts->num_threads, rows * job.nchunks, NULL, bm_classify_task, &job);
        rt_pool_run(pool, opts->num_threads, rows, NULL, bm_kv_lists_task, &job);
        rt_pool_run(pool, opts->num_threads, (int64_t)m->B * m->H * m->nkvb, NULL,
                    bm_q_lists_task, &job);
    }
    free(job.cls);
    *out = m;
    return ATTN_OK;
}
