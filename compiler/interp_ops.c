/* interp_ops.c - the reference interpreter's operators and builtins on
 * evaluated operands: i32 in two's complement with floored division, f32 in
 * double. The choices LANGUAGE.md leaves open are listed in interp.h. */
#include <math.h>

#include "interp_internal.h"

static bool interp_is_int(InterpValue v) { return v.tag == INTERP_I32 || v.tag == INTERP_BOOL; }

bool interp_unary(InterpEnv *env, const Expr *e, InterpValue a, InterpValue *out)
{
    switch (e->op) {
    case OP_NEG:
        *out = a.tag == INTERP_F32 ? interp_f32(-a.u.f)
                                   : interp_i32(interp_wrap(-(int64_t)interp_as_i(a)));
        return true;
    case OP_NOT: *out = interp_bool(!interp_truthy(a)); return true;
    case OP_BITNOT: *out = interp_i32(~interp_as_i(a)); return true;
    default: return interp_fail(env, e->span, "internal error: bad unary operator");
    }
}

/* Python's floor division and modulo; b != 0. */
static int32_t interp_floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if (q * b != a && ((a < 0) != (b < 0)))
        q--;
    return interp_wrap(q);
}

static int32_t interp_floormod(int64_t a, int64_t b)
{
    int64_t r = a % b;
    if (r != 0 && ((r < 0) != (b < 0)))
        r += b;
    return interp_wrap(r);
}

static int32_t interp_shift(Op op, int32_t a, int32_t c)
{
    if (c < 0 || c > 31)
        return op == OP_SHL ? 0 : (a < 0 ? -1 : 0);
    if (op == OP_SHL)
        return interp_wrap((int64_t)((uint64_t)(uint32_t)a << c));
    return a >= 0 ? a >> c : ~(~a >> c); /* arithmetic shift without implementation-defined >> */
}

static bool interp_compare(Op op, double x, double y)
{
    switch (op) {
    case OP_EQ: return x == y;
    case OP_NE: return x != y;
    case OP_LT: return x < y;
    case OP_LE: return x <= y;
    case OP_GT: return x > y;
    default: return x >= y;
    }
}

static bool interp_int_binary(InterpEnv *env, const Expr *e, InterpValue av, InterpValue bv,
                              InterpValue *out)
{
    int64_t a = interp_as_i(av), b = interp_as_i(bv);
    bool both_bool = av.tag == INTERP_BOOL && bv.tag == INTERP_BOOL;
    switch (e->op) {
    case OP_ADD: *out = interp_i32(interp_wrap(a + b)); return true;
    case OP_SUB: *out = interp_i32(interp_wrap(a - b)); return true;
    case OP_MUL: *out = interp_i32(interp_wrap(a * b)); return true;
    case OP_DIV:
    case OP_MOD:
        /* Defined like the compiled code (docs/language.md): x / 0 = 0 and
         * x % 0 = x, so x == (x / y) * y + x % y always holds. */
        if (b == 0) {
            *out = interp_i32(e->op == OP_DIV ? 0 : (int32_t)a);
            return true;
        }
        *out = interp_i32(e->op == OP_DIV ? interp_floordiv(a, b) : interp_floormod(a, b));
        return true;
    case OP_SHL:
    case OP_SHR: *out = interp_i32(interp_shift(e->op, (int32_t)a, (int32_t)b)); return true;
    case OP_BITAND: *out = interp_i32((int32_t)(a & b)); break;
    case OP_BITXOR: *out = interp_i32((int32_t)(a ^ b)); break;
    case OP_BITOR: *out = interp_i32((int32_t)(a | b)); break;
    default: return interp_fail(env, e->span, "internal error: bad integer operator");
    }
    if (both_bool)
        *out = interp_bool(out->u.i != 0);
    return true;
}

static bool interp_float_binary(InterpEnv *env, const Expr *e, double a, double b,
                                InterpValue *out)
{
    switch (e->op) {
    case OP_ADD: *out = interp_f32(a + b); return true;
    case OP_SUB: *out = interp_f32(a - b); return true;
    case OP_MUL: *out = interp_f32(a * b); return true;
    case OP_DIV: *out = interp_f32(a / b); return true;
    case OP_MOD: *out = interp_f32(fmod(a, b)); return true;
    default: return interp_fail(env, e->span, "internal error: operator '%s' on f32",
                                op_spelling(e->op));
    }
}

bool interp_binary(InterpEnv *env, const Expr *e, InterpValue a, InterpValue b, InterpValue *out)
{
    switch (e->op) {
    case OP_AND: *out = interp_bool(interp_truthy(a) && interp_truthy(b)); return true;
    case OP_OR: *out = interp_bool(interp_truthy(a) || interp_truthy(b)); return true;
    case OP_EQ: case OP_NE: case OP_LT: case OP_LE: case OP_GT: case OP_GE:
        if (interp_is_int(a) && interp_is_int(b))
            *out = interp_bool(interp_compare(e->op, interp_as_i(a), interp_as_i(b)));
        else
            *out = interp_bool(interp_compare(e->op, interp_as_f(a), interp_as_f(b)));
        return true;
    default: break;
    }
    if (interp_is_int(a) && interp_is_int(b))
        return interp_int_binary(env, e, a, b, out);
    return interp_float_binary(env, e, interp_as_f(a), interp_as_f(b), out);
}

/* ----------------------------------------------------------- builtins */

/* NaN-propagating min / max. */
static double interp_fmin(double a, double b) { return a != a || b != b ? NAN : a < b ? a : b; }
static double interp_fmax(double a, double b) { return a != a || b != b ? NAN : a > b ? a : b; }

static double interp_sigmoid(double x)
{
    if (x >= 0)
        return 1.0 / (1.0 + exp(-x));
    double z = exp(x);
    return z / (1.0 + z);
}

static double interp_softplus(double x)
{
    return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

/* A builtin of one f32 argument. */
static double interp_math1(Builtin bi, double x)
{
    switch (bi) {
    case BI_EXP: return exp(x);
    case BI_EXP2: return exp2(x);
    case BI_LOG: return log(x);
    case BI_LOG2: return log2(x);
    case BI_SQRT: return sqrt(x);
    case BI_RSQRT: return 1.0 / sqrt(x);
    case BI_TANH: return tanh(x);
    case BI_SIGMOID: return interp_sigmoid(x);
    case BI_SOFTPLUS: return interp_softplus(x);
    case BI_SILU: return x * interp_sigmoid(x);
    case BI_SIN: return sin(x);
    case BI_COS: return cos(x);
    case BI_FLOOR: return floor(x);
    case BI_CEIL: return ceil(x);
    case BI_ABS: return fabs(x);
    default: return x; /* BI_F32 */
    }
}

static int interp_builtin_arity(Builtin bi)
{
    switch (bi) {
    case BI_POW: case BI_MIN: case BI_MAX: return 2;
    case BI_CLAMP: return 3;
    default: return 1;
    }
}

bool interp_builtin(InterpEnv *env, const Expr *e, Builtin bi, const InterpValue *args, int n,
                    InterpValue *out)
{
    if ((unsigned)bi >= BI_COUNT || n != interp_builtin_arity(bi))
        return interp_fail(env, e->span, "internal error: bad builtin call");
    bool all_int = true;
    for (int i = 0; i < n; i++)
        all_int = all_int && interp_is_int(args[i]);
    switch (bi) {
    case BI_I32: *out = interp_i32(interp_as_i(args[0])); return true;
    case BI_POW: *out = interp_f32(pow(interp_as_f(args[0]), interp_as_f(args[1]))); return true;
    case BI_MIN:
    case BI_MAX:
        if (all_int) {
            int32_t a = interp_as_i(args[0]), b = interp_as_i(args[1]);
            *out = interp_i32(bi == BI_MIN ? (a < b ? a : b) : (a > b ? a : b));
        } else {
            double a = interp_as_f(args[0]), b = interp_as_f(args[1]);
            *out = interp_f32(bi == BI_MIN ? interp_fmin(a, b) : interp_fmax(a, b));
        }
        return true;
    case BI_CLAMP:
        if (all_int) {
            int32_t x = interp_as_i(args[0]), lo = interp_as_i(args[1]), hi = interp_as_i(args[2]);
            x = x > lo ? x : lo;
            *out = interp_i32(x < hi ? x : hi);
        } else {
            double x = interp_as_f(args[0]);
            *out = interp_f32(interp_fmin(interp_fmax(x, interp_as_f(args[1])), interp_as_f(args[2])));
        }
        return true;
    case BI_ABS:
        if (all_int) {
            int64_t x = interp_as_i(args[0]);
            *out = interp_i32(interp_wrap(x < 0 ? -x : x));
            return true;
        }
        break;
    case BI_FLOOR:
    case BI_CEIL:
        if (all_int) {
            *out = interp_i32(interp_as_i(args[0]));
            return true;
        }
        break;
    default: break;
    }
    *out = interp_f32(interp_math1(bi, interp_as_f(args[0])));
    return true;
}
