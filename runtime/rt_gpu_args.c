/* rt_gpu_args.c - the arguments of a GPU launch with tensors in device
 * memory, made bindable by rt_bind_args (rt_launch_gpu.h). */
#include <stdio.h>
#include <stdlib.h>

#include "rt_launch_gpu.h"

void rt_gpu_args_free(rt_gpu_args *v) {
    free(v->args);
    free(v->copies);
    free(v->on_device);
    *v = (rt_gpu_args){0};
}

DLTensor *rt_gpu_cpu_view(const DLTensor *t, DLTensor *copy) {
    if (!t || t->device.device_type != kDLCUDA)
        return (DLTensor *)t;
    *copy = *t;
    copy->device = (DLDevice){kDLCPU, 0};
    return copy;
}

attn_status rt_gpu_args_view(const attn_variant *var, attn_gpu_device dev, const attn_arg *args,
                             int32_t nargs, rt_gpu_args *v) {
    *v = (rt_gpu_args){0};
    int32_t n = nargs > 0 ? nargs : 0;
    v->on_device = calloc((size_t)(var->nparams > 0 ? var->nparams : 0) + 1, 1);
    if (args) { /* else args stays NULL: rt_bind_args reports nargs without args */
        v->args = calloc((size_t)n + 1, sizeof *v->args);
        v->copies = calloc((size_t)n + 1, sizeof *v->copies);
    }
    if (!v->on_device || (args && (!v->args || !v->copies)))
        return rt_fail(ATTN_ERR_NO_MEMORY, "out of memory for a launch's arguments");
    for (int32_t i = 0; args && i < n; i++) {
        const attn_arg *a = &args[i];
        v->args[i] = *a;
        if (a->kind != ATTN_ARG_TENSOR && a->kind != ATTN_ARG_PACK)
            continue;
        v->ntensors += a->kind == ATTN_ARG_TENSOR && a->u.tensor;
        DLTensor *view = rt_gpu_cpu_view(a->u.tensor, &v->copies[i]);
        if (view == a->u.tensor)
            continue;
        if (a->kind == ATTN_ARG_PACK)
            return rt_fail(ATTN_ERR_UNSUPPORTED, "pack argument %d: offsets are read on the host, "
                           "pass a CPU tensor", (int)a->param);
        if (dev != ATTN_GPU_CUDA)
            return rt_fail(ATTN_ERR_UNSUPPORTED, "the emulator takes CPU tensors, got a CUDA tensor");
        char what[160];
        snprintf(what, sizeof what, "argument '%s'", a->param >= 0 && a->param < var->nparams
                                                          ? var->params[a->param].name : "?");
        attn_status s = rt_cuda_check_tensor_device(a->u.tensor, what);
        if (s != ATTN_OK)
            return s;
        v->args[i].u.tensor = view;
        v->ncuda++;
        if (a->param >= 0 && a->param < var->nparams)
            v->on_device[a->param] = 1;
    }
    return ATTN_OK;
}
