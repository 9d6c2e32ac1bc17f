/* gpu_case.h - attention problems for the GPU differential tests: random
 * inputs and parameters for a variant, and the reference interpreter's
 * answer (tests/gpu). */
#ifndef GPU_CASE_H
#define GPU_CASE_H

#include <stdint.h>

#include "attn_abi.h"
#include "compiler.h"

typedef struct GpuShape {
    int dtype; /* ATTN_F16 or ATTN_BF16 */
    int B, H, HKV, Q, KV, D, DV;
} GpuShape;

/* One problem: compact [B, H|HKV, seq, dim] half-precision q, k, v, the
 * parameter slots and the reference out [B, H, Q, DV] and lse [B, H, Q]. */
typedef struct GpuCase {
    GpuShape s;
    attn_ctx ctx;
    attn_param *params;
    uint16_t *q, *k, *v;
    double *ref_out, *ref_lse;
} GpuCase;

/* A scalar parameter value given on the command line (`variant.name=value`). */
typedef struct GpuSetting {
    const char *variant, *name, *value;
} GpuSetting;

/* Builds a problem for attention `d` with shape s (Q == KV when it has a
 * pack), scalars from settings or their literal defaults, tensors and packs
 * drawn from `seed`, and runs the interpreter. Memory from `arena`. false +
 * message on stderr when a parameter has no value or the interpreter fails. */
bool gpu_case_build(Arena *arena, const Decl *d, const GpuShape *s, const GpuSetting *settings,
                    int nsettings, uint32_t seed, GpuCase *out);

/* Element conversions of the case's dtype. */
uint16_t gpu_case_to_half(int dtype, float f);
float gpu_case_from_half(int dtype, uint16_t h);

#endif
