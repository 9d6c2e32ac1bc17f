/* lower_ops.c - scalar operators and conversions.
 *
 * i32 arithmetic wraps (no nsw flags: overflow is defined, two's complement).
 * Every operation whose C or LLVM counterpart is undefined or poison for some
 * inputs is given a value here (lower.h lists the choices), so generated code
 * has no undefined behaviour for any parameter or tensor value. */
#include <string.h>

#include "lower_internal.h"

LLVMTypeRef lower_type(Lower *L, ScalarKind sk)
{
    switch (sk) {
    case SK_BOOL: return L->t.i1;
    case SK_F32: return L->t.f32;
    default: return L->t.i32;
    }
}

LLVMValueRef lower_intrinsic(Lower *L, const char *name, LLVMValueRef *args, int nargs)
{
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    LLVMTypeRef over = LLVMTypeOf(args[0]);
    LLVMValueRef fn = LLVMGetIntrinsicDeclaration(L->mod, id, &over, 1);
    LLVMTypeRef fty = LLVMIntrinsicGetType(L->ctx, id, &over, 1);
    return LLVMBuildCall2(L->bld, fty, fn, args, (unsigned)nargs, "");
}

LLVMValueRef lower_clamp_int(Lower *L, LLVMValueRef v, LLVMValueRef lo, LLVMValueRef hi)
{
    LLVMValueRef a[2] = {v, lo};
    LLVMValueRef b[2] = {lower_intrinsic(L, "llvm.smax", a, 2), hi};
    return lower_intrinsic(L, "llvm.smin", b, 2);
}

LLVMValueRef lower_convert(Lower *L, LLVMValueRef v, ScalarKind from, ScalarKind to)
{
    if (from == to || to == SK_NONE)
        return v;
    LLVMBuilderRef b = L->bld;
    if (to == SK_F32)
        return from == SK_BOOL ? LLVMBuildUIToFP(b, v, L->t.f32, "") : LLVMBuildSIToFP(b, v, L->t.f32, "");
    if (to == SK_I32) {
        if (from == SK_BOOL)
            return LLVMBuildZExt(b, v, L->t.i32, "");
        /* f32 -> i32 truncates, saturating; NaN gives 0 (plain fptosi is poison). */
        LLVMTypeRef over[2] = {L->t.i32, L->t.f32};
        unsigned id = LLVMLookupIntrinsicID("llvm.fptosi.sat", 15);
        LLVMValueRef fn = LLVMGetIntrinsicDeclaration(L->mod, id, over, 2);
        return LLVMBuildCall2(b, LLVMIntrinsicGetType(L->ctx, id, over, 2), fn, &v, 1, "");
    }
    /* to bool */
    if (from == SK_F32)
        return LLVMBuildFCmp(b, LLVMRealUNE, v, LLVMConstReal(L->t.f32, 0.0), "");
    return LLVMBuildICmp(b, LLVMIntNE, v, LLVMConstInt(L->t.i32, 0, 0), "");
}

LLVMValueRef lower_unary(Lower *L, Op op, ScalarKind sk, LLVMValueRef a)
{
    switch (op) {
    case OP_NEG: return sk == SK_F32 ? LLVMBuildFNeg(L->bld, a, "") : LLVMBuildNeg(L->bld, a, "");
    case OP_NOT:
    case OP_BITNOT: return LLVMBuildNot(L->bld, a, "");
    default: return NULL;
    }
}

/* Floor division and modulo (Python semantics) with defined results for every
 * input: x / 0 = 0 and x % 0 = x (so x == (x / y) * y + x % y always holds);
 * INT_MIN / -1 = INT_MIN (wraps), INT_MIN % -1 = 0. */
static LLVMValueRef lower_floor_divmod(Lower *L, bool want_div, LLVMValueRef a, LLVMValueRef b)
{
    LLVMBuilderRef bd = L->bld;
    LLVMTypeRef t = L->t.i32;
    LLVMValueRef zero = LLVMConstInt(t, 0, 0), one = LLVMConstInt(t, 1, 0);
    LLVMValueRef is_zero = LLVMBuildICmp(bd, LLVMIntEQ, b, zero, "");
    LLVMValueRef overflow = LLVMBuildAnd(bd,
        LLVMBuildICmp(bd, LLVMIntEQ, a, LLVMConstInt(t, 0x80000000u, 0), ""),
        LLVMBuildICmp(bd, LLVMIntEQ, b, LLVMConstAllOnes(t), ""), "");
    /* A divisor for which sdiv/srem are defined; the quotient by 1 is a itself,
     * which is the wrapped INT_MIN / -1. */
    LLVMValueRef safe = LLVMBuildSelect(bd, LLVMBuildOr(bd, is_zero, overflow, ""), one, b, "");
    LLVMValueRef q = LLVMBuildSDiv(bd, a, safe, "");
    LLVMValueRef r = LLVMBuildSRem(bd, a, safe, "");
    /* Round toward -inf: adjust when the remainder is nonzero and its sign differs. */
    LLVMValueRef adjust = LLVMBuildAnd(bd, LLVMBuildICmp(bd, LLVMIntNE, r, zero, ""),
        LLVMBuildICmp(bd, LLVMIntSLT, LLVMBuildXor(bd, r, safe, ""), zero, ""), "");
    if (want_div) {
        q = LLVMBuildSelect(bd, adjust, LLVMBuildSub(bd, q, one, ""), q, "");
        return LLVMBuildSelect(bd, is_zero, zero, q, "");
    }
    r = LLVMBuildSelect(bd, adjust, LLVMBuildAdd(bd, r, safe, ""), r, "");
    return LLVMBuildSelect(bd, is_zero, a, r, "");
}

/* Shifts: counts outside [0, 31] shift every bit out (`<<` gives 0, `>>` the
 * sign), instead of LLVM's poison. `>>` is arithmetic. */
static LLVMValueRef lower_shift(Lower *L, Op op, LLVMValueRef a, LLVMValueRef c)
{
    LLVMBuilderRef bd = L->bld;
    LLVMValueRef c31 = LLVMConstInt(L->t.i32, 31, 0);
    LLVMValueRef in_range = LLVMBuildICmp(bd, LLVMIntULE, c, c31, "");
    if (op == OP_SHL) {
        LLVMValueRef v = LLVMBuildShl(bd, a, LLVMBuildAnd(bd, c, c31, ""), "");
        return LLVMBuildSelect(bd, in_range, v, LLVMConstInt(L->t.i32, 0, 0), "");
    }
    return LLVMBuildAShr(bd, a, LLVMBuildSelect(bd, in_range, c, c31, ""), "");
}

static LLVMValueRef lower_compare(Lower *L, Op op, ScalarKind sk, LLVMValueRef a, LLVMValueRef b)
{
    static const LLVMIntPredicate ip[] = {LLVMIntEQ, LLVMIntNE, LLVMIntSLT, LLVMIntSLE,
                                          LLVMIntSGT, LLVMIntSGE};
    /* Order on bools: false < true. */
    static const LLVMIntPredicate up[] = {LLVMIntEQ, LLVMIntNE, LLVMIntULT, LLVMIntULE,
                                          LLVMIntUGT, LLVMIntUGE};
    /* Ordered predicates, except != which is true when either side is NaN. */
    static const LLVMRealPredicate fp[] = {LLVMRealOEQ, LLVMRealUNE, LLVMRealOLT, LLVMRealOLE,
                                           LLVMRealOGT, LLVMRealOGE};
    int k = (int)op - (int)OP_EQ;
    if (sk == SK_F32)
        return LLVMBuildFCmp(L->bld, fp[k], a, b, "");
    return LLVMBuildICmp(L->bld, sk == SK_BOOL ? up[k] : ip[k], a, b, "");
}

LLVMValueRef lower_binary(Lower *L, Op op, ScalarKind sk, LLVMValueRef a, LLVMValueRef b)
{
    LLVMBuilderRef bd = L->bld;
    bool f = sk == SK_F32;
    switch (op) {
    case OP_ADD: return f ? LLVMBuildFAdd(bd, a, b, "") : LLVMBuildAdd(bd, a, b, "");
    case OP_SUB: return f ? LLVMBuildFSub(bd, a, b, "") : LLVMBuildSub(bd, a, b, "");
    case OP_MUL: return f ? LLVMBuildFMul(bd, a, b, "") : LLVMBuildMul(bd, a, b, "");
    case OP_DIV: return f ? LLVMBuildFDiv(bd, a, b, "") : lower_floor_divmod(L, true, a, b);
    case OP_MOD: return f ? LLVMBuildFRem(bd, a, b, "") : lower_floor_divmod(L, false, a, b);
    case OP_SHL:
    case OP_SHR: return lower_shift(L, op, a, b);
    case OP_BITAND:
    case OP_AND: return LLVMBuildAnd(bd, a, b, "");
    case OP_BITOR:
    case OP_OR: return LLVMBuildOr(bd, a, b, "");
    case OP_BITXOR: return LLVMBuildXor(bd, a, b, "");
    case OP_EQ: case OP_NE: case OP_LT: case OP_LE: case OP_GT: case OP_GE:
        return lower_compare(L, op, sk, a, b);
    default: return NULL;
    }
}
