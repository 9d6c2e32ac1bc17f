/* run_attention_device.c - an attention variant compiled and launched for
 * `attnc run --device cpu|emu|cuda` (run_attention.h):
 *   cpu   the host JIT of the CPU template, attn_forward;
 *   emu   the GPU template JIT-compiled for the SIMT emulator (attn_emu is
 *         linked into attnc with its symbols exported), attn_forward_gpu on
 *         ATTN_GPU_EMU;
 *   cuda  PTX from cg_gpu_ptx for the device's compute capability (sm_90a
 *         on 9.0, sm_80 elsewhere) and the host JIT for the descriptor's
 *         hooks, attn_forward_gpu on ATTN_GPU_CUDA. */
#include <stdlib.h>
#include <string.h>

#include "attn_cuda.h"
#include "run_attention.h"
#include "run_common.h"
#include "run_gpu.h"

const char *run_device_name(RunDevice d)
{
    return d == RUN_DEVICE_CUDA ? "cuda" : d == RUN_DEVICE_EMU ? "emu" : "cpu";
}

int run_attn_device_dtype(const RunOptions *o, int32_t *dtype)
{
    if (o->dtype < ATTN_F32 || o->dtype > ATTN_BF16)
        return run_error("--dtype: attention inputs are f32, f16 or bf16");
    *dtype = o->dtype;
    if (o->device == RUN_DEVICE_CPU)
        return 0;
    if (!o->have_dtype)
        *dtype = ATTN_BF16;
    else if (o->dtype == ATTN_F32)
        return run_error("--device %s: the GPU kernels take f16 or bf16 inputs, not f32 (use --dtype "
                         "bf16 or f16)", run_device_name(o->device));
    return 0;
}

int run_attn_device_dims(const AttnRun *r)
{
    char have[512];
    int32_t d = r->dims[ATTN_DIM_D], dv = r->dims[ATTN_DIM_DV];
    if (r->o->device == RUN_DEVICE_CPU || run_gpu_has_spec(r->dtype, d, dv, have, sizeof have))
        return 0;
    return run_error("--device %s: no GPU kernel for %s with D = %d, DV = %d; available (D, DV): %s",
                     run_device_name(r->o->device), r->dtype == ATTN_F16 ? "f16" : "bf16", (int)d,
                     (int)dv, have[0] ? have : "none");
}

/* cuda: the PTX of d for the current device into t->gv (hooks from t->host). */
static int run_attn_cuda_open(Arena *arena, Decl *d, AttnTarget *t, char *err)
{
    attn_cuda_info info;
    if (attn_cuda_device_info(&info) != ATTN_OK)
        return run_error("--device cuda: %s", attn_last_error());
    bool hopper = info.cc_major == 9 && info.cc_minor == 0;
    t->gv.var = &t->host.var;
    if (!run_gpu_kernels(arena, d, NULL, &t->gv, err))
        return run_error("%s", err);
    const char *ptx = cg_gpu_ptx(arena, &d, 1, hopper ? CG_TARGET_SM90A : CG_TARGET_SM80, err);
    if (!ptx)
        return run_error("%s", err);
    t->gv.ptx[hopper ? ATTN_GPU_PTX_SM90A : ATTN_GPU_PTX_SM80] = ptx;
    t->gv.memo = arena_alloc(arena, sizeof *t->gv.memo); /* lives as long as ptx */
    return 0;
}

int run_attn_target_open(Arena *arena, Decl *d, const AttnRun *r, AttnTarget *t)
{
    char err[CG_ERR_LEN];
    memset(t, 0, sizeof *t);
    t->device = r->o->device;
    int status = 0;
    if (t->device == RUN_DEVICE_EMU) {
        t->emu = cg_jit_create(arena, &d, 1, CG_TEMPLATE_GPU_EMU, err);
        if (!t->emu || !run_gpu_variant_build(arena, d, t->emu, &t->emu_var, &t->gv, err))
            status = run_error("%s", err);
    } else if (t->device == RUN_DEVICE_CUDA && attn_cuda_init() != ATTN_OK) {
        status = run_error("--device cuda: %s", attn_last_error()); /* before compiling anything */
    } else if (!run_attn_program(arena, d, &t->host, err)) {
        status = run_error("%s", err);
    } else if (t->device == RUN_DEVICE_CUDA) {
        status = run_attn_cuda_open(arena, d, t, err);
    }
    if (status)
        run_attn_target_close(t);
    return status;
}

attn_status run_attn_target_launch(const AttnTarget *t, const AttnRun *r, DLTensor *out, DLTensor *lse)
{
    if (t->device == RUN_DEVICE_CPU)
        return attn_forward(&t->host.var, &r->q->t, &r->k->t, &r->v->t, out, lse, r->args, r->nargs, NULL);
    return attn_forward_gpu(&t->gv, t->device == RUN_DEVICE_EMU ? ATTN_GPU_EMU : ATTN_GPU_CUDA, &r->q->t,
                            &r->k->t, &r->v->t, out, lse, r->args, r->nargs, NULL);
}

int run_attn_target_time(const AttnTarget *t, const AttnRun *r, DLTensor *out, DLTensor *lse, int n,
                         double *seconds)
{
    if (t->device == RUN_DEVICE_CUDA) {
        float ms = 0;
        if (attn_time_gpu(&t->gv, &r->q->t, &r->k->t, &r->v->t, out, lse, r->args, r->nargs, NULL, 1, n,
                          &ms) != ATTN_OK)
            return run_error("variant '%s': %s", r->d->name, attn_last_error());
        *seconds = 1e-3 * ms;
        return 0;
    }
    double *times = calloc((size_t)n, sizeof *times);
    if (!times)
        return run_error("out of memory");
    for (int i = 0; i < n; i++) {
        double t0 = run_now();
        attn_status s = run_attn_target_launch(t, r, out, lse);
        times[i] = run_now() - t0;
        if (s != ATTN_OK) {
            free(times);
            return run_error("variant '%s': %s", r->d->name, attn_last_error());
        }
    }
    *seconds = run_median(times, n);
    free(times);
    return 0;
}

void run_attn_target_close(AttnTarget *t)
{
    run_attn_program_free(&t->host);
    cg_jit_free(t->emu);
    t->emu = NULL;
}
