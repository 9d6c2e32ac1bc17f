/* run_scan.c - `attnc run` for a scan (run.h): inputs from --inputs DIR /
 * --tensor NAME=FILE.npy or random from --seed, dimensions from the given
 * tensors, --set DIM=VALUE or defaults (B = 1, the scanned axis 256, others
 * 8), packs from --pack (default: one segment), scalars from --set; runs
 * the JIT-compiled scan through attn_scan (--device cpu) or its GPU kernel
 * through attn_scan_gpu (--device emu: the SIMT emulator; --device cuda:
 * PTX for the device), writes NAME.npy per output into --out, compares with
 * interp_scan under --check, times under --bench N. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attn_cuda.h"
#include "interp.h"
#include "run_common.h"
#include "run_scan.h"

/* --check tolerance: |compiled - reference| <= RUN_SCAN_TOL * max(1, |reference|). */
#define RUN_SCAN_TOL 1e-3

typedef struct ScanRun {
    const Decl *d;
    const RunOptions *o;
    int32_t dims[ATTN_MAX_VARIANT_DIMS];
    bool dim_fixed[ATTN_MAX_VARIANT_DIMS];
    attn_npy **in;     /* per parameter: tensor or pack offsets */
    attn_arg *args;
    int32_t nargs;
    attn_npy **out;    /* per output */
} ScanRun;

static int run_dim_id(const Decl *d, const char *name)
{
    for (int i = 0; i < d->ndims; i++)
        if (strcmp(d->dims[i], name) == 0)
            return i;
    return -1;
}

/* A random tensor for parameter i: f32 uniform in [-1, 1] (tensors named
 * A*: [-1, -0.1], Mamba's A = -exp(A_log)), i32 in [0, 4), bool 0/1. */
static int run_random_tensor(ScanRun *r, int i, uint64_t *seed)
{
    const Param *p = r->d->params[i];
    const TypeRef *ty = p->type;
    int64_t shape[ATTN_MAX_RANK];
    for (int k = 0; k < ty->ndims; k++)
        shape[k] = ty->dims[k].dim_id >= 0 ? r->dims[ty->dims[k].dim_id] : ty->dims[k].value;
    DLDataType dt = ty->scalar == SK_I32    ? (DLDataType){kDLInt, 32, 1}
                    : ty->scalar == SK_BOOL ? (DLDataType){kDLBool, 8, 1}
                    : ty->scalar == SK_F32  ? (DLDataType){kDLFloat, 32, 1}
                                            : (DLDataType){0, 0, 0};
    if (!dt.bits)
        return run_error("%s: f16/bf16 inputs cannot be drawn at random; give %s with --tensor",
                         p->name, p->name);
    if (attn_npy_alloc(dt, ty->ndims, shape, &r->in[i]) != ATTN_OK)
        return run_error("%s: %s", p->name, attn_last_error());
    int64_t n = 1;
    for (int k = 0; k < ty->ndims; k++)
        n *= shape[k];
    void *data = r->in[i]->t.data;
    for (int64_t e = 0; e < n; e++) {
        float u = run_uniform(seed);
        if (ty->scalar == SK_I32)
            ((int32_t *)data)[e] = (int32_t)(u * 4.0f);
        else if (ty->scalar == SK_BOOL)
            ((uint8_t *)data)[e] = u < 0.5f;
        else
            ((float *)data)[e] = p->name[0] == 'A' ? -0.1f - 0.9f * u : 2.0f * u - 1.0f;
    }
    return 0;
}

/* Pack parameter i from --pack NAME=FILE.npy | L1,L2,... (default: one
 * segment over the scanned axis). Lengths fix the axis when nothing else did. */
static int run_load_pack(ScanRun *r, int i)
{
    const char *name = r->d->params[i]->name, *v = run_binding(r->o->packs, r->o->npacks, name);
    int axis = r->d->scan.axis_dim_id;
    if (run_pack(name, v, r->dims[axis], &r->in[i]))
        return 1;
    const DLTensor *t = &r->in[i]->t;
    if (v && !r->dim_fixed[axis]) {
        r->dims[axis] = ((const int32_t *)t->data)[t->shape[0] - 1];
        r->dim_fixed[axis] = true;
    }
    return 0;
}

/* Scalar parameter i from --set (or its default). */
static int run_scalar(ScanRun *r, int i)
{
    const Param *p = r->d->params[i];
    const char *v = run_binding(r->o->sets, r->o->nsets, p->name);
    if (!v)
        return p->init ? 0 : run_error("parameter '%s' has no default: give --set %s=VALUE", p->name, p->name);
    if (!run_parse_scalar(p, i, v, &r->args[r->nargs]))
        return 1;
    r->nargs++;
    return 0;
}

/* Dimensions: given tensors, then --set, then packs, then defaults. */
static int run_inputs(ScanRun *r)
{
    const Decl *d = r->d;
    for (int i = 0; i < d->nparams; i++)
        if (d->params[i]->type->kind == TY_TENSOR && run_read_param_tensor(r->o, d->params[i], 0, r->dims, r->dim_fixed, &r->in[i]))
            return 1;
    for (int s = 0; s < r->o->nsets; s++) {
        int id = run_dim_id(d, r->o->sets[s].name);
        if (id < 0 || r->dim_fixed[id])
            continue;
        char *end;
        long v = strtol(r->o->sets[s].value, &end, 10);
        if (end == r->o->sets[s].value || *end || v < 0 || v > INT32_MAX)
            return run_error("--set %s: '%s' is not a dimension size", r->o->sets[s].name,
                             r->o->sets[s].value);
        r->dims[id] = (int32_t)v;
        r->dim_fixed[id] = true;
    }
    for (int i = 0; i < d->nparams; i++)
        if (d->params[i]->type->kind == TY_PACK && run_binding(r->o->packs, r->o->npacks, d->params[i]->name) &&
            run_load_pack(r, i))
            return 1;
    for (int id = 0; id < d->ndims; id++)
        if (!r->dim_fixed[id])
            r->dims[id] = id == d->scan.axis_dim_id ? 256 : strcmp(d->dims[id], "B") == 0 ? 1 : 8;
    uint64_t seed = run_rng_seed(r->o->seed);
    for (int i = 0; i < d->nparams; i++) {
        const TypeRef *ty = d->params[i]->type;
        int bad = ty->kind == TY_TENSOR ? !r->in[i] && run_random_tensor(r, i, &seed)
                  : ty->kind == TY_PACK ? !r->in[i] && run_load_pack(r, i)
                                        : run_scalar(r, i);
        if (bad)
            return 1;
        if (ty->kind == TY_TENSOR)
            r->args[r->nargs++] = attn_arg_tensor(i, &r->in[i]->t);
        else if (ty->kind == TY_PACK)
            r->args[r->nargs++] = attn_arg_pack(i, &r->in[i]->t);
    }
    return 0;
}

static void run_print_dims(const ScanRun *r)
{
    printf("scan %s:", r->d->name);
    for (int id = 0; id < r->d->ndims; id++)
        printf(" %s=%d", r->d->dims[id], (int)r->dims[id]);
    printf(" (seed %llu)\n", (unsigned long long)r->o->seed);
}

/* One run of the scan on the chosen device. */
static attn_status run_launch_once(const ScanRun *r, const ScanProgram *prog, DLTensor *const *outs)
{
    if (r->o->device == RUN_DEVICE_CPU)
        return attn_scan(&prog->var, r->args, r->nargs, outs, r->d->noutputs, NULL);
    return attn_scan_gpu(&prog->gpu, r->o->device == RUN_DEVICE_EMU ? ATTN_GPU_EMU : ATTN_GPU_CUDA,
                         r->args, r->nargs, outs, r->d->noutputs, NULL);
}

/* Runs the scan; under --bench N also N timed runs (median printed). */
static int run_launch(ScanRun *r, const ScanProgram *prog)
{
    DLTensor *outs[ATTN_MAX_SCAN_OUTPUTS];
    for (int o = 0; o < r->d->noutputs; o++)
        outs[o] = &r->out[o]->t;
    int iters = r->o->bench_iters > 0 ? r->o->bench_iters : 0;
    double *times = calloc((size_t)iters + 1, sizeof *times);
    attn_status s = run_launch_once(r, prog, outs);
    for (int i = 0; s == ATTN_OK && i < iters; i++) {
        double t0 = run_now();
        s = run_launch_once(r, prog, outs);
        times[i] = run_now() - t0;
    }
    static const char *const what[] = {[RUN_DEVICE_CPU] = "", [RUN_DEVICE_EMU] = " (the SIMT emulator on "
                                       "this CPU)", [RUN_DEVICE_CUDA] = " (CUDA, with the transfers)"};
    if (s == ATTN_OK && iters)
        printf("bench: median %.3f ms over %d runs%s\n", 1e3 * run_median(times, iters), iters,
               what[r->o->device]);
    free(times);
    return s == ATTN_OK ? 0 : run_error("%s", attn_last_error());
}

/* --check: the reference interpreter on the same inputs. */
static int run_check(ScanRun *r)
{
    const Decl *d = r->d;
    attn_param *slots = calloc((size_t)d->nparams + 1, sizeof *slots);
    int32_t **segs = calloc((size_t)d->nparams + 1, sizeof *segs);
    double **ref = calloc((size_t)d->noutputs + 1, sizeof *ref);
    run_interp_slots(d, r->args, r->nargs, slots, segs);
    attn_ctx ctx = {.params = slots};
    memcpy(ctx.dims, r->dims, sizeof ctx.dims);
    for (int o = 0; o < d->noutputs; o++)
        ref[o] = malloc(((size_t)interp_scan_output_elems(d, &ctx, o) + 1) * sizeof **ref);
    char err[512];
    int status = interp_scan(d, &ctx, ref, err, sizeof err) ? 0 : run_error("reference: %s", err);
    for (int o = 0; !status && o < d->noutputs; o++)
        status |= !run_compare(d->outputs[o]->name, r->out[o]->t.data, ref[o],
                               interp_scan_output_elems(d, &ctx, o), RUN_SCAN_TOL);
    run_interp_slots_free(d, segs);
    for (int o = 0; o < d->noutputs; o++)
        free(ref[o]);
    free(segs);
    free(ref);
    free(slots);
    return status;
}

/* Allocates the outputs and writes them after the run (--out). */
static int run_outputs(ScanRun *r, bool write)
{
    for (int o = 0; o < r->d->noutputs; o++) {
        const Param *p = r->d->outputs[o];
        if (write) {
            if (run_write_npy(r->o->out_dir, p->name, &r->out[o]->t))
                return 1;
            continue;
        }
        int64_t shape[ATTN_MAX_RANK];
        for (int k = 0; k < p->type->ndims; k++)
            shape[k] = p->type->dims[k].dim_id >= 0 ? r->dims[p->type->dims[k].dim_id]
                                                    : p->type->dims[k].value;
        if (attn_npy_alloc((DLDataType){kDLFloat, 32, 1}, p->type->ndims, shape, &r->out[o]) != ATTN_OK)
            return run_error("%s: %s", p->name, attn_last_error());
    }
    return 0;
}

/* The program of the device: the host JIT (cpu), the emulated GPU kernel
 * (emu), or that and the PTX for the CUDA device's compute capability (cuda;
 * the driver is loaded first, so a machine without one says so at once). */
static int run_scan_open(Compilation *c, Decl *scan, const RunOptions *o, ScanProgram *prog)
{
    char err[CG_ERR_LEN];
    if (o->device == RUN_DEVICE_CPU)
        return run_scan_program(&c->arena, scan, prog, err) ? 0 : run_error("%s", err);
    CgTarget t = CG_TARGET_SM80;
    attn_cuda_info info;
    if (o->device == RUN_DEVICE_CUDA) {
        if (attn_cuda_init() != ATTN_OK || attn_cuda_device_info(&info) != ATTN_OK)
            return run_error("--device cuda: %s", attn_last_error());
        t = info.cc_major == 9 && info.cc_minor == 0 ? CG_TARGET_SM90A : CG_TARGET_SM80;
    }
    if (!run_scan_gpu_program(&c->arena, scan, o->device == RUN_DEVICE_CUDA ? &t : NULL, prog, err))
        return run_error("--device %s: %s", o->device == RUN_DEVICE_CUDA ? "cuda" : "emu", err);
    return 0;
}

int run_scan(Compilation *c, Decl *scan, const RunOptions *o)
{
    ScanRun r = {.d = scan, .o = o};
    r.in = calloc((size_t)scan->nparams + 1, sizeof *r.in);
    r.args = calloc((size_t)scan->nparams + 1, sizeof *r.args);
    r.out = calloc((size_t)scan->noutputs + 1, sizeof *r.out);
    ScanProgram prog = {0};
    int status = o->device == RUN_DEVICE_CUDA ? run_scan_open(c, scan, o, &prog) : 0;
    status = status ? status : run_inputs(&r);
    if (!status) {
        run_print_dims(&r);
        status = run_outputs(&r, false);
    }
    if (!status && !prog.jit)
        status = run_scan_open(c, scan, o, &prog);
    status = status ? status : run_launch(&r, &prog);
    status = status ? status : o->check ? run_check(&r) : 0;
    status = status ? status : o->out_dir ? run_outputs(&r, true) : 0;
    run_scan_program_free(&prog);
    for (int i = 0; i < scan->nparams; i++)
        attn_npy_free(r.in[i]);
    for (int i = 0; i < scan->noutputs; i++)
        attn_npy_free(r.out[i]);
    free(r.in);
    free(r.args);
    free(r.out);
    return status;
}
