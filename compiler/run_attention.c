/* run_attention.c - `attnc run` for an attention variant (run.h): inputs
 * (run_attention_inputs.c), the variant compiled for --device
 * (run_attention_device.c: the host JIT for cpu, the GPU template for the
 * SIMT emulator or CUDA; emu/cuda take f16 or bf16, default bf16), one
 * launch, then
 *   --out DIR   out.npy (f32 [B,H,Q,DV]) and lse.npy (f32 [B,H,Q]);
 *   --check     the reference interpreter on the same inputs, compared with
 *               |compiled - reference| / max(1, |reference|) <= tolerance
 *               (f32 2e-4, f16 1e-2, bf16 3e-2; lse: infinities must agree);
 *   --checked   the reference interpreter in checked mode first: a
 *               data-dependent index out of range fails the run naming the
 *               tensor, the index and the first (b, h, q, kv) (the compiled
 *               kernel clamps such indices; it has no trapping mode);
 *   --bench N   N timed launches after the first (warm-up) one: median time
 *               and TFLOP/s over the key ranges the kernel visits, or the
 *               blocks of the BlockMask it builds when the analysis is dense (cuda:
 *               kernel time from CUDA events; emu: the time only, labelled
 *               as the emulator's). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interp.h"
#include "run_attention.h"
#include "run_common.h"

static double run_attn_tolerance(int32_t dtype)
{
    return dtype == ATTN_BF16 ? 3e-2 : dtype == ATTN_F16 ? 1e-2 : 2e-4;
}

/* The launch's results: out in the inputs' dtype, its f32 copy, lse. */
typedef struct AttnResult {
    attn_npy *out, *out32, *lse;
} AttnResult;

static int run_attn_alloc(const AttnRun *r, AttnResult *res)
{
    static const DLDataType dl[3] = {{kDLFloat, 32, 1}, {kDLFloat, 16, 1}, {kDLBfloat, 16, 1}};
    const int32_t *dm = r->dims;
    int64_t shape[4] = {dm[ATTN_DIM_B], dm[ATTN_DIM_H], dm[ATTN_DIM_Q], dm[ATTN_DIM_DV]};
    if (attn_npy_alloc(dl[r->dtype], 4, shape, &res->out) != ATTN_OK ||
        attn_npy_alloc(dl[ATTN_F32], 4, shape, &res->out32) != ATTN_OK ||
        attn_npy_alloc(dl[ATTN_F32], 3, shape, &res->lse) != ATTN_OK)
        return run_error("out: %s", attn_last_error());
    return 0;
}

static void run_attn_result_free(AttnResult *res)
{
    attn_npy_free(res->out);
    attn_npy_free(res->out32);
    attn_npy_free(res->lse);
}

static int64_t run_elems(const attn_npy *n)
{
    int64_t e = 1;
    for (int i = 0; i < n->t.ndim; i++)
        e *= n->shape[i];
    return e;
}

/* One launch; its wall time in *seconds. */
static int run_attn_launch(const AttnRun *r, const AttnTarget *t, AttnResult *res, double *seconds)
{
    double t0 = run_now();
    attn_status s = run_attn_target_launch(t, r, &res->out->t, &res->lse->t);
    *seconds = run_now() - t0;
    if (s != ATTN_OK)
        return run_error("variant '%s': %s", r->d->name, attn_last_error());
    return 0;
}

/* Query-key pairs in the key ranges a kernel with query blocks of `block`
 * rows visits (every b, h and query block), from the kv_ranges hook. */
static double run_attn_visited_pairs(const AttnRun *r, attn_kv_ranges_fn kv_ranges, int32_t block,
                                     const attn_ctx *ctx)
{
    const int32_t *dm = r->dims;
    double pairs = 0;
    for (int32_t b = 0; b < dm[ATTN_DIM_B]; b++)
        for (int32_t h = 0; h < dm[ATTN_DIM_H]; h++)
            for (int32_t q0 = 0; q0 < dm[ATTN_DIM_Q]; q0 += block) {
                int32_t q1 = q0 + block < dm[ATTN_DIM_Q] ? q0 + block : dm[ATTN_DIM_Q];
                attn_kv_range kr[ATTN_MAX_KV_RANGES];
                int32_t n = kv_ranges(b, h, q0, q1, ctx, kr);
                for (int32_t i = 0; i < n && i < ATTN_MAX_KV_RANGES; i++) {
                    int32_t lo = kr[i].lo < 0 ? 0 : kr[i].lo;
                    int32_t hi = kr[i].hi > dm[ATTN_DIM_KV] ? dm[ATTN_DIM_KV] : kr[i].hi;
                    pairs += hi > lo ? (double)(hi - lo) * (q1 - q0) : 0;
                }
            }
    return pairs;
}

/* Query-key pairs in the key blocks of the BlockMask a launch builds for a
 * variant whose analysis is dense (query blocks of block_q rows, 64-key
 * blocks: rt_block_mask_for_launch on the CPU, rt_gpu_block_mask_for_launch
 * on a GPU); -1 with a message when it cannot be built. */
static double run_attn_bm_pairs(const AttnRun *r, const attn_variant *var, int32_t block_q,
                                const attn_ctx *ctx)
{
    const attn_block_mask_opts o = {.block_q = block_q, .block_kv = 64,
                                    .independent_of_b = var->mask_independent_of_b,
                                    .independent_of_h = var->mask_independent_of_h,
                                    .kv_ranges = var->kv_ranges};
    attn_block_mask *m;
    if (attn_block_mask_build_ctx(var->mask_fn, ctx, &o, &m) != ATTN_OK) {
        run_error("--bench: block mask: %s", attn_last_error());
        return -1;
    }
    const attn_block_mask_view v = attn_block_mask_view_of(m);
    const int32_t *dm = r->dims;
    double pairs = 0;
    for (int32_t b = 0; b < dm[ATTN_DIM_B]; b++)
        for (int32_t h = 0; h < dm[ATTN_DIM_H]; h++)
            for (int32_t qb = 0; qb < m->nqb; qb++) {
                const int64_t row = b * v.row_stride_b + h * v.row_stride_h + qb;
                const int32_t rows = dm[ATTN_DIM_Q] - qb * block_q < block_q
                                         ? dm[ATTN_DIM_Q] - qb * block_q : block_q;
                const int32_t n[2] = {v.kv_num_blocks[row], v.full_kv_num_blocks[row]};
                const int32_t *idx[2] = {v.kv_indices + row * v.nkvb, v.full_kv_indices + row * v.nkvb};
                for (int p = 0; p < 2; p++)
                    for (int32_t i = 0; i < n[p]; i++) {
                        const int32_t lo = idx[p][i] * v.block_kv;
                        const int32_t keys = dm[ATTN_DIM_KV] - lo < v.block_kv ? dm[ATTN_DIM_KV] - lo
                                                                               : v.block_kv;
                        pairs += (double)rows * keys;
                    }
            }
    attn_block_mask_free(m);
    return pairs;
}

/* --bench N: N more launches; median time and achieved TFLOP/s (on the
 * emulator only the time, which says nothing about a GPU). */
static int run_attn_bench(const AttnRun *r, const AttnTarget *t, AttnResult *res, const attn_ctx *ctx)
{
    int n = r->o->bench_iters;
    double median;
    if (run_attn_target_time(t, r, &res->out->t, &res->lse->t, n, &median))
        return 1;
    if (t->device == RUN_DEVICE_EMU) {
        printf("bench: median %.3f ms over %d runs on the SIMT emulator (CPU time of the emulated "
               "kernel; not a measure of GPU performance)\n", 1e3 * median, n);
        return 0;
    }
    const int32_t *dm = r->dims;
    const attn_variant *var = &t->host.var;
    const int32_t block_q = t->device == RUN_DEVICE_CUDA
                                ? ATTN_GPU_BLOCK_Q(dm[ATTN_DIM_D], dm[ATTN_DIM_DV])
                                : ATTN_CPU_BLOCK_Q;
    double pairs = var->needs_block_mask && var->mask_fn
                       ? run_attn_bm_pairs(r, var, block_q, ctx)
                       : run_attn_visited_pairs(r, var->kv_ranges, block_q, ctx);
    if (pairs < 0)
        return 1;
    double all = (double)dm[ATTN_DIM_B] * dm[ATTN_DIM_H] * dm[ATTN_DIM_Q] * dm[ATTN_DIM_KV];
    double flops = 2.0 * pairs * (dm[ATTN_DIM_D] + dm[ATTN_DIM_DV]);
    printf("bench: median %.3f ms over %d runs%s, %.3f TFLOP/s (4*B*H*Q*KV*D convention over the "
           "visited key blocks: %.1f%% of all query-key pairs)\n",
           1e3 * median, n, t->device == RUN_DEVICE_CUDA ? " (kernel time, CUDA events)" : "",
           median > 0 ? flops / median * 1e-12 : 0.0, all > 0 ? 100.0 * pairs / all : 0.0);
    return 0;
}

/* The reference interpreter on r's inputs (checked mode under --checked),
 * compared with the launch's results under --check. */
static int run_attn_reference(const AttnRun *r, const attn_ctx *ctx, const AttnResult *res)
{
    attn_tensor_arg q = run_tensor_arg(&r->q->t), k = run_tensor_arg(&r->k->t), v = run_tensor_arg(&r->v->t);
    int64_t nout = run_elems(res->out), nlse = run_elems(res->lse);
    double *out = malloc(((size_t)nout + 1) * sizeof *out), *lse = malloc(((size_t)nlse + 1) * sizeof *lse);
    InterpOptions opts = {.checked = r->o->checked};
    char err[512];
    int status = !out || !lse ? run_error("out of memory for the reference")
                 : !interp_attention_opts(r->d, ctx, &q, &k, &v, out, lse, &opts, err, sizeof err)
                     ? run_error("reference%s: %s", r->o->checked ? " (--checked)" : "", err)
                     : 0;
    if (!status && r->o->check) {
        double tol = run_attn_tolerance(r->dtype);
        bool ok = run_compare("out", res->out32->t.data, out, nout, tol);
        ok = run_compare("lse", res->lse->t.data, lse, nlse, tol) && ok;
        status = ok ? 0 : run_error("variant '%s' differs from the reference interpreter", r->d->name);
    }
    free(out);
    free(lse);
    return status;
}

static void run_attn_summary(const AttnRun *r, double seconds)
{
    static const char *const dtypes[3] = {"f32", "f16", "bf16"};
    const int32_t *dm = r->dims;
    printf("attention %s: B=%d H=%d HKV=%d Q=%d KV=%d D=%d DV=%d %s, %s, %.3f ms (seed %llu%s)\n",
           r->d->name, dm[0], dm[1], dm[2], dm[3], dm[4], dm[5], dm[6], dtypes[r->dtype],
           run_device_name(r->o->device), 1e3 * seconds,
           (unsigned long long)r->o->seed, r->o->inputs_dir ? ", q/k/v from --inputs" : "");
}

/* Compiles, launches, and does what the options ask with the results. */
static int run_attn_execute(Compilation *c, Decl *attn, AttnRun *r, AttnResult *res)
{
    AttnTarget target;
    if (run_attn_target_open(&c->arena, attn, r, &target))
        return 1;
    attn_param *slots = calloc((size_t)attn->nparams + 1, sizeof *slots);
    int32_t **segs = calloc((size_t)attn->nparams + 1, sizeof *segs);
    double seconds = 0;
    int status = !slots || !segs ? run_error("out of memory") : run_attn_launch(r, &target, res, &seconds);
    attn_ctx ctx = {.params = slots};
    memcpy(ctx.dims, r->dims, sizeof ctx.dims);
    if (!status) {
        run_interp_slots(attn, r->args, r->nargs, slots, segs);
        run_to_f32(res->out->t.data, run_elems(res->out), r->dtype, res->out32->t.data);
        run_attn_summary(r, seconds);
    }
    if (!status && (r->o->check || r->o->checked))
        status = run_attn_reference(r, &ctx, res);
    if (!status && r->o->bench_iters > 0)
        status = run_attn_bench(r, &target, res, &ctx);
    if (!status && r->o->out_dir)
        status = run_write_npy(r->o->out_dir, "out", &res->out32->t) ||
                 run_write_npy(r->o->out_dir, "lse", &res->lse->t);
    if (segs)
        run_interp_slots_free(attn, segs);
    free(segs);
    free(slots);
    run_attn_target_close(&target);
    return status;
}

int run_attention(Compilation *c, Decl *attn, const RunOptions *o)
{
    AttnRun r = {.d = attn, .o = o};
    AttnResult res = {0};
    if (run_attn_device_dtype(o, &r.dtype))
        return 1;
    int status = run_attn_inputs(&r);
    status = status ? status : run_attn_device_dims(&r);
    status = status ? status : run_attn_alloc(&r, &res);
    status = status ? status : run_attn_execute(c, attn, &r, &res);
    run_attn_result_free(&res);
    run_attn_inputs_free(&r);
    return status;
}
