/* gpu_launch.c - GpuCases through attn_forward_gpu (gpu_launch.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attn_cuda.h"
#include "gpu_launch.h"

static DLDataType gpu_launch_dl(int32_t dtype)
{
    switch (dtype) {
    case ATTN_F16: return (DLDataType){kDLFloat, 16, 1};
    case ATTN_BF16: return (DLDataType){kDLBfloat, 16, 1};
    case ATTN_I32: return (DLDataType){kDLInt, 32, 1};
    case ATTN_BOOL: return (DLDataType){kDLBool, 8, 1};
    default: return (DLDataType){kDLFloat, 32, 1};
    }
}

DLTensor gpu_launch_tensor(void *data, int32_t dtype, int32_t ndim, const int64_t *dims,
                           int64_t *shape)
{
    memcpy(shape, dims, (size_t)ndim * sizeof *shape);
    return (DLTensor){.data = data, .device = {kDLCPU, 0}, .ndim = ndim,
                      .dtype = gpu_launch_dl(dtype), .shape = shape};
}

int32_t gpu_launch_args(Arena *arena, const attn_variant *var, const GpuCase *c, attn_arg **args)
{
    attn_arg *a = arena_alloc(arena, (size_t)(var->nparams + 1) * sizeof *a);
    for (int32_t i = 0; i < var->nparams; i++) {
        const attn_param *slot = &c->params[i];
        DLTensor *t = arena_alloc(arena, sizeof *t);
        int64_t *shape = arena_alloc(arena, ATTN_MAX_RANK * sizeof *shape);
        switch (var->params[i].kind) {
        case ATTN_PARAM_BOOL: a[i] = attn_arg_bool(i, slot->u.i); break;
        case ATTN_PARAM_I32: a[i] = attn_arg_i32(i, slot->u.i); break;
        case ATTN_PARAM_F32: a[i] = attn_arg_f32(i, slot->u.f); break;
        case ATTN_PARAM_TENSOR: /* gpu_case's tensors are compact */
            *t = gpu_launch_tensor((void *)slot->u.t.data, slot->u.t.dtype, slot->u.t.ndim,
                                   slot->u.t.shape, shape);
            a[i] = attn_arg_tensor(i, t);
            break;
        case ATTN_PARAM_PACK: {
            const int64_t n = slot->u.p.nseg + 1;
            *t = gpu_launch_tensor((void *)slot->u.p.offsets, ATTN_I32, 1, &n, shape);
            a[i] = attn_arg_pack(i, t);
            break;
        }
        }
    }
    *args = a;
    return var->nparams;
}

/* The bytes of a compact tensor t. */
static size_t gpu_launch_bytes(const DLTensor *t)
{
    size_t n = ((size_t)t->dtype.bits * t->dtype.lanes + 7) / 8;
    for (int32_t i = 0; i < t->ndim; i++)
        n *= (size_t)t->shape[i];
    return n;
}

/* Sets the CUDA tensor arguments dp[i] (NULL: not a tensor) to zeros, or
 * (restore) back to the host tensors of args. */
static attn_status gpu_launch_tensor_args(attn_cuda_tensor *const *dp, const attn_arg *args,
                                          int32_t nargs, bool restore)
{
    attn_status s = ATTN_OK;
    for (int32_t i = 0; i < nargs && s == ATTN_OK; i++)
        if (dp[i]) {
            const size_t bytes = gpu_launch_bytes(&dp[i]->t);
            s = restore ? attn_cuda_memcpy_htod(dp[i]->t.data, args[i].u.tensor->data, bytes)
                        : attn_cuda_memset(dp[i]->t.data, 0, bytes);
        }
    return s;
}

/* A plan (attn_gpu_plan_*) of the same launch on the device tensors d,
 * made while the CUDA tensor arguments dp hold zeros (dargs: their views;
 * args: the host tensors), launched into a zeroed out after their contents
 * are restored: its out must equal `want` (the bytes attn_forward_gpu
 * wrote), bit for bit. A plan that kept what its mask read at creation
 * (document ids, in a BlockMask) would differ. */
static attn_status gpu_launch_plan_agrees(const attn_gpu_variant *gv, attn_cuda_tensor *const d[5],
                                          attn_cuda_tensor *const *dp, const attn_arg *dargs,
                                          const attn_arg *args, int32_t nargs, const DLTensor *want)
{
    size_t bytes = (size_t)(want->shape[0] * want->shape[1] * want->shape[2] * want->shape[3] * 2);
    attn_gpu_plan *plan = NULL;
    attn_status s = gpu_launch_tensor_args(dp, args, nargs, false);
    if (s == ATTN_OK)
        s = attn_gpu_plan_create(gv, &d[0]->t, &d[1]->t, &d[2]->t, &d[3]->t, &d[4]->t, dargs,
                                 nargs, NULL, &plan);
    if (s == ATTN_OK)
        s = gpu_launch_tensor_args(dp, args, nargs, true);
    if (s == ATTN_OK)
        s = attn_cuda_memset(d[3]->t.data, 0, bytes);
    if (s == ATTN_OK)
        s = attn_gpu_plan_launch(plan, &d[0]->t, &d[1]->t, &d[2]->t, &d[3]->t, &d[4]->t, NULL);
    attn_gpu_plan_free(plan);
    uint16_t *got = malloc(bytes);
    if (s == ATTN_OK && !got)
        s = ATTN_ERR_NO_MEMORY;
    if (s == ATTN_OK)
        s = attn_cuda_memcpy_dtoh(got, d[3]->t.data, bytes);
    if (s == ATTN_OK && memcmp(got, want->data, bytes) != 0) {
        printf("     the plan's launch differs from attn_forward_gpu's\n");
        s = ATTN_ERR_INVALID_ARG;
    }
    free(got);
    return s;
}

/* attn_forward_gpu on device copies of the five tensors and of the tensor
 * arguments (CUDA; packs stay on the CPU), results copied back into out and
 * lse; then the same launch through a plan must give the same out, though
 * the tensor arguments held zeros when it was made. */
static attn_status gpu_launch_on_device(Arena *arena, const attn_gpu_variant *gv, DLTensor *const t[5],
                                        const attn_arg *args, int32_t nargs)
{
    attn_cuda_tensor *d[5] = {0};
    attn_cuda_tensor **dp = arena_alloc(arena, (size_t)(nargs + 1) * sizeof *dp);
    attn_arg *dargs = arena_alloc(arena, (size_t)(nargs + 1) * sizeof *dargs);
    attn_status s = ATTN_OK;
    for (int i = 0; i < 5 && s == ATTN_OK; i++)
        s = attn_cuda_tensor_upload(t[i], &d[i]);
    for (int32_t i = 0; i < nargs && s == ATTN_OK; i++) {
        dargs[i] = args[i];
        if (args[i].kind == ATTN_ARG_TENSOR && (s = attn_cuda_tensor_upload(args[i].u.tensor, &dp[i])) == ATTN_OK)
            dargs[i].u.tensor = &dp[i]->t;
    }
    if (s == ATTN_OK)
        s = attn_forward_gpu(gv, ATTN_GPU_CUDA, &d[0]->t, &d[1]->t, &d[2]->t, &d[3]->t, &d[4]->t,
                             dargs, nargs, NULL);
    for (int i = 3; i < 5 && s == ATTN_OK; i++)
        s = attn_cuda_tensor_download(&d[i]->t, t[i]);
    if (s == ATTN_OK)
        s = gpu_launch_plan_agrees(gv, d, dp, dargs, args, nargs, t[3]);
    for (int i = 0; i < 5; i++)
        attn_cuda_tensor_free(d[i]);
    for (int32_t i = 0; i < nargs; i++)
        attn_cuda_tensor_free(dp[i]);
    return s;
}

void gpu_launch_tensors(Arena *arena, const GpuCase *c, uint16_t **out, float **lse,
                               DLTensor t[5], int64_t shape[5][4])
{
    const GpuShape *s = &c->s;
    size_t rows = (size_t)s->B * s->H * s->Q;
    uint16_t *o_data = arena_alloc(arena, rows * s->DV * 2 + 16);
    *out = (uint16_t *)(((uintptr_t)o_data + 15) & ~(uintptr_t)15);
    *lse = arena_alloc(arena, rows * sizeof(float) + 4);
    t[0] = gpu_launch_tensor(c->q, s->dtype, 4, (int64_t[]){s->B, s->H, s->Q, s->D}, shape[0]);
    t[1] = gpu_launch_tensor(c->k, s->dtype, 4, (int64_t[]){s->B, s->HKV, s->KV, s->D}, shape[1]);
    t[2] = gpu_launch_tensor(c->v, s->dtype, 4, (int64_t[]){s->B, s->HKV, s->KV, s->DV}, shape[2]);
    t[3] = gpu_launch_tensor(*out, s->dtype, 4, (int64_t[]){s->B, s->H, s->Q, s->DV}, shape[3]);
    t[4] = gpu_launch_tensor(*lse, ATTN_F32, 3, (int64_t[]){s->B, s->H, s->Q}, shape[4]);
}

attn_status gpu_launch_run(Arena *arena, const attn_gpu_variant *gv, attn_gpu_device dev,
                           bool on_device, const GpuCase *c, const attn_launch_opts *opts,
                           uint16_t **out, float **lse)
{
    DLTensor t[5];
    int64_t shape[5][4];
    gpu_launch_tensors(arena, c, out, lse, t, shape);
    attn_arg *args;
    int32_t nargs = gpu_launch_args(arena, gv->var, c, &args);
    return on_device ? gpu_launch_on_device(arena, gv, (DLTensor *const[5]){&t[0], &t[1], &t[2], &t[3], &t[4]},
                                            args, nargs)
                     : attn_forward_gpu(gv, dev, &t[0], &t[1], &t[2], &t[3], &t[4], args, nargs, opts);
}

attn_status gpu_launch_run_cpu(Arena *arena, const attn_variant *var, const GpuCase *c,
                               const attn_launch_opts *opts, uint16_t **out, float **lse)
{
    DLTensor t[5];
    int64_t shape[5][4];
    gpu_launch_tensors(arena, c, out, lse, t, shape);
    attn_arg *args;
    int32_t nargs = gpu_launch_args(arena, var, c, &args);
    return attn_forward(var, &t[0], &t[1], &t[2], &t[3], &t[4], args, nargs, opts);
}

bool gpu_launch_check(Arena *arena, const attn_gpu_variant *gv, attn_gpu_device dev, bool on_device,
                      const GpuCase *c, const char *what)
{
    uint16_t *out;
    float *lse;
    attn_status st = gpu_launch_run(arena, gv, dev, on_device, c, NULL, &out, &lse);
    if (st != ATTN_OK) {
        printf("FAIL %s: %s: %s\n", what, attn_status_name(st), attn_last_error());
        return false;
    }
    if (!gpu_case_compare(what, c, out, lse))
        return false;
    printf("ok   %s\n", what);
    return true;
}
