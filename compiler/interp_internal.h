/* interp_internal.h - helpers shared by the reference interpreter's files
 * (interp_eval.c, interp_ops.c, interp_data.c, interp_attention.c,
 * interp_scan.c). Not part of the public API in interp.h. */
#ifndef ATTN_INTERP_INTERNAL_H
#define ATTN_INTERP_INTERNAL_H

#include "interp.h"

/* Records "FILE:LINE:COL: MESSAGE" (the location of `at` in the current
 * frame's module) as env's error, unless one is already recorded; returns
 * false so callers can `return interp_fail(...)`. */
bool interp_fail(InterpEnv *env, Span at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same without a source location. */
bool interp_fail_plain(InterpEnv *env, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends ", at b=.., h=.., q=.., kv=.." (attention) or ", at t=.., i=.."
 * (scan: t and the index names) describing the current point. */
void interp_where(const InterpEnv *env, char *buf, size_t len);

static inline InterpValue interp_bool(bool b)
{
    InterpValue v = {.tag = INTERP_BOOL};
    v.u.b = b;
    return v;
}
static inline InterpValue interp_i32(int32_t i)
{
    InterpValue v = {.tag = INTERP_I32};
    v.u.i = i;
    return v;
}
static inline InterpValue interp_f32(double f)
{
    InterpValue v = {.tag = INTERP_F32};
    v.u.f = f;
    return v;
}
/* Wraps an int64 to i32 (two's complement). */
static inline int32_t interp_wrap(int64_t x) { return (int32_t)(uint32_t)(uint64_t)x; }

/* Scalar views of a value: bool and i32 widen to double; f32 to i32 only
 * through interp_f2i (truncation, saturating, NaN -> 0). */
double interp_as_f(InterpValue v);
int32_t interp_as_i(InterpValue v);
bool interp_truthy(InterpValue v);
int32_t interp_f2i(double x);

/* interp_ops.c: operators and builtins on evaluated operands. `e` is the
 * operator's expression (for its op and error location). */
bool interp_unary(InterpEnv *env, const Expr *e, InterpValue a, InterpValue *out);
bool interp_binary(InterpEnv *env, const Expr *e, InterpValue a, InterpValue b, InterpValue *out);
bool interp_builtin(InterpEnv *env, const Expr *e, Builtin bi, const InterpValue *args, int n,
                    InterpValue *out);

/* interp_data.c: dimension values, tensor reads and packs. */
/* Value of dimension `id` of env->top (ctx->dims), or of the dimension named
 * `name` as seen from the current frame. Returns false on an unknown name. */
bool interp_dim(InterpEnv *env, const Expr *at, int id, const char *name, int32_t *out);
/* Evaluates EX_INDEX `e` whose base evaluated to `t` and whose indices are
 * idx[0..e->nargs): bounds per e->bounds (clamp / checked / zero fill). */
bool interp_read_index(InterpEnv *env, const Expr *e, const attn_tensor_arg *t,
                       const int32_t *idx, InterpValue *out);
/* Reads element `idx` (in range) of t, widened: f16/bf16 exactly to double. */
InterpValue interp_tensor_elem(const attn_tensor_arg *t, const int64_t *idx);
/* Segment of position i (0 <= i < p->length) by binary search over offsets. */
int32_t interp_pack_seg(const attn_pack_arg *p, int32_t i);
/* Checks that p holds well-formed offsets; names it `name` in the error. */
bool interp_pack_valid(InterpEnv *env, const attn_pack_arg *p, const char *name);
/* Evaluates pack member `m` of p on arguments args[0..n). */
bool interp_pack_member(InterpEnv *env, const Expr *e, const attn_pack_arg *p, PackMember m,
                        const InterpValue *args, int n, InterpValue *out);

/* Validates every parameter slot of env->top: tensor ranks, dtypes, data and
 * shapes against the declared dimensions, pack offsets, and the launch-time
 * preconditions of Decl.facts. */
bool interp_check_params(InterpEnv *env);

#endif
