/* rt_scan.c - attn_scan: validating a scan launch and running its rows on
 * the thread pool (attn.h, "scans"). The rows are split into contiguous
 * ranges, a few per worker; each range has its own state scratch, allocated
 * before the launch so that nothing can fail once rows run. */
#include <stdlib.h>
#include <string.h>

#include "rt_scan.h"

/* Ranges per worker: enough to even out uneven rows, few enough that the
 * per-range scratch stays small. */
#define RT_SCAN_RANGES_PER_WORKER 4

typedef struct rt_scan_job {
    const attn_scan_desc *desc;
    attn_ctx ctx;
    attn_scan_io io;
    float *scratch;        /* nranges * scratch_len floats */
    int64_t scratch_len;
    int64_t rows, nranges;
} rt_scan_job;

static void rt_scan_range(void *arg, int64_t item)
{
    rt_scan_job *j = arg;
    int64_t begin = j->rows * item / j->nranges, end = j->rows * (item + 1) / j->nranges;
    if (begin < end)
        j->desc->cpu(&j->ctx, &j->io, j->scratch + item * j->scratch_len, begin, end);
}

/* Checks output o against its declaration under dims (binding dimensions
 * that no input bound) and fills its slot. */
static attn_status rt_scan_output(const attn_variant *var, int32_t o, const DLTensor *t,
                                  int32_t *dims, const uint8_t *bound, attn_tensor_arg *slot)
{
    const attn_param_desc *d = &var->scan->outputs[o];
    if (!t)
        return rt_fail(ATTN_ERR_INVALID_ARG, "%s: output tensor is NULL", d->name);
    attn_status s = rt_check_cpu_tensor(t, d->name);
    if (s != ATTN_OK)
        return s;
    char buf[32];
    if (rt_dtype_from_dl(t->dtype) != ATTN_F32)
        return rt_fail(ATTN_ERR_DTYPE, "%s: expected f32 elements, got %s", d->name,
                       rt_dl_dtype_name(t->dtype, buf));
    if (t->ndim != d->rank)
        return rt_fail(ATTN_ERR_SHAPE, "%s: expected %d dimension%s, got %d", d->name,
                       (int)d->rank, d->rank == 1 ? "" : "s", (int)t->ndim);
    for (int32_t ax = 0; ax < t->ndim; ax++) {
        int32_t id = d->dim_id[ax];
        int64_t want = id < 0 ? d->dim_const[ax] : bound[id] ? dims[id] : t->shape[ax];
        if (t->shape[ax] != want)
            return rt_fail(ATTN_ERR_SHAPE, "%s: dimension %d (%s) must be %lld, got %lld", d->name,
                           (int)ax, id < 0 ? "constant" : var->dims[id], (long long)want,
                           (long long)t->shape[ax]);
        slot->shape[ax] = t->shape[ax];
        slot->stride[ax] = rt_stride(t, ax);
    }
    slot->data = rt_data(t);
    slot->ndim = t->ndim;
    slot->dtype = ATTN_F32;
    return ATTN_OK;
}

attn_status rt_scan_check_outputs(const attn_variant *var, int32_t noutputs, DLTensor *const *outputs)
{
    if (noutputs != var->scan->noutputs)
        return rt_fail(ATTN_ERR_INVALID_ARG, "%s has %d output%s, got %d", var->name,
                       (int)var->scan->noutputs, var->scan->noutputs == 1 ? "" : "s", (int)noutputs);
    if (noutputs > ATTN_MAX_SCAN_OUTPUTS || (noutputs > 0 && !outputs))
        return rt_fail(ATTN_ERR_INVALID_ARG, "%s: bad output list", var->name);
    return ATTN_OK;
}

static attn_status rt_scan_check_variant(const attn_variant *var, int32_t noutputs,
                                         DLTensor *const *outputs, const attn_launch_opts *opts)
{
    if (!var)
        return rt_fail(ATTN_ERR_INVALID_ARG, "variant is NULL");
    if (var->kind != ATTN_KIND_SCAN || !var->scan || !var->scan->cpu || !var->scan->rows ||
        !var->scan->scratch)
        return rt_fail(ATTN_ERR_INVALID_ARG, "%s is not a compiled scan variant", var->name);
    attn_status s = rt_scan_check_outputs(var, noutputs, outputs);
    if (s != ATTN_OK)
        return s;
    if (opts && opts->device != ATTN_DEVICE_CPU)
        return rt_fail(ATTN_ERR_UNSUPPORTED, "%s: attn_scan runs on the CPU; GPU scans run "
                       "through attn_scan_gpu (attn_scan_gpu.h)", var->name);
    return ATTN_OK;
}

attn_status rt_scan_bind(const attn_variant *var, const attn_arg *args, int32_t nargs,
                         DLTensor *const *outputs, attn_ctx *ctx, attn_scan_io *io, rt_bound *bound)
{
    int32_t dims[ATTN_MAX_VARIANT_DIMS] = {0};
    attn_status s = rt_bind_args(var, args, nargs, dims, bound);
    if (s != ATTN_OK)
        return s;
    uint8_t is_bound[ATTN_MAX_VARIANT_DIMS] = {0};
    for (int32_t p = 0; p < var->nparams; p++)
        for (int32_t ax = 0; var->params[p].kind == ATTN_PARAM_TENSOR && ax < var->params[p].rank; ax++)
            if (var->params[p].dim_id[ax] >= 0)
                is_bound[var->params[p].dim_id[ax]] = 1;
    for (int32_t o = 0; s == ATTN_OK && o < var->scan->noutputs; o++)
        s = rt_scan_output(var, o, outputs[o], dims, is_bound, &io->outputs[o]);
    if (s != ATTN_OK) {
        rt_bound_free(bound);
        return s;
    }
    io->noutputs = var->scan->noutputs;
    memcpy(ctx->dims, dims, sizeof dims);
    ctx->params = bound->slots;
    return ATTN_OK;
}

attn_status attn_scan(const attn_variant *var, const attn_arg *args, int32_t nargs,
                      DLTensor *const *outputs, int32_t noutputs, const attn_launch_opts *opts)
{
    attn_status s = rt_scan_check_variant(var, noutputs, outputs, opts);
    if (s != ATTN_OK)
        return s;
    rt_scan_job job = {0};
    rt_bound bound;
    if ((s = rt_scan_bind(var, args, nargs, outputs, &job.ctx, &job.io, &bound)) != ATTN_OK)
        return s;
    job.desc = var->scan;
    attn_pool *pool = opts && opts->pool ? opts->pool : rt_default_pool();
    if (!pool) {
        rt_bound_free(&bound);
        return ATTN_ERR_NO_MEMORY;
    }
    int32_t workers = attn_pool_size(pool);
    if (opts && opts->num_threads > 0 && opts->num_threads < workers)
        workers = opts->num_threads;
    job.rows = var->scan->rows(&job.ctx);
    job.scratch_len = var->scan->scratch(&job.ctx);
    job.nranges = job.rows < (int64_t)workers * RT_SCAN_RANGES_PER_WORKER
                      ? job.rows : (int64_t)workers * RT_SCAN_RANGES_PER_WORKER;
    if (job.rows > 0 && job.ctx.dims[var->scan->axis_dim] > 0) {
        job.scratch = malloc((size_t)(job.nranges * job.scratch_len + 1) * sizeof *job.scratch);
        if (!job.scratch) {
            rt_bound_free(&bound);
            return rt_fail(ATTN_ERR_NO_MEMORY, "%s: out of memory for the scan states", var->name);
        }
        rt_pool_run(pool, workers, job.nranges, NULL, rt_scan_range, &job);
    }
    free(job.scratch);
    rt_bound_free(&bound);
    return ATTN_OK;
}
