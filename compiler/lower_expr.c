/* lower_expr.c - expressions to LLVM values.
 *
 * Every scalar expression is lowered in its natural type (bool -> i1,
 * i32 -> i32, f32 -> float) and then converted to the type its user needs
 * (lower_convert): that is where sema's implicit i32 -> f32 promotion happens.
 * Tensor and pack values exist only as parameters: they are passed around as
 * pointers to their attn_param slot (lower_slot). */
#include <string.h>

#include "attn_abi.h"
#include "lower_internal.h"

ScalarKind lower_scalar_kind(const Expr *e)
{
    return e->ty && e->ty->kind == TY_SCALAR ? e->ty->scalar : SK_NONE;
}

static LLVMValueRef lower_const(Lower *L, ScalarKind sk, double v)
{
    switch (sk) {
    case SK_BOOL: return LLVMConstInt(L->t.i1, v != 0, 0);
    case SK_I32: return LLVMConstInt(L->t.i32, (unsigned long long)(long long)v, 1);
    default: return LLVMConstReal(L->t.f32, v);
    }
}

/* Parameter i of the body's declaration: a scalar value, or a slot pointer
 * for tensors and packs. Attention parameters are read from ctx on first use. */
static LLVMValueRef lower_param(LowerEnv *env, const Expr *at, int i)
{
    const Decl *d = env->decl;
    if (i < 0 || i >= d->nparams || !d->params[i]->type) {
        lower_fail(env->L, at->span, "a parameter reference");
        return NULL;
    }
    if (!env->params[i]) {
        const TypeRef *ty = d->params[i]->type;
        LLVMValueRef slot = lower_ctx_param(env->L, env->ctx, i);
        env->params[i] = ty->kind == TY_SCALAR ? lower_param_scalar(env->L, slot, ty->scalar) : slot;
    }
    return env->params[i];
}

LLVMValueRef lower_slot(LowerEnv *env, const Expr *e)
{
    if (e->kind != EX_NAME || e->ref != REF_PARAM || !e->ty || e->ty->kind == TY_SCALAR) {
        lower_fail(env->L, e->span, "a tensor or pack that is not a parameter");
        return NULL;
    }
    return lower_param(env, e, e->index);
}

LLVMValueRef lower_dim(LowerEnv *env, const char *name, Span at)
{
    const Decl *root = env->L->root;
    for (int j = 0; name && j < root->ndims && j < ATTN_MAX_VARIANT_DIMS; j++)
        if (strcmp(root->dims[j], name) == 0) {
            if (!env->dims[j])
                env->dims[j] = lower_ctx_dim(env->L, env->ctx, j);
            return env->dims[j];
        }
    lower_fail(env->L, at, "a dimension that the attention does not bind");
    return NULL;
}

LLVMValueRef lower_let(LowerEnv *env, LetBinding *let)
{
    for (int i = 0; i < env->let_keys.len; i++)
        if (env->let_keys.items[i] == let)
            return env->let_values.items[i];
    LLVMValueRef v = lower_expr(env, let->value, SK_NONE);
    if (v) {
        ptrvec_push(env->L->arena, &env->let_keys, let);
        ptrvec_push(env->L->arena, &env->let_values, v);
    }
    return v;
}

static LLVMValueRef lower_name(LowerEnv *env, const Expr *e, ScalarKind *kind)
{
    switch (e->ref) {
    case REF_IMPLICIT:
        if (e->index >= IV_B && e->index <= IV_SCORE && env->implicit[e->index]) {
            *kind = e->index == IV_SCORE ? SK_F32 : SK_I32;
            return env->implicit[e->index];
        }
        break;
    case REF_PARAM:
        if (e->index >= 0 && e->index < env->decl->nparams && env->decl->params[e->index]->type)
            *kind = env->decl->params[e->index]->type->scalar;
        return lower_param(env, e, e->index);
    case REF_LET:
        if (!e->let)
            break;
        *kind = lower_scalar_kind(e->let->value);
        return lower_let(env, e->let);
    case REF_DIM:
        *kind = SK_I32;
        return lower_dim(env, e->name, e->span);
    case REF_CONST:
        if (!e->decl || !e->decl->body)
            break;
        *kind = lower_scalar_kind(e->decl->body);
        return lower_expr(env, e->decl->body, SK_NONE);
    case REF_DECL:
        if (!e->decl)
            break;
        *kind = e->decl->kind == DECL_MASK ? SK_BOOL : SK_F32;
        return lower_call_decl(env, e, e->decl, NULL, 0);
    default: break;
    }
    lower_fail(env->L, e->span, "this name here");
    return NULL;
}

/* Loads one element of type `sk` at p, widened to bool / i32 / f32. */
static LLVMValueRef lower_load_elem(Lower *L, ScalarKind sk, LLVMValueRef p)
{
    LLVMBuilderRef b = L->bld;
    switch (sk) {
    case SK_BOOL:
        return LLVMBuildICmp(b, LLVMIntNE, LLVMBuildLoad2(b, L->t.i8, p, ""),
                             LLVMConstInt(L->t.i8, 0, 0), "");
    case SK_I32: return LLVMBuildLoad2(b, L->t.i32, p, "");
    case SK_F16: return LLVMBuildFPExt(b, LLVMBuildLoad2(b, L->t.f16, p, ""), L->t.f32, "");
    case SK_BF16: { /* exact: bf16 is the upper half of an f32 */
        LLVMValueRef w = LLVMBuildZExt(b, LLVMBuildLoad2(b, L->t.i16, p, ""), L->t.i32, "");
        w = LLVMBuildShl(b, w, LLVMConstInt(L->t.i32, 16, 0), "");
        return LLVMBuildBitCast(b, w, L->t.f32, "");
    }
    default: return LLVMBuildLoad2(b, L->t.f32, p, "");
    }
}

static LLVMTypeRef lower_elem_type(Lower *L, ScalarKind sk)
{
    switch (sk) {
    case SK_BOOL: return L->t.i8;
    case SK_I32: return L->t.i32;
    case SK_F16: case SK_BF16: return L->t.i16;
    default: return L->t.f32;
    }
}

/* t[i, j, ...]: data + sum(idx * stride) in 64-bit arithmetic. Indices not
 * proved in range (BOUNDS_PRECOND: checked by the runtime before launch;
 * BOUNDS_DATA: data dependent) are clamped to [0, size - 1]. */
LLVMValueRef lower_index(LowerEnv *env, const Expr *e, ScalarKind *kind)
{
    Lower *L = env->L;
    const TypeRef *tt = e->a->ty;
    if (!tt || tt->kind != TY_TENSOR || tt->ndims != e->nargs) {
        lower_fail(L, e->span, "an index of something that is not a tensor");
        return NULL;
    }
    LLVMValueRef slot = lower_slot(env, e->a);
    if (!slot)
        return NULL;
    LLVMValueRef off = LLVMConstInt(L->t.i64, 0, 0);
    LLVMValueRef zero = LLVMConstInt(L->t.i64, 0, 0), one = LLVMConstInt(L->t.i64, 1, 0);
    for (int k = 0; k < e->nargs; k++) {
        LLVMValueRef idx = lower_expr(env, e->args[k], SK_I32);
        if (!idx)
            return NULL;
        idx = LLVMBuildSExt(L->bld, idx, L->t.i64, "");
        if (!e->bounds || e->bounds[k].kind != BOUNDS_PROVED) {
            LLVMValueRef size = lower_load_field(L, L->t.tensor, slot, 1, k, L->t.i64);
            LLVMValueRef hi[2] = {idx, LLVMBuildSub(L->bld, size, one, "")};
            LLVMValueRef lo[2] = {lower_intrinsic(L, "llvm.smin", hi, 2), zero};
            idx = lower_intrinsic(L, "llvm.smax", lo, 2);
        }
        LLVMValueRef stride = lower_load_field(L, L->t.tensor, slot, 2, k, L->t.i64);
        off = LLVMBuildAdd(L->bld, off, LLVMBuildMul(L->bld, idx, stride, ""), "");
    }
    LLVMValueRef data = lower_load_field(L, L->t.tensor, slot, 0, -1, L->t.ptr);
    LLVMValueRef p = LLVMBuildGEP2(L->bld, lower_elem_type(L, tt->scalar), data, &off, 1, "");
    *kind = tt->scalar == SK_BOOL ? SK_BOOL : tt->scalar == SK_I32 ? SK_I32 : SK_F32;
    return lower_load_elem(L, tt->scalar, p);
}

/* The kind both operands of binary e are converted to. */
static ScalarKind lower_operand_kind(const Expr *e, ScalarKind result)
{
    if (e->op == OP_AND || e->op == OP_OR)
        return SK_BOOL;
    if (e->op < OP_EQ || e->op > OP_GE)
        return result;
    ScalarKind a = lower_scalar_kind(e->a), b = lower_scalar_kind(e->b);
    if (a == SK_F32 || b == SK_F32)
        return SK_F32;
    return a == SK_I32 || b == SK_I32 ? SK_I32 : SK_BOOL;
}

/* Lowers e in its natural kind, stored in *kind (preset to e's type). */
static LLVMValueRef lower_expr_raw(LowerEnv *env, const Expr *e, ScalarKind *kind)
{
    Lower *L = env->L;
    if (env->scan) {
        bool handled;
        LLVMValueRef v = lower_scan_expr(env, e, kind, &handled);
        if (handled)
            return v;
    }
    switch (e->kind) {
    case EX_INT: *kind = SK_I32; return LLVMConstInt(L->t.i32, (unsigned long long)e->ival, 1);
    case EX_FLOAT: *kind = SK_F32; return LLVMConstReal(L->t.f32, e->fval);
    case EX_BOOL: *kind = SK_BOOL; return LLVMConstInt(L->t.i1, e->ival != 0, 0);
    case EX_INF: *kind = SK_F32; return LLVMConstReal(L->t.f32, __builtin_inf());
    case EX_NAME:
    case EX_MEMBER: return lower_name(env, e, kind);
    case EX_CALL: return lower_call(env, e);
    case EX_INDEX: return lower_index(env, e, kind);
    case EX_UNARY: {
        ScalarKind k = e->op == OP_NOT ? SK_BOOL : *kind;
        LLVMValueRef a = lower_expr(env, e->a, k);
        *kind = k;
        return a ? lower_unary(L, e->op, k, a) : NULL;
    }
    case EX_BINARY: {
        ScalarKind k = lower_operand_kind(e, *kind);
        LLVMValueRef a = lower_expr(env, e->a, k), b = lower_expr(env, e->b, k);
        if (!a || !b)
            return NULL;
        *kind = e->op >= OP_EQ && e->op <= OP_OR ? SK_BOOL : k;
        return lower_binary(L, e->op, k, a, b);
    }
    case EX_COND: {
        LLVMValueRef c = lower_expr(env, e->a, SK_BOOL);
        LLVMValueRef a = lower_expr(env, e->b, *kind), b = lower_expr(env, e->c, *kind);
        return c && a && b ? LLVMBuildSelect(L->bld, c, a, b, "") : NULL;
    }
    case EX_BLOCK:
        /* In order, so that a chain of lets never nests deeply. */
        for (int i = 0; i < e->nlets; i++)
            if (!lower_let(env, e->lets[i]))
                return NULL;
        return lower_expr(env, e->a, *kind);
    default: break;
    }
    lower_fail(L, e->span, "this expression in an attention");
    return NULL;
}

LLVMValueRef lower_expr(LowerEnv *env, const Expr *e, ScalarKind want)
{
    if (env->L->failed)
        return NULL;
    ScalarKind sk = lower_scalar_kind(e);
    if (sk != SK_BOOL && sk != SK_I32 && sk != SK_F32) {
        lower_fail(env->L, e->span, "an expression without a scalar type");
        return NULL;
    }
    if (e->const_valid)
        return lower_convert(env->L, lower_const(env->L, sk, e->const_value), sk, want);
    ScalarKind kind = sk;
    LLVMValueRef v = lower_expr_raw(env, e, &kind);
    if (!v)
        return NULL;
    return lower_convert(env->L, lower_convert(env->L, v, kind, sk), sk, want);
}
