/* sema_const.c - constant folding.
 *
 * An expression whose operands are constants gets const_valid and its value
 * in const_value (a double holding the i32, the f32 or 0/1 for bool).
 * Semantics are those of the language: i32 arithmetic wraps (two's
 * complement), `/` and `%` on i32 floor (Python), f32 results are rounded to
 * single precision, i32 promotes to f32 when mixed. Division of an i32 by the
 * constant 0 and shift counts outside [0, 32) are errors. Fn calls are not
 * folded. */
#include <math.h>
#include <stdint.h>

#include "sema.h"

static bool is_i32(const Expr *e) { return e->ty->kind == TY_SCALAR && e->ty->scalar == SK_I32; }

static double wrap_i32(int64_t v) { return (double)(int32_t)(uint32_t)(uint64_t)v; }

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    int64_t r = a % b;
    return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}

/* Folds an i32 binary operation; false on division by zero or a bad shift
 * count (diagnosed; e is poisoned). */
static bool fold_int(Body *b, Expr *e, int64_t x, int64_t y, double *out)
{
    if ((e->op == OP_DIV || e->op == OP_MOD) && y == 0) {
        diag_error(b->s->d, e->span, "division by zero");
        e->ty = &ty_error;
        return false;
    }
    if ((e->op == OP_SHL || e->op == OP_SHR) && (y < 0 || y > 31)) {
        diag_error(b->s->d, e->b->span, "shift count %lld is out of range [0, 32)", (long long)y);
        e->ty = &ty_error;
        return false;
    }
    switch (e->op) {
    case OP_MUL: *out = wrap_i32(x * y); break;
    case OP_DIV: *out = wrap_i32(floor_div(x, y)); break;
    case OP_MOD: *out = wrap_i32(floor_mod(x, y)); break;
    case OP_ADD: *out = wrap_i32(x + y); break;
    case OP_SUB: *out = wrap_i32(x - y); break;
    case OP_SHL: *out = wrap_i32((int64_t)((uint32_t)x << y)); break;
    case OP_SHR: *out = (double)((int32_t)x >> y); break;
    case OP_BITAND: *out = (double)(x & y); break;
    case OP_BITXOR: *out = (double)(x ^ y); break;
    case OP_BITOR: *out = (double)(x | y); break;
    default: return false;
    }
    return true;
}

static bool fold_binary(Body *b, Expr *e, double *out)
{
    double x = e->a->const_value, y = e->b->const_value;
    bool ints = is_i32(e->a) && is_i32(e->b);
    switch (e->op) {
    case OP_EQ: *out = x == y; return true;
    case OP_NE: *out = x != y; return true;
    case OP_LT: *out = x < y; return true;
    case OP_LE: *out = x <= y; return true;
    case OP_GT: *out = x > y; return true;
    case OP_GE: *out = x >= y; return true;
    case OP_AND: *out = x != 0 && y != 0; return true;
    case OP_OR: *out = x != 0 || y != 0; return true;
    default: break;
    }
    if (ints)
        return fold_int(b, e, (int64_t)x, (int64_t)y, out);
    switch (e->op) {
    case OP_MUL: *out = (float)(x * y); return true;
    case OP_DIV: *out = (float)(x / y); return true;
    case OP_MOD: *out = (float)fmod(x, y); return true;
    case OP_ADD: *out = (float)(x + y); return true;
    case OP_SUB: *out = (float)(x - y); return true;
    default: return false;
    }
}

static bool fold_unary(Expr *e, double *out)
{
    double x = e->a->const_value;
    switch (e->op) {
    case OP_NEG: *out = is_i32(e) ? wrap_i32(-(int64_t)x) : -x; return true;
    case OP_NOT: *out = x == 0; return true;
    case OP_BITNOT: *out = (double)~(int64_t)x; return true;
    default: return false;
    }
}

/* Folds a builtin call whose arguments are constants (double precision,
 * rounded to f32, except for the i32 forms of abs/min/max/clamp). */
static bool fold_builtin(Expr *e, double *out)
{
    double v[3] = {0, 0, 0};
    for (int i = 0; i < e->nargs && i < 3; i++)
        v[i] = e->args[i]->const_value;
    double x = v[0], r;
    switch ((Builtin)e->a->index) {
    case BI_EXP: r = exp(x); break;
    case BI_EXP2: r = exp2(x); break;
    case BI_LOG: r = log(x); break;
    case BI_LOG2: r = log2(x); break;
    case BI_SQRT: r = sqrt(x); break;
    case BI_RSQRT: r = 1.0 / sqrt(x); break;
    case BI_TANH: r = tanh(x); break;
    case BI_SIGMOID: r = 1.0 / (1.0 + exp(-x)); break;
    case BI_SOFTPLUS: r = log1p(exp(x)); break;
    case BI_SILU: r = x / (1.0 + exp(-x)); break;
    case BI_SIN: r = sin(x); break;
    case BI_COS: r = cos(x); break;
    case BI_POW: r = pow(x, v[1]); break;
    case BI_ABS: r = fabs(x); break;
    case BI_MIN: r = x < v[1] ? x : v[1]; break;
    case BI_MAX: r = x > v[1] ? x : v[1]; break;
    case BI_CLAMP: r = x < v[1] ? v[1] : x > v[2] ? v[2] : x; break;
    case BI_FLOOR: r = floor(x); break;
    case BI_CEIL: r = ceil(x); break;
    case BI_F32: r = x; break;
    case BI_I32:
        if (!(x > -2147483649.0 && x < 2147483648.0))
            return false; /* not representable: left to run time */
        r = trunc(x);
        break;
    default: return false;
    }
    *out = is_i32(e) ? wrap_i32((int64_t)r) : (double)(float)r;
    return true;
}

void sema_fold(Body *b, Expr *e)
{
    double out = 0;
    bool ok = false;
    switch (e->kind) {
    case EX_UNARY: ok = e->a->const_valid && fold_unary(e, &out); break;
    case EX_BINARY: ok = e->a->const_valid && e->b->const_valid && fold_binary(b, e, &out); break;
    case EX_COND:
        ok = e->a->const_valid && e->b->const_valid && e->c->const_valid;
        out = e->a->const_value != 0 ? e->b->const_value : e->c->const_value;
        break;
    case EX_CALL:
        if (e->a && e->a->ref == REF_BUILTIN) {
            ok = true;
            for (int i = 0; i < e->nargs; i++)
                ok &= e->args[i]->const_valid;
            ok = ok && fold_builtin(e, &out);
        }
        break;
    default: return; /* literals and names fold where they are typed */
    }
    e->const_valid = ok;
    e->const_value = ok ? out : 0;
}
