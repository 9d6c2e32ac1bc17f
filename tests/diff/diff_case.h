/* diff_case.h - random attention problems for the differential test
 * (tests/diff): shapes, dtype, q/k/v and the values of a variant's
 * parameters, all drawn from one seed, and the comparison of a compiled
 * result with the reference interpreter's. */
#ifndef DIFF_CASE_H
#define DIFF_CASE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ast.h"
#include "attn.h"

/* One problem for attention declaration `d`: dims by dim id (B H HKV Q KV
 * D DV, then free dimensions), q/k/v in `dtype` (random normals rounded to
 * it; the reference reads the same rounded values) and one launch argument
 * per given parameter (scalars with a default are sometimes omitted). */
typedef struct DiffCase {
    const Decl *d;
    int32_t dtype;
    int32_t dims[ATTN_MAX_VARIANT_DIMS];
    attn_npy *q, *k, *v;
    attn_npy **in; /* per parameter: its tensor or pack offsets, or NULL */
    attn_arg *args;
    int32_t nargs;
} DiffCase;

/* Draws a case for d from *rng: B in {1, 2}, H = 4, HKV in {1, 2, 4},
 * lengths in {1, 17, 127, 128, 129, 1000} (Q == KV when d has a pack;
 * Q <= KV when d has launch-time preconditions; at most `max_pairs`
 * query-key pairs over all heads), D in {16, 64, 80, 128}, DV sometimes
 * different, dtype f32/f16/bf16, and the parameters (diff_params.c).
 * False (message on stderr) when out of memory. */
bool diff_case_draw(const Decl *d, uint64_t *rng, double max_pairs, DiffCase *c);
void diff_case_free(DiffCase *c);

/* Prints the case's dtype, dims and parameter values on one line. */
void diff_case_print(FILE *f, const DiffCase *c);

/* diff_params.c: the launch argument of parameter i of c->d (a value in a
 * sensible range for its name and type, or a drawn tensor or pack); false
 * when omitted (a scalar with a default, sometimes) or out of memory
 * (*oom set). Tensors and pack offsets go to c->in[i]. */
bool diff_param_draw(DiffCase *c, int i, uint64_t *rng, attn_arg *arg, bool *oom);
/* Binds c's free dimensions (those only tensor parameters name) to sizes
 * in [1, 40]. */
void diff_free_dims_draw(DiffCase *c, uint64_t *rng);

/* The largest errors seen, per dtype, and counts of what was checked. */
typedef struct DiffStats {
    int cases[3], rejected, masked_rows;
    double out_err[3], lse_err[3];
} DiffStats;

/* diff_check.c: launches `var` (the JIT-compiled c->d) on c and runs the
 * reference interpreter on declaration `ref` (c->d itself, or a mutant with
 * the same parameters) with the same inputs. out must agree within
 * |c - r| / max(1, |r|) <= 1e-4 (f32), 1e-2 (f16), 3e-2 (bf16), lse within
 * |c - r| <= 1e-4 (f32 accumulation for every dtype), and rows the
 * reference fully masks must be out = 0, lse = -inf exactly. Both
 * rejecting the launch counts as agreement (stats->rejected). Updates
 * stats; false with the case and the worst difference printed on stderr
 * when they disagree. */
bool diff_check(const attn_variant *var, const DiffCase *c, const Decl *ref, DiffStats *stats);

#endif
