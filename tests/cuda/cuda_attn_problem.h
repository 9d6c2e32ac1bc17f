/* cuda_attn_problem.h - one attention problem on the device for the GPU
 * template compiled with the test hooks (tests/emu/emu_hooks.c): random
 * inputs, host copies for a reference, device buffers, the launch args. */
#ifndef CUDA_ATTN_PROBLEM_H
#define CUDA_ATTN_PROBLEM_H

#include "attn_cuda.h"
#include "emu_hooks.h"

typedef struct cuda_attn_spec {
    int variant;          /* EMU_VARIANT_* */
    int B, H, HKV, S, D, DV; /* Q = KV = S; tensors [B, H or HKV, S, dim] */
    int bf16;             /* else f16 */
    int window;           /* EMU_VARIANT_WINDOW */
    float softcap;        /* EMU_VARIANT_SOFTCAP */
    const int *doc_lens;  /* EMU_VARIANT_DOCS: lengths summing to S */
    int ndocs;
    unsigned seed;
} cuda_attn_spec;

typedef struct cuda_attn_problem {
    cuda_attn_spec spec;
    uint16_t *q, *k, *v;         /* host inputs (f16 / bf16 bits) */
    int32_t *offsets, *seg_of;   /* host pack tables */
    attn_param params[4];        /* host view, as emu_hooks.c reads them */
    attn_ctx host_ctx;           /* dims + params, for the reference */
    void *dq, *dk, *dv, *dout, *dlse, *doffsets, *dseg_of, *dparams;
    attn_fwd_gpu_args args;      /* device pointers, ready to launch */
} cuda_attn_problem;

/* The EMU_VARIANT_* called `name` (none, causal, window, softcap, docs), or -1. */
int cuda_attn_variant(const char *name);
/* Builds the problem (host and device); *out owned by the caller. */
attn_status cuda_attn_problem_create(const cuda_attn_spec *spec, cuda_attn_problem **out);
void cuda_attn_problem_free(cuda_attn_problem *p);
/* An input/output element as f32. */
float cuda_attn_to_f32(const cuda_attn_problem *p, uint16_t e);
/* Reads a whole text file (NUL-terminated, caller frees); NULL on failure. */
char *cuda_attn_read_text(const char *path);
/* Exit code 77 (skip) with a note when `s` says CUDA is unavailable. */
int cuda_attn_skip_code(attn_status s);

#endif
