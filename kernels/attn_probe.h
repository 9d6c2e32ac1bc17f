/* attn_probe.h - a test template that evaluates a variant's hooks at given
 * points, so tests can check generated code directly (tests/codegen). */
#ifndef ATTN_PROBE_H
#define ATTN_PROBE_H

#include "attn_abi.h"

typedef struct attn_probe_point {
    int32_t b, h, q, kv; /* in */
    float s;             /* in: the raw score given to attn_hook_score */
    float score;         /* out: attn_hook_score(s, b, h, q, kv) */
    int32_t mask;        /* out: attn_hook_mask(b, h, q, kv) */
} attn_probe_point;

typedef struct attn_probe_io {
    attn_probe_point *pts;
    int32_t npts;
    int32_t q0, q1;      /* in: the query block given to attn_hook_kv_ranges */
    int32_t nranges;     /* out */
    int32_t mask_cost;   /* out: attn_hook_mask_cost */
    attn_kv_range ranges[ATTN_MAX_KV_RANGES];
} attn_probe_io;

/* Evaluates the hooks at every point, the key ranges of [q0, q1) and
 * attn_hook_mask_cost.
 * On NVPTX a kernel: threads share the points, thread 0 does the ranges. */
void attn_probe(const attn_ctx *ctx, attn_probe_io *io);

#endif
