/* math_accuracy.c - max ulp error of the x86 attn_math_* builtins against
 * libm in double precision, over a sweep of every 2^k-th float in each
 * function's domain. Prints the table of docs/math-accuracy.md and fails when
 * a function exceeds its documented bound. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "attn_math.h"

typedef struct Case {
    const char *name;
    float (*f)(float);
    double (*ref)(double);
    float lo, hi;      /* swept domain */
    double bound;      /* documented max ulp error */
} Case;

static double ref_rsqrt(double x) { return 1.0 / sqrt(x); }
static double ref_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }
static double ref_softplus(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }
static double ref_silu(double x) { return x / (1.0 + exp(-x)); }

/* Error of got in units of the float ulp at ref (denormal ulp below FLT_MIN). */
static double ulp_error(float got, double ref)
{
    if (isnan(ref) || isnan(got))
        return isnan(ref) && isnan(got) ? 0 : INFINITY;
    if (isinf(ref) || isinf(got) || fabs(ref) > 3.4028234663852886e38)
        return (float)ref == got ? 0 : INFINITY;
    int e;
    frexp(fmax(fabs(ref), 1.1754943508222875e-38), &e);
    double ulp = ldexp(1.0, e - 24);
    return fabs((double)got - ref) / ulp;
}

static float next_sweep(float x, uint32_t step)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    /* walk the ordered integer image of floats */
    int64_t k = (u & 0x80000000u) ? -(int64_t)(u & 0x7fffffffu) : (int64_t)u;
    k += step;
    u = k < 0 ? (uint32_t)(-k) | 0x80000000u : (uint32_t)k;
    memcpy(&x, &u, sizeof x);
    return x;
}

static double sweep(const Case *c, float *worst_at)
{
    double worst = 0;
    for (float x = c->lo; x <= c->hi; x = next_sweep(x, 97)) {
        double e = ulp_error(c->f(x), c->ref((double)x));
        if (e > worst) {
            worst = e;
            *worst_at = x;
        }
    }
    return worst;
}

static float pow_at_2(float x) { return attn_math_pow(x, 2.5f); }
static double ref_pow_at_2(double x) { return pow(x, 2.5); }
static float pow_of_3(float y) { return attn_math_pow(3.0f, y); }
static double ref_pow_of_3(double y) { return pow(3.0, y); }

int main(void)
{
    static const Case cases[] = {
        {"exp", attn_math_exp, exp, -103.0f, 88.0f, 2},
        {"exp2", attn_math_exp2, exp2, -149.0f, 127.9f, 2},
        {"log", attn_math_log, log, 1e-44f, 3e38f, 2},
        {"log2", attn_math_log2, log2, 1e-44f, 3e38f, 2},
        {"sqrt", attn_math_sqrt, sqrt, 0.0f, 3e38f, 0.5},
        {"rsqrt", attn_math_rsqrt, ref_rsqrt, 1e-37f, 3e38f, 2},
        {"tanh", attn_math_tanh, tanh, -20.0f, 20.0f, 2},
        {"sigmoid", attn_math_sigmoid, ref_sigmoid, -80.0f, 80.0f, 3},
        {"softplus", attn_math_softplus, ref_softplus, -80.0f, 80.0f, 3},
        {"silu", attn_math_silu, ref_silu, -80.0f, 80.0f, 3},
        {"sin", attn_math_sin, sin, -8192.0f, 8192.0f, 2},
        {"cos", attn_math_cos, cos, -8192.0f, 8192.0f, 5},
        {"floor", attn_math_floor, floor, -1e10f, 1e10f, 0},
        {"ceil", attn_math_ceil, ceil, -1e10f, 1e10f, 0},
        {"pow(x,2.5)", pow_at_2, ref_pow_at_2, 1e-10f, 1e15f, 128},
        {"pow(3,y)", pow_of_3, ref_pow_of_3, -80.0f, 80.0f, 64},
    };
    int failed = 0;
    printf("| function | domain | max ulp (x86-64) | at |\n|---|---|---|---|\n");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const Case *c = &cases[i];
        float at = 0;
        double worst = sweep(c, &at);
        printf("| %s | [%g, %g] | %.2f | %g |\n", c->name, c->lo, c->hi, worst, at);
        if (!(worst <= c->bound)) {
            printf("FAIL: %s: %.2f ulp > documented %.2f\n", c->name, worst, c->bound);
            failed = 1;
        }
    }
    /* Special values. */
    struct { const char *what; float got, want; } sp[] = {
        {"exp(-inf)", attn_math_exp(-INFINITY), 0.0f},
        {"exp(inf)", attn_math_exp(INFINITY), INFINITY},
        {"exp(100)", attn_math_exp(100.0f), INFINITY},
        {"log(0)", attn_math_log(0.0f), -INFINITY},
        {"log(inf)", attn_math_log(INFINITY), INFINITY},
        {"tanh(inf)", attn_math_tanh(INFINITY), 1.0f},
        {"tanh(-inf)", attn_math_tanh(-INFINITY), -1.0f},
        {"sigmoid(-inf)", attn_math_sigmoid(-INFINITY), 0.0f},
        {"softplus(inf)", attn_math_softplus(INFINITY), INFINITY},
        {"softplus(-inf)", attn_math_softplus(-INFINITY), 0.0f},
        {"pow(-2,3)", attn_math_pow(-2.0f, 3.0f), -8.0f},
        {"pow(0,0)", attn_math_pow(0.0f, 0.0f), 1.0f},
        {"floor(-0.5)", attn_math_floor(-0.5f), -1.0f},
        {"ceil(-0.5)", attn_math_ceil(-0.5f), -0.0f},
    };
    for (size_t i = 0; i < sizeof sp / sizeof sp[0]; i++)
        if (sp[i].got != sp[i].want) {
            printf("FAIL: %s = %g, want %g\n", sp[i].what, sp[i].got, sp[i].want);
            failed = 1;
        }
    float nan_in[] = {attn_math_exp(NAN), attn_math_log(-1.0f), attn_math_log(NAN), attn_math_sin(INFINITY),
                      attn_math_cos(NAN), attn_math_tanh(NAN), attn_math_pow(-2.0f, 0.5f)};
    for (size_t i = 0; i < sizeof nan_in / sizeof nan_in[0]; i++)
        if (!isnan(nan_in[i])) {
            printf("FAIL: NaN case %zu gave %g\n", i, nan_in[i]);
            failed = 1;
        }
    return failed;
}
