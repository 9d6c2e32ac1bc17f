/* interp.h - the reference interpreter: a tree-walking evaluator of
 * sema-checked .attn declarations in double precision (ARCHITECTURE.md,
 * "Reference interpreter"). It shares nothing with the code generator but the
 * AST, so compiled-vs-reference differential tests are meaningful.
 *
 * Runtime values arrive exactly as generated kernels see them (attn_abi.h):
 * ctx->dims by dim id (Decl.dims order) and one attn_param slot per declared
 * parameter, every slot filled (defaults already applied by the caller).
 *
 * Semantics fixed here where LANGUAGE.md leaves a choice (the lowering must
 * match them for differential tests to agree):
 *   - f32 values are computed in double; i32 in two's complement (computed
 *     in int64, truncated to 32 bits: overflow wraps, never UB).
 *   - i32 `/` is floor division and `%` floored modulo (Python); a zero
 *     divisor gives x / 0 = 0 and x % 0 = x, exactly like compiled code.
 *     INT32_MIN / -1 wraps to INT32_MIN. f32 `%` is fmod (C / LLVM frem).
 *   - Shifts: `a << c` with c outside [0, 31] yields 0; `a >> c` (arithmetic)
 *     with c outside [0, 31] yields the sign fill (a < 0 ? -1 : 0).
 *   - i32(x) truncates toward zero, saturating to [INT32_MIN, INT32_MAX];
 *     NaN converts to 0 (PTX cvt.rzi.sat / llvm.fptosi.sat).
 *   - min, max and clamp on f32 propagate NaN (like torch.minimum).
 *   - Tensor indices out of range clamp to [0, size-1] (normal builds), or
 *     with InterpOptions.checked fail naming the tensor, the index and the
 *     first (b, h, q, kv) (scan: t and the index names) that produced it.
 *     Pack member arguments outside [0, length) are treated the same way.
 *   - A BOUNDS_ZERO_FILL index (scan no-leakage rule) reads 0 when outside
 *     [0, size) or in another segment, relative to t, of any pack parameter
 *     of the scan.
 *   - sum over an empty range is 0; max / min are -inf / +inf (f32) or
 *     INT32_MIN / INT32_MAX (i32); f32 max / min propagate NaN.
 *   - Before running, tensor parameters must match their declared shapes
 *     under ctx->dims, packs must hold valid offsets, and every launch-time
 *     precondition of Decl.facts must hold; otherwise an error names them.
 *   - Attention evaluates the mask first: score statements run only for
 *     visible keys, and masked keys add nothing (even against NaN in v).
 *   - Lets are evaluated lazily, at most once per binding of the names they
 *     can see; `?:`, `&&` and `||` evaluate only the operands they need. */
#ifndef ATTN_INTERP_H
#define ATTN_INTERP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ast.h"
#include "../kernels/attn_abi.h"

/* Evaluation stops with an error past this many nested evaluations (deep
 * call chains of masks/fns), keeping the C stack bounded. */
enum { INTERP_MAX_DEPTH = 4096 };

typedef enum InterpTag {
    INTERP_BOOL,
    INTERP_I32,
    INTERP_F32,    /* held in double */
    INTERP_TENSOR, /* a tensor parameter (passed to masks/fns by reference) */
    INTERP_PACK,   /* a pack parameter */
} InterpTag;

typedef struct InterpValue {
    InterpTag tag;
    union {
        bool b;
        int32_t i;
        double f;
        const attn_tensor_arg *t;
        const attn_pack_arg *p;
    } u;
} InterpValue;

typedef struct InterpOptions {
    bool checked; /* out-of-range indices fail instead of clamping (--checked) */
} InterpOptions;

/* A scan state being evaluated: its values in C order over the state's
 * index names (ivar[i] ranges over shape[i]). */
typedef struct InterpState {
    double *data;
    int rank;
    int ivar[ATTN_MAX_RANK];
    int64_t shape[ATTN_MAX_RANK];
} InterpState;

/* A let slot: its value is valid while stamp equals the environment's
 * current generation. */
typedef struct InterpSlot {
    InterpValue v;
    uint64_t stamp;
} InterpSlot;

/* The declaration whose parameters and lets are in scope: the top-level
 * attention/scan (parameters from ctx; args unused) or a called
 * mask/score/fn/const (args: its evaluated arguments). */
typedef struct InterpFrame {
    const Decl *decl;
    const InterpValue *args;
    size_t let_base; /* its decl->nlets slots start here in InterpEnv.slots */
} InterpFrame;

/* Everything an expression can see. Set the variables, then call
 * interp_touch() so cached lets are recomputed. */
typedef struct InterpEnv {
    const Decl *top;       /* the attention or scan being evaluated */
    const attn_ctx *ctx;
    InterpOptions opts;
    int32_t var[IV_T + 1]; /* implicit b, h, q, kv, t (by ImplicitVar) */
    double score;          /* implicit score */
    int32_t *ivars;        /* scan index names: Decl.scan.nivars values */
    InterpState *states;   /* scan states: Decl.scan.nstates */
    InterpFrame frame;     /* the current frame */
    InterpSlot *slots;     /* let slots of every active frame */
    size_t nslots, cap;
    uint64_t gen, next_gen;
    int depth;
    char *err;
    size_t errlen;
    bool failed;
} InterpEnv;

/* Prepares env for evaluating expressions of `top` (attention or scan) with
 * the values in ctx; err/errlen receive the first error message. Variables,
 * ivars and states start unset (zero/NULL); the caller owns ivars and states. */
bool interp_env_init(InterpEnv *env, const Decl *top, const attn_ctx *ctx,
                     const InterpOptions *opts, char *err, size_t errlen);
void interp_env_free(InterpEnv *env);
/* Call after changing any variable, ivar or state of env. */
void interp_touch(InterpEnv *env);

/* Evaluates a sema-checked expression of env->top (or of a declaration it
 * calls, inside the matching frame). Returns false with env->err set on a
 * runtime error (division by zero, checked bounds, nesting). Scalars come back
 * in the expression's sema type (an i32 used as f32 is promoted). */
bool interp_eval(InterpEnv *env, const Expr *e, InterpValue *out);

/* Attention forward (LANGUAGE.md section 4) over q [B,H,Q,D], k and v
 * [B,HKV,KV,D|DV] (any float dtype, any strides), with B.. DV taken from
 * ctx->dims. Writes out [B,H,Q,DV] and, when lse is not NULL, lse [B,H,Q]
 * (C order, double). A fully masked row gives out 0 and lse -inf. Returns
 * false with a message in err on bad shapes or a runtime error. */
bool interp_attention(const Decl *attn, const attn_ctx *ctx, const attn_tensor_arg *q,
                      const attn_tensor_arg *k, const attn_tensor_arg *v, double *out,
                      double *lse, char *err, size_t errlen);
bool interp_attention_opts(const Decl *attn, const attn_ctx *ctx, const attn_tensor_arg *q,
                           const attn_tensor_arg *k, const attn_tensor_arg *v, double *out,
                           double *lse, const InterpOptions *opts, char *err, size_t errlen);

/* Number of elements of scan output i (product of its declared shape under
 * ctx->dims), or -1 when i is not an output. */
int64_t interp_scan_output_elems(const Decl *scan, const attn_ctx *ctx, int i);

/* Scan (LANGUAGE.md section 5), sequential over t. outputs[i] must hold
 * interp_scan_output_elems(scan, ctx, i) doubles; each is written in C order
 * of the declared output shape. Tensor and pack inputs come from ctx->params. */
bool interp_scan(const Decl *scan, const attn_ctx *ctx, double **outputs, char *err,
                 size_t errlen);
bool interp_scan_opts(const Decl *scan, const attn_ctx *ctx, double **outputs,
                      const InterpOptions *opts, char *err, size_t errlen);

#endif
