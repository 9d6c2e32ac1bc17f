/* lower_internal.h - shared state of the lower_*.c files.
 *
 * lower_hooks.c   lower_attention: the module, the scale/score/mask hooks
 * lower_ranges.c  the kv_ranges hook
 * lower_abi.c     the attn_abi.h struct types and reads of attn_ctx fields
 * lower_expr.c    expressions (names, lets, operators, select, index, calls)
 * lower_ops.c     scalar operators and conversions with defined semantics
 * lower_call.c    builtins, pack members, masks/scores/fns as internal functions
 * lower_scan*.c   lower_scan: row loops, states, index names, sums, zero fill
 *
 * Generated code is straight-line (selects, no branches), so a let is lowered
 * where it is first used and its SSA value reused afterwards. */
#ifndef ATTN_LOWER_INTERNAL_H
#define ATTN_LOWER_INTERNAL_H

#include "lower.h"

/* LLVM types of attn_abi.h, built to match clang's layout of the C structs. */
typedef struct LowerTypes {
    LLVMTypeRef i1, i8, i16, i32, i64, f16, f32, ptr, vd;
    LLVMTypeRef ctx;    /* attn_ctx { [16 x i32] dims, ptr params } */
    LLVMTypeRef tensor; /* attn_tensor_arg { ptr, [6 x i64], [6 x i64], i32, i32 } */
    LLVMTypeRef pack;   /* attn_pack_arg { ptr offsets, ptr seg_of, i32 nseg, i32 length } */
    LLVMTypeRef param;  /* attn_param: { attn_tensor_arg }, its largest member */
    LLVMTypeRef range;  /* attn_kv_range { i32 lo, i32 hi, i32 full } */
} LowerTypes;

typedef struct Lower {
    LLVMContextRef ctx;
    LLVMModuleRef mod;
    LLVMBuilderRef bld;
    Arena *arena;
    const Decl *root; /* the attention being lowered: its dims index attn_ctx.dims */
    LowerTypes t;
    PtrVec fn_decls;  /* const Decl *: declarations emitted as internal functions */
    PtrVec fn_values; /* LLVMValueRef: their functions, same order */
    char *err;
    bool failed;
} Lower;

/* Values visible while lowering one function body. */
typedef struct LowerEnv {
    Lower *L;
    const Decl *decl;         /* whose body: params[i] belong to it */
    LLVMValueRef implicit[IV_SCORE + 1]; /* b h q kv score, NULL where not visible */
    LLVMValueRef ctx;         /* const attn_ctx * */
    LLVMValueRef *params;     /* per parameter: scalar value or attn_param pointer; NULL =
                                 not yet read (attention parameters are read lazily) */
    LLVMValueRef *dims;       /* per root dimension: the loaded value, NULL until used */
    PtrVec let_keys;          /* LetBinding * already lowered ... */
    PtrVec let_values;        /* ... and their values */
    struct LowerScan *scan;   /* inside a scan body: its loop state (lower_scan*.c), else NULL */
} LowerEnv;

/* lower_hooks.c */
void lower_fail(Lower *L, Span at, const char *what);
/* Starts an env for a body of `decl` in a function whose ctx argument is `ctx`. */
void lower_env_init(LowerEnv *env, Lower *L, const Decl *decl, LLVMValueRef ctx);
LLVMValueRef lower_add_function(Lower *L, const char *name, LLVMTypeRef ret, LLVMTypeRef *args,
                                int nargs, bool internal);

/* lower_abi.c */
/* The ABI types of L->t, in L->ctx. */
void lower_types_init(Lower *L);
/* Creates L->mod (named `name`, for `triple` and `data_layout`) and L->bld in
 * L->ctx, and the ABI types of L->t. */
void lower_module_begin(Lower *L, const char *name, const char *triple, const char *data_layout);
/* ctx->dims[dim] as i32. */
LLVMValueRef lower_ctx_dim(Lower *L, LLVMValueRef ctx, int dim);
/* &ctx->params[i]. */
LLVMValueRef lower_ctx_param(Lower *L, LLVMValueRef ctx, int i);
/* Reads scalar parameter slot `slot` (attn_param *) as `sk` (i1, i32 or f32). */
LLVMValueRef lower_param_scalar(Lower *L, LLVMValueRef slot, ScalarKind sk);
/* Marks every read of an attn_abi.h descriptor (ctx, tensor and pack
 * arguments) in fn as invariant: they do not change during a launch, so LLVM
 * may hoist them out of the loops even past stores (the outputs of a scan,
 * the score row of the CPU attention template) and vectorize those loops. */
void lower_mark_invariant(Lower *L, LLVMValueRef fn);
/* Loads field `field` (index `elem` for arrays, else -1) of the struct `ty` at `p`. */
LLVMValueRef lower_load_field(Lower *L, LLVMTypeRef ty, LLVMValueRef p, int field, int elem,
                              LLVMTypeRef as);

/* lower_expr.c */
/* Lowers e, converted to scalar kind `want` (SK_NONE: e's own type). NULL after a failure. */
LLVMValueRef lower_expr(LowerEnv *env, const Expr *e, ScalarKind want);
/* The attn_param pointer of a tensor or pack valued expression (a parameter name). */
LLVMValueRef lower_slot(LowerEnv *env, const Expr *e);
/* A dimension of the root attention by name, as i32. */
LLVMValueRef lower_dim(LowerEnv *env, const char *name, Span at);
ScalarKind lower_scalar_kind(const Expr *e);
/* t[i, j, ...] loaded and widened (*kind: bool, i32 or f32); indices not
 * proved in range are clamped into the tensor. */
LLVMValueRef lower_index(LowerEnv *env, const Expr *e, ScalarKind *kind);
/* A let's value: lowered once per function, where first needed. */
LLVMValueRef lower_let(LowerEnv *env, LetBinding *let);

/* lower_ops.c */
LLVMTypeRef lower_type(Lower *L, ScalarKind sk);
LLVMValueRef lower_convert(Lower *L, LLVMValueRef v, ScalarKind from, ScalarKind to);
LLVMValueRef lower_unary(Lower *L, Op op, ScalarKind sk, LLVMValueRef a);
/* a op b, both already of kind `sk` (the operand kind). */
LLVMValueRef lower_binary(Lower *L, Op op, ScalarKind sk, LLVMValueRef a, LLVMValueRef b);
/* Calls intrinsic `name` overloaded on the type of args[0]. */
LLVMValueRef lower_intrinsic(Lower *L, const char *name, LLVMValueRef *args, int nargs);
/* seg_of[clamp(i, 0, length - 1)] of the pack whose attn_param slot is `slot`:
 * the segment index of position i (lower_call.c). */
LLVMValueRef lower_pack_id(Lower *L, LLVMValueRef slot, LLVMValueRef i);
/* smin(smax(v, lo), hi) on any integer type. */
LLVMValueRef lower_clamp_int(Lower *L, LLVMValueRef v, LLVMValueRef lo, LLVMValueRef hi);

/* lower_call.c */
LLVMValueRef lower_call(LowerEnv *env, const Expr *e);
/* A bare mask/score name: a call passing the implicit names through. */
LLVMValueRef lower_call_decl(LowerEnv *env, const Expr *site, const Decl *d, Expr **args,
                             int nargs);

/* lower_scan_expr.c: the scan forms of e (index names, t, states, sum/max/min,
 * zero-filled reads) when env->scan is set; *handled = false for the rest. */
LLVMValueRef lower_scan_expr(LowerEnv *env, const Expr *e, ScalarKind *kind, bool *handled);

/* lower_ranges.c: attn_hook_kv_ranges of L->root, whose mask analysis is m */
struct MaskAnalysis;
void lower_kv_ranges_hook(Lower *L, const struct MaskAnalysis *m);

#endif
