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

/* VARIANT.PARAM=VALUE strings argv[0..argc) into settings[]; false (and a
 * message on stderr) on a malformed one. */
bool gpu_case_parse_settings(Arena *a, int argc, char **argv, GpuSetting *settings);

/* Compiles `path` (front end) and appends its attention declarations to
 * *out; false after errors (reported by c) or when it has none. */
bool gpu_case_attentions(Compilation *c, const char *path, PtrVec *out);

/* s adapted to attention d: KV = Q when d has a pack (packs split the one
 * sequence axis); Q at most KV when it has a tensor parameter over KV
 * (masks such as doc[q] == doc[kv] read it at q). */
GpuShape gpu_case_fit(const Decl *d, const GpuShape *s);
/* "NAME DTYPE B=.. H=.. HKV=.. Q=.. KV=.. D=.. DV=.." (in `a`), naming a case. */
const char *gpu_case_what(Arena *a, const Decl *d, const GpuShape *s);

/* Builds a problem for attention `d` with shape s (Q == KV when it has a
 * pack), scalars from settings or their literal defaults, tensors and packs
 * drawn from `seed`, and runs the interpreter. Memory from `arena`. false +
 * message on stderr when a parameter has no value or the interpreter fails. */
bool gpu_case_build(Arena *arena, const Decl *d, const GpuShape *s, const GpuSetting *settings,
                    int nsettings, uint32_t seed, GpuCase *out);

/* Compares a kernel's out (compact [B, H, Q, DV] in the case's dtype) and
 * lse with the reference: |out - ref| <= 4e-3 (f16) or 2e-2 (bf16) times
 * (1 + |ref|), |lse - ref| <= 1e-3 (1 + |ref|), -inf rows exactly. Prints
 * "FAIL WHAT: ..." for the first misfit. */
bool gpu_case_compare(const char *what, const GpuCase *c, const uint16_t *out, const float *lse);

/* Element conversions of the case's dtype. */
uint16_t gpu_case_to_half(int dtype, float f);
float gpu_case_from_half(int dtype, uint16_t h);

#endif
