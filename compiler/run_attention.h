/* run_attention.h - an attention declaration made runnable: its runtime
 * descriptor (attn_variant, attn.h) built from the Decl, and the variant
 * JIT-compiled for the host. Used by `attnc run` (run_attention.c) and, for
 * the descriptor data, by header emission (cg_header.c). */
#ifndef ATTN_RUN_ATTENTION_H
#define ATTN_RUN_ATTENTION_H

#include <stdbool.h>

#include "ast.h"
#include "attn.h"
#include "attn_gpu.h"
#include "cg.h"
#include "run.h"

/* Fills v from attention d (sema-checked without error): name, dimension
 * names, parameter descriptors (packs split KV, ATTN_DIM_KV), defaults and
 * preconditions. Entry points stay NULL. Memory from `arena`. */
void run_attn_describe(Arena *arena, const Decl *d, attn_variant *v);

typedef struct AttnProgram {
    CgJit *jit;
    attn_variant var;
} AttnProgram;

/* JIT-compiles d for the host and fills p (descriptor with entry points:
 * V_attn_fwd_cpu, V_attn_hook_scale, V_attn_hook_kv_ranges). False + err[CG_ERR_LEN]. */
bool run_attn_program(Arena *arena, Decl *d, AttnProgram *p, char *err);
void run_attn_program_free(AttnProgram *p);

/* One `attnc run` of an attention variant: the launch's dimensions (by
 * dim id: B H HKV Q KV D DV, then free dimensions), q/k/v and the
 * arguments of the declared parameters. */
typedef struct AttnRun {
    const Decl *d;
    const RunOptions *o;
    int32_t dtype; /* attn_dtype of q, k, v, out */
    int32_t dims[ATTN_MAX_VARIANT_DIMS];
    bool dim_bound[ATTN_MAX_VARIANT_DIMS];
    attn_npy *q, *k, *v;
    attn_npy **in; /* per parameter: its tensor or pack offsets, or NULL */
    attn_arg *args;
    int32_t nargs;
} AttnRun;

/* run_attention_inputs.c: q/k/v from --inputs DIR or random from --seed
 * under --shape/--kv-heads; tensor parameters from --tensor (or DIR/NAME.npy;
 * f32 ones otherwise random normal); packs from --pack (default: one
 * segment when Q == KV); scalars from --set or their defaults. Returns 0, or
 * 1 after an error naming the option, file, tensor or parameter. */
int run_attn_inputs(AttnRun *r);
void run_attn_inputs_free(AttnRun *r);

/* run_attention_device.c: the variant compiled for --device cpu, emu or cuda. */
typedef struct AttnTarget {
    RunDevice device;
    AttnProgram host;     /* cpu, cuda: the host JIT (descriptor, hooks, cpu kernel) */
    CgJit *emu;           /* emu: the emulated GPU kernels and their hooks */
    attn_variant emu_var; /* emu: the descriptor gv points to */
    attn_gpu_variant gv;  /* emu, cuda: the GPU kernels */
} AttnTarget;

/* The name of a device as --device spells it. */
const char *run_device_name(RunDevice d);
/* The dtype of q, k, v for --device: --dtype, else f32 on the cpu and bf16
 * on emu/cuda (the GPU template has no f32 kernels: --dtype f32 is refused
 * there). 0, or 1 after an error. */
int run_attn_device_dtype(const RunOptions *o, int32_t *dtype);
/* On emu/cuda: 1 after an error listing the available (D, DV) when the GPU
 * template has no specialisation for r's dtype and head dims; else 0. */
int run_attn_device_dims(const AttnRun *r);
/* Compiles attention d for r->o->device into *t: cpu: the host JIT; emu:
 * the emu JIT; cuda: the CUDA driver initialised first (without one:
 * "CUDA unavailable: ..."), then the host JIT for the hooks and the PTX for
 * the device's compute capability. 0, or 1 after an error (t is then
 * released). */
int run_attn_target_open(Arena *arena, Decl *d, const AttnRun *r, AttnTarget *t);
/* One launch of t on r's inputs into out and lse (attn_forward or
 * attn_forward_gpu; the runtime's status and error). */
attn_status run_attn_target_launch(const AttnTarget *t, const AttnRun *r, DLTensor *out, DLTensor *lse);
/* n launches: the median time in *seconds (wall time; on cuda the kernel's
 * time from CUDA events, attn_time_gpu). 0, or 1 after an error. */
int run_attn_target_time(const AttnTarget *t, const AttnRun *r, DLTensor *out, DLTensor *lse, int n,
                         double *seconds);
void run_attn_target_close(AttnTarget *t);

#endif
