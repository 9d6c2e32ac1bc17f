/* run_attention.h - an attention declaration made runnable: its runtime
 * descriptor (attn_variant, attn.h) built from the Decl, and the variant
 * JIT-compiled for the host. Used by `attnc run` (run_attention.c) and, for
 * the descriptor data, by header emission (cg_header.c). */
#ifndef ATTN_RUN_ATTENTION_H
#define ATTN_RUN_ATTENTION_H

#include <stdbool.h>

#include "ast.h"
#include "attn.h"
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

#endif
