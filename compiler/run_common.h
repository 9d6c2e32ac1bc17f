/* run_common.h - helpers shared by the `attnc run` paths (run_attention*.c,
 * run_scan.c) and by header emission (cg_header.c): messages, option lookup,
 * the deterministic random generator, value parsing, npy output, timing,
 * the reference interpreter's parameter slots and result comparison. */
#ifndef ATTN_RUN_COMMON_H
#define ATTN_RUN_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "ast.h"
#include "attn.h"
#include "run.h"

/* Prints "attnc: error: MESSAGE" on stderr; returns 1 (the exit status). */
int run_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The value of the last NAME=VALUE binding called `name` in v[0..n), or NULL. */
const char *run_binding(const RunBinding *v, int n, const char *name);

/* Every --set/--tensor/--pack of o must name a parameter of d of that
 * kind; 0, or 1 after an error naming the option. */
int run_check_bindings(const Decl *d, const RunOptions *o);

/* The random generator of `attnc run` (documented in README.md): a 64-bit
 * LCG (Knuth's MMIX constants) whose top 24 bits give a uniform float in
 * [0, 1); normals come from Box-Muller over two uniforms. The stream for
 * --seed N starts at state N * 0x9E3779B97F4A7C15 + 1. */
uint64_t run_rng_seed(uint64_t seed);
float run_uniform(uint64_t *state);
float run_normal(uint64_t *state);

/* Parses `text` as the value of scalar parameter `p` (bool: true/false/0/1;
 * i32: a decimal integer in range; f32: a finite or infinite float) into
 * *out as the parameter's attn_arg for parameter number `index`. Prints an
 * error naming the parameter and returns false on bad text. */
bool run_parse_scalar(const Param *p, int32_t index, const char *text, attn_arg *out);

/* Pack `name` as int32 offsets into *out: from `value` = FILE.npy (1-D
 * int32, at least 2 entries) or L1,L2,... (positive segment lengths), or
 * one segment [0, length) when value is NULL. The runtime validates the
 * offsets against the axis. 0, or 1 after an error naming the pack. */
int run_pack(const char *name, const char *value, int32_t length, attn_npy **out);

/* Tensor parameter `p` from --tensor NAME=FILE or DIR/NAME.npy under
 * --inputs, into *out (left NULL when neither is given). Binds dims[id] for
 * each axis declared with a dimension id >= first_free that is not yet
 * bound (bound[id]). 0, or 1 after an error naming the parameter. */
int run_read_param_tensor(const RunOptions *o, const Param *p, int first_free, int32_t *dims,
                          bool *bound, attn_npy **out);

/* The attn_dtype of a DLPack dtype (uint16 counts as bf16 bits, uint8 as bool). */
int32_t run_attn_dtype(DLDataType t);
/* Element conversions between f32 and a float attn_dtype (f16 and bf16
 * round to nearest even). */
void run_from_f32(const float *src, int64_t n, int32_t dtype, void *dst);
void run_to_f32(const void *src, int64_t n, int32_t dtype, float *dst);

/* Describes a compact CPU DLTensor to the reference interpreter. */
attn_tensor_arg run_tensor_arg(const DLTensor *t);

/* Parameter slots for the reference interpreter from the launch arguments
 * args[0..nargs) of declaration d, defaults filled for omitted scalars.
 * Pack segment tables are malloc'ed into segs[param]; free with
 * run_interp_slots_free. */
void run_interp_slots(const Decl *d, const attn_arg *args, int32_t nargs, attn_param *slots,
                      int32_t **segs);
void run_interp_slots_free(const Decl *d, int32_t **segs);

/* Compares n compiled values with the reference: prints
 * "check NAME: max abs error A, max rel error R (tolerance T): ok|MISMATCH"
 * where the relative error is |c - r| / max(1, |r|); infinities must agree
 * exactly (lse of masked rows), and NaN agrees only with NaN (a variant
 * whose scores are NaN). Returns whether R <= tol. */
bool run_compare(const char *name, const float *compiled, const double *ref, int64_t n,
                 double tol);

/* Writes t as DIR/NAME.npy (creating DIR if needed); 0, or 1 after an error. */
int run_write_npy(const char *dir, const char *name, const DLTensor *t);

/* Seconds on a monotonic clock. */
double run_now(void);
/* Sorts times[0..n) and returns the median (n > 0). */
double run_median(double *times, int n);

#endif
