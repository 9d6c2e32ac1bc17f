/* rt_launch_cpu.c - attn_forward: validation of q, k, v, out, lse and the
 * arguments, then the CPU kernel over the thread pool, one work item per
 * (b, h, query block), largest item (most visible keys) first. Variants
 * whose mask needs a runtime BlockMask get one (built per launch, or the
 * caller's from the options), which the kernel walks instead of key ranges. */
#include <stdlib.h>

#include "rt_blockmask.h"
#include "rt_internal.h"

/* Checks a rank-4 (or rank-3 for lse) attention tensor: rank, dtype and a
 * contiguous last dimension. `dims_doc` spells the expected layout. */
static attn_status rt_check_io(const DLTensor *t, const char *what, int32_t rank,
                               const char *dims_doc, int32_t want_dtype, const char *dtype_from) {
    attn_status s = rt_check_cpu_tensor(t, what);
    if (s != ATTN_OK)
        return s;
    if (t->ndim != rank)
        return rt_fail(ATTN_ERR_SHAPE, "%s: expected %d dimensions %s, got %d", what, (int)rank,
                       dims_doc, (int)t->ndim);
    char buf[32], want[32];
    int32_t dt = rt_dtype_from_dl(t->dtype);
    if (want_dtype < 0 && dt != ATTN_F32 && dt != ATTN_F16 && dt != ATTN_BF16)
        return rt_fail(ATTN_ERR_DTYPE, "%s: unsupported dtype %s (expected f32, f16 or bf16)",
                       what, rt_dl_dtype_name(t->dtype, buf));
    if (want_dtype >= 0 && dt != want_dtype) {
        DLDataType w = {want_dtype == ATTN_BF16 ? kDLBfloat : kDLFloat,
                        want_dtype == ATTN_F32 ? 32 : 16, 1};
        if (dtype_from)
            return rt_fail(ATTN_ERR_DTYPE, "%s: dtype %s does not match %s's %s", what,
                           rt_dl_dtype_name(t->dtype, buf), dtype_from, rt_dl_dtype_name(w, want));
        return rt_fail(ATTN_ERR_DTYPE, "%s: dtype must be %s, got %s", what,
                       rt_dl_dtype_name(w, want), rt_dl_dtype_name(t->dtype, buf));
    }
    if (t->shape[rank - 1] > 1 && rt_stride(t, rank - 1) != 1)
        return rt_fail(ATTN_ERR_SHAPE, "%s: last dimension must be contiguous (stride 1), got stride %lld",
                       what, (long long)rt_stride(t, rank - 1));
    return ATTN_OK;
}

/* Requires t->shape[axis] == want (the value `src` established). */
static attn_status rt_check_dim(const DLTensor *t, const char *what, int32_t axis,
                                const char *dim, int64_t want, const char *src) {
    if (t->shape[axis] != want)
        return rt_fail(ATTN_ERR_SHAPE, "%s: dimension %d (%s) is %lld, expected %lld (from %s)",
                       what, (int)axis, dim, (long long)t->shape[axis], (long long)want, src);
    return ATTN_OK;
}

attn_status rt_check_attn_tensors(const DLTensor *q, const DLTensor *k, const DLTensor *v,
                                  const DLTensor *out, const DLTensor *lse, int32_t *dims) {
    attn_status s;
    if ((s = rt_check_io(q, "q", 4, "[B, H, Q, D]", -1, NULL)) != ATTN_OK)
        return s;
    int32_t dt = rt_dtype_from_dl(q->dtype);
    if ((s = rt_check_io(k, "k", 4, "[B, HKV, KV, D]", dt, "q")) != ATTN_OK ||
        (s = rt_check_io(v, "v", 4, "[B, HKV, KV, DV]", dt, "q")) != ATTN_OK ||
        (s = rt_check_io(out, "out", 4, "[B, H, Q, DV]", dt, "q")) != ATTN_OK ||
        (lse && (s = rt_check_io(lse, "lse", 3, "[B, H, Q]", ATTN_F32, NULL)) != ATTN_OK))
        return s;
    static const char *const qn[] = {"B", "H", "Q", "D"};
    for (int32_t i = 0; i < 4; i++)
        if (q->shape[i] > INT32_MAX)
            return rt_fail(ATTN_ERR_SHAPE, "q: dimension %d (%s) = %lld exceeds the 32-bit limit",
                           (int)i, qn[i], (long long)q->shape[i]);
    if (k->shape[1] > INT32_MAX || k->shape[2] > INT32_MAX || v->shape[3] > INT32_MAX)
        return rt_fail(ATTN_ERR_SHAPE, "k/v: a dimension exceeds the 32-bit limit");
    int64_t B = q->shape[0], H = q->shape[1], Q = q->shape[2], D = q->shape[3];
    int64_t HKV = k->shape[1], KV = k->shape[2], DV = v->shape[3];
    if ((s = rt_check_dim(k, "k", 0, "B", B, "q")) != ATTN_OK ||
        (s = rt_check_dim(k, "k", 3, "D", D, "q")) != ATTN_OK ||
        (s = rt_check_dim(v, "v", 0, "B", B, "q")) != ATTN_OK ||
        (s = rt_check_dim(v, "v", 1, "HKV", HKV, "k")) != ATTN_OK ||
        (s = rt_check_dim(v, "v", 2, "KV", KV, "k")) != ATTN_OK ||
        (s = rt_check_dim(out, "out", 0, "B", B, "q")) != ATTN_OK ||
        (s = rt_check_dim(out, "out", 1, "H", H, "q")) != ATTN_OK ||
        (s = rt_check_dim(out, "out", 2, "Q", Q, "q")) != ATTN_OK ||
        (s = rt_check_dim(out, "out", 3, "DV", DV, "v")) != ATTN_OK)
        return s;
    if (lse && ((s = rt_check_dim(lse, "lse", 0, "B", B, "q")) != ATTN_OK ||
                (s = rt_check_dim(lse, "lse", 1, "H", H, "q")) != ATTN_OK ||
                (s = rt_check_dim(lse, "lse", 2, "Q", Q, "q")) != ATTN_OK))
        return s;
    if (H > 0 && (HKV == 0 || H % HKV != 0))
        return rt_fail(ATTN_ERR_SHAPE, "H=%lld is not a multiple of HKV=%lld", (long long)H,
                       (long long)HKV);
    if (D > ATTN_CPU_MAX_HEAD_DIM || DV > ATTN_CPU_MAX_HEAD_DIM)
        return rt_fail(ATTN_ERR_UNSUPPORTED, "%s=%lld exceeds the CPU kernel's limit of %d",
                       D > ATTN_CPU_MAX_HEAD_DIM ? "D" : "DV",
                       (long long)(D > ATTN_CPU_MAX_HEAD_DIM ? D : DV), ATTN_CPU_MAX_HEAD_DIM);
    const int64_t v7[ATTN_DIM_STANDARD_COUNT] = {B, H, HKV, Q, KV, D, DV};
    for (int32_t i = 0; i < ATTN_DIM_STANDARD_COUNT; i++)
        dims[i] = (int32_t)v7[i];
    return ATTN_OK;
}

/* One launch as seen by the workers. */
typedef struct rt_fwd_job {
    const attn_variant *var;
    attn_fwd_args args;
    attn_ctx ctx;
    int64_t qb_begin, nqb; /* query blocks [qb_begin, qb_begin + nqb) */
} rt_fwd_job;

static void rt_fwd_item(const rt_fwd_job *job, int64_t item, int32_t *b, int32_t *h, int32_t *qb) {
    int64_t bh = item / job->nqb;
    *qb = (int32_t)(job->qb_begin + item % job->nqb);
    *h = (int32_t)(bh % job->ctx.dims[ATTN_DIM_H]);
    *b = (int32_t)(bh / job->ctx.dims[ATTN_DIM_H]);
}

static void rt_fwd_task(void *arg, int64_t item) {
    const rt_fwd_job *job = arg;
    int32_t b, h, qb;
    rt_fwd_item(job, item, &b, &h, &qb);
    job->var->cpu_fwd(&job->args, &job->ctx, b, h, qb);
}

typedef struct rt_weighted {
    int64_t weight, item;
} rt_weighted;

static int rt_heavier_first(const void *x, const void *y) {
    const rt_weighted *a = x, *b = y;
    if (a->weight != b->weight)
        return a->weight > b->weight ? -1 : 1;
    return a->item < b->item ? -1 : a->item > b->item;
}

/* Key positions the kernel visits for query block qb of (b, h): from the
 * launch's BlockMask when it has one, else from the variant's key ranges. */
static int64_t rt_item_keys(const rt_fwd_job *job, int32_t b, int32_t h, int32_t qb) {
    if (job->args.block_mask)
        return rt_block_mask_row_keys(job->args.block_mask, b, h, qb);
    const int32_t NQ = job->ctx.dims[ATTN_DIM_Q], NKV = job->ctx.dims[ATTN_DIM_KV];
    int32_t q0 = qb * ATTN_CPU_BLOCK_Q;
    int32_t q1 = NQ - q0 < ATTN_CPU_BLOCK_Q ? NQ : q0 + ATTN_CPU_BLOCK_Q;
    attn_kv_range r[ATTN_MAX_KV_RANGES];
    int32_t nr = job->var->kv_ranges(b, h, q0, q1, &job->ctx, r);
    int64_t keys = 0;
    for (int32_t j = 0; j < nr && j < ATTN_MAX_KV_RANGES; j++) {
        int32_t lo = r[j].lo < 0 ? 0 : r[j].lo, hi = r[j].hi > NKV ? NKV : r[j].hi;
        keys += hi > lo ? hi - lo : 0;
    }
    return keys;
}

/* The work order: items by decreasing number of visible key positions
 * (rt_item_keys). NULL with *st = ATTN_OK means natural order. */
static int64_t *rt_work_order(const rt_fwd_job *job, int64_t n, attn_status *st) {
    *st = ATTN_OK;
    if ((!job->var->kv_ranges && !job->args.block_mask) || n < 2)
        return NULL;
    rt_weighted *w = malloc((size_t)n * sizeof *w);
    int64_t *order = malloc((size_t)n * sizeof *order);
    if (!w || !order) {
        free(w);
        free(order);
        *st = rt_fail(ATTN_ERR_NO_MEMORY, "out of memory for %lld work items", (long long)n);
        return NULL;
    }
    for (int64_t i = 0; i < n; i++) {
        int32_t b, h, qb;
        rt_fwd_item(job, i, &b, &h, &qb);
        w[i].weight = rt_item_keys(job, b, h, qb);
        w[i].item = i;
    }
    qsort(w, (size_t)n, sizeof *w, rt_heavier_first);
    for (int64_t i = 0; i < n; i++)
        order[i] = w[i].item;
    free(w);
    return order;
}

int64_t attn_cpu_query_blocks(int64_t q_len) {
    return q_len <= 0 ? 0 : (q_len + ATTN_CPU_BLOCK_Q - 1) / ATTN_CPU_BLOCK_Q;
}

/* Fills the kernel's tensor description from validated tensors. */
static void rt_fill_fwd_args(attn_fwd_args *a, const DLTensor *q, const DLTensor *k,
                             const DLTensor *v, DLTensor *out, DLTensor *lse) {
    RT_FILL_QKVO(a, q, k, v, out, lse);
    a->dtype = rt_dtype_from_dl(q->dtype);
}

attn_status attn_forward(const attn_variant *var, const DLTensor *q, const DLTensor *k,
                         const DLTensor *v, DLTensor *out, DLTensor *lse, const attn_arg *args,
                         int32_t nargs, const attn_launch_opts *opts) {
    static const attn_launch_opts defaults;
    if (!opts)
        opts = &defaults;
    if (opts->device == ATTN_DEVICE_CUDA)
        return rt_fail(ATTN_ERR_UNSUPPORTED,
                       "CUDA unavailable: attn_forward runs CPU kernels; GPU kernels launch through attn_forward_gpu (attn_gpu.h)");
    if (opts->device != ATTN_DEVICE_CPU)
        return rt_fail(ATTN_ERR_INVALID_ARG, "unknown device %d", (int)opts->device);
    if (!var)
        return rt_fail(ATTN_ERR_INVALID_ARG, "variant is NULL");
    if (var->kind != ATTN_KIND_ATTENTION)
        return rt_fail(ATTN_ERR_INVALID_ARG, "%s is a scan, not an attention variant", var->name);
    if (!var->cpu_fwd || !var->hook_scale)
        return rt_fail(ATTN_ERR_UNSUPPORTED, "%s has no CPU kernel", var->name);

    rt_fwd_job job = {.var = var};
    attn_status s = rt_check_attn_tensors(q, k, v, out, lse, job.ctx.dims);
    if (s != ATTN_OK)
        return s;
    int64_t nqb_all = attn_cpu_query_blocks(q->shape[2]);
    int64_t qb_end = opts->qb_end == 0 ? nqb_all : opts->qb_end;
    if (opts->qb_begin < 0 || opts->qb_begin > qb_end || qb_end > nqb_all)
        return rt_fail(ATTN_ERR_INVALID_ARG, "query block range [%lld, %lld) is invalid for %lld query blocks",
                       (long long)opts->qb_begin, (long long)qb_end, (long long)nqb_all);
    rt_bound bound;
    if ((s = rt_bind_args(var, args, nargs, job.ctx.dims, &bound)) != ATTN_OK)
        return s;
    job.qb_begin = opts->qb_begin;
    job.nqb = qb_end - opts->qb_begin;
    int64_t nitems = (int64_t)job.ctx.dims[ATTN_DIM_B] * job.ctx.dims[ATTN_DIM_H] * job.nqb;
    if (nitems == 0) {
        rt_bound_free(&bound);
        return ATTN_OK;
    }
    attn_pool *pool = opts->pool ? opts->pool : rt_default_pool();
    if (!pool) {
        rt_bound_free(&bound);
        return ATTN_ERR_NO_MEMORY;
    }
    job.ctx.params = bound.slots;
    rt_fill_fwd_args(&job.args, q, k, v, out, lse);
    job.args.scale = var->hook_scale(&job.ctx);
    attn_block_mask *owned_bm;
    attn_block_mask_view bm_view;
    int64_t *order = NULL;
    s = rt_block_mask_for_launch(var, opts, &job.ctx, &owned_bm, &bm_view, &job.args.block_mask);
    if (s == ATTN_OK)
        order = rt_work_order(&job, nitems, &s);
    if (s == ATTN_OK)
        rt_pool_run(pool, opts->num_threads, nitems, order, rt_fwd_task, &job);
    free(order);
    attn_block_mask_free(owned_bm);
    rt_bound_free(&bound);
    return s;
}
