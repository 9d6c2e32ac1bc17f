/* attn_math.c - the math builtins (see attn_math.h).
 *
 * x86-64: Cephes-style range reduction + minimax polynomials, every branch
 * written as a select so that loops vectorize; special values (NaN, +-inf,
 * zero, negatives for log) are patched with selects at the end.
 * NVPTX: the PTX approximate instructions where they exist.
 * Shared: the functions composed from the primitives (sigmoid, softplus,
 * silu, pow). */
#include "attn_math.h"

#include <stdint.h>

#define LOG2E 1.44269504088896341f
#define LN2 0.693147180559945309f

#ifdef __NVPTX__

float attn_math_exp2(float x) { return __nvvm_ex2_approx_f(x); }
float attn_math_exp(float x) { return __nvvm_ex2_approx_f(x * LOG2E); }
float attn_math_log2(float x) { return __nvvm_lg2_approx_f(x); }
float attn_math_log(float x) { return __nvvm_lg2_approx_f(x) * LN2; }
float attn_math_sqrt(float x) { return __builtin_sqrtf(x); }
float attn_math_rsqrt(float x) { return __nvvm_rsqrt_approx_f(x); }
float attn_math_tanh(float x)
{
    float r;
    __asm__("tanh.approx.f32 %0, %1;" : "=f"(r) : "f"(x)); /* no clang builtin in LLVM 19 */
    return r;
}
float attn_math_sin(float x) { return __nvvm_sin_approx_f(x); }
float attn_math_cos(float x) { return __nvvm_cos_approx_f(x); }
float attn_math_floor(float x) { return __builtin_floorf(x); }
float attn_math_ceil(float x) { return __builtin_ceilf(x); }

#else

static uint32_t bits_of(float x)
{
    uint32_t u;
    __builtin_memcpy(&u, &x, sizeof u);
    return u;
}

static float float_of(uint32_t u)
{
    float x;
    __builtin_memcpy(&x, &u, sizeof x);
    return x;
}

static int is_nan(float x) { return x != x; }

/* Round to nearest integer, for |x| < 2^22 (adding and removing 1.5 * 2^23). */
static float round_near(float x) { return (x + 12582912.0f) - 12582912.0f; }


/* x * 2^n for n in [-252, 254], scaling in two steps so that neither factor
 * overflows before the result does. */
static float scale2(float x, float n)
{
    int32_t k = (int32_t)n;
    int32_t a = k / 2, b = k - k / 2;
    return (x * float_of((uint32_t)(a + 127) << 23)) * float_of((uint32_t)(b + 127) << 23);
}

float attn_math_exp2(float x)
{
    float xc = !(x >= -150.0f) ? -150.0f : x > 128.0f ? 128.0f : x;
    float n = round_near(xc);
    float f = xc - n; /* [-0.5, 0.5] */
    float p = ((((1.535336188319500e-4f * f + 1.339887440266574e-3f) * f +
                 9.618437357674640e-3f) * f + 5.550332471162809e-2f) * f +
               2.402264791363012e-1f) * f + 6.931472028550421e-1f;
    float r = scale2(1.0f + p * f, n);
    return is_nan(x) ? x : r;
}

float attn_math_exp(float x)
{
    float xc = !(x >= -104.0f) ? -104.0f : x > 89.0f ? 89.0f : x;
    float n = round_near(xc * LOG2E);
    /* Cody-Waite: ln 2 = 0.693359375 - 2.12194440e-4, the first part exact. */
    float f = (xc - n * 0.693359375f) + n * 2.12194440e-4f; /* [-ln2/2, ln2/2] */
    float z = f * f;
    float p = (((((1.9875691500e-4f * f + 1.3981999507e-3f) * f + 8.3334519073e-3f) * f +
                 4.1665795894e-2f) * f + 1.6666665459e-1f) * f + 5.0000001201e-1f) * z + f + 1.0f;
    float r = scale2(p, n);
    return is_nan(x) ? x : r;
}

/* Splits finite x > 0 as 2^e * (1 + m) with 1 + m in [sqrt(1/2), sqrt(2)),
 * and returns y with log(1 + m) = m + y. */
static float log_core(float x, float *e, float *m)
{
    int denormal = x < 1.17549435e-38f;
    float xs = denormal ? x * 8388608.0f : x;
    uint32_t u = bits_of(xs);
    int32_t ei = (int32_t)(u >> 23) - 126 - (denormal ? 23 : 0);
    float mant = float_of((u & 0x007fffffu) | 0x3f000000u); /* [0.5, 1) */
    int below = mant < 0.707106781186547524f;
    ei = below ? ei - 1 : ei;
    float mm = below ? mant + mant - 1.0f : mant - 1.0f;
    float z = mm * mm;
    float p = ((((((((7.0376836292e-2f * mm - 1.1514610310e-1f) * mm + 1.1676998740e-1f) * mm -
                    1.2420140846e-1f) * mm + 1.4249322787e-1f) * mm - 1.6668057665e-1f) * mm +
                 2.0000714765e-1f) * mm - 2.4999993993e-1f) * mm + 3.3333331174e-1f) * mm * z;
    *e = (float)ei;
    *m = mm;
    return p - 0.5f * z;
}

/* The special values of log/log2: NaN below 0 and for NaN, -inf at 0, +inf at +inf. */
static float log_special(float x, float r)
{
    r = x == 0.0f ? -__builtin_inff() : r;
    r = x < 0.0f ? __builtin_nanf("") : r;
    r = x == __builtin_inff() ? x : r;
    return is_nan(x) ? x : r;
}

float attn_math_log(float x)
{
    float e, m;
    float y = log_core(x, &e, &m);
    return log_special(x, (m + (y - e * 2.12194440e-4f)) + e * 0.693359375f);
}

float attn_math_log2(float x)
{
    float e, m;
    float y = log_core(x, &e, &m);
    return log_special(x, e + (m * LOG2E + y * LOG2E));
}

float attn_math_sqrt(float x) { return __builtin_sqrtf(x); }
float attn_math_rsqrt(float x) { return 1.0f / __builtin_sqrtf(x); }

/* x * P(x^2) / Q(x^2), an odd [9/8] rational minimax for the relative error
 * on [0, 9.02] (max 0.37 ulp in exact arithmetic; fitted for this file by
 * Loeb + Lawson iteration), evaluated in double so that the float result
 * is within ~0.9 ulp. |x| is clamped to 9, where tanh rounds to 1 - 2^-24
 * and beyond about 9.011 to 1: +-inf give +-1, NaN stays NaN, and with
 * P(0) = Q(0) = 1 tiny x (and +-0) give x exactly. One division, no exp. */
float attn_math_tanh(float x)
{
    double d = x > 9.0f ? 9.0f : x < -9.0f ? -9.0f : x;
    double z = d * d;
    double p = (((1.3384898756129635e-08 * z + 2.0636261367410903e-05) * z +
                 3.4974843497454500e-03) * z + 1.3382709719343430e-01) * z;
    double q = (((7.7904980587174557e-07 * z + 3.2885609731872424e-04) * z +
                 2.5884462394228022e-02) * z + 4.6716030970969530e-01) * z + 1.0;
    return (float)((d + d * p) / q);
}

/* sin(ax + shift * pi/4) for ax >= 0, negated when `negate`: reduction by
 * pi/4 in double (exact enough for every |x| < 2^23; doubles vectorize too),
 * then Cephes' sine or cosine polynomial on [-pi/4, pi/4] in float. */
static float sin_octant(float ax, int32_t shift, int negate)
{
    float xc = ax <= 8388608.0f ? ax : 0.0f; /* keeps the conversion defined */
    int32_t j = (int32_t)(xc * 1.27323954473516f);
    j = (j + 1) & ~1;
    float r = (float)((double)xc - (double)j * 0.78539816339744830962);
    j = (j + shift) & 7;
    float z = r * r;
    float c = ((2.443315711809948e-5f * z - 1.388731625493765e-3f) * z + 4.166664568298827e-2f) *
                  z * z - 0.5f * z + 1.0f;
    float s = ((-1.9515295891e-4f * z + 8.3321608736e-3f) * z - 1.6666654611e-1f) * z * r + r;
    float v = (j & 3) == 2 ? c : s;
    v = ((j > 3) != negate) ? -v : v;
    return ax - ax == 0.0f ? v : __builtin_nanf(""); /* inf and NaN give NaN */
}

float attn_math_sin(float x) { return sin_octant(__builtin_fabsf(x), 0, x < 0.0f); }
float attn_math_cos(float x) { return sin_octant(__builtin_fabsf(x), 2, 0); }

float attn_math_floor(float x)
{
    int exact = !(__builtin_fabsf(x) < 8388608.0f); /* already integral, inf or NaN */
    float t = (float)(int32_t)(exact ? 0.0f : x);
    t = t > x ? t - 1.0f : t;
    return exact ? x : __builtin_copysignf(t, x);
}

float attn_math_ceil(float x)
{
    int exact = !(__builtin_fabsf(x) < 8388608.0f);
    float t = (float)(int32_t)(exact ? 0.0f : x);
    t = t < x ? t + 1.0f : t;
    return exact ? x : __builtin_copysignf(t, x);
}

#endif

float attn_math_sigmoid(float x) { return 1.0f / (1.0f + attn_math_exp(-x)); }
float attn_math_silu(float x) { return x * attn_math_sigmoid(x); }

float attn_math_softplus(float x)
{
    /* max(x, 0) + log1p(exp(-|x|)), with log1p(u) = log(w) - ((w - 1) - u) / w. */
    float u = attn_math_exp(-__builtin_fabsf(x));
    float w = 1.0f + u;
    float l = attn_math_log(w) - ((w - 1.0f) - u) / w;
    return (x > 0.0f ? x : 0.0f) + l;
}

float attn_math_pow(float x, float y)
{
    float r = attn_math_exp2(y * attn_math_log2(__builtin_fabsf(x)));
    int y_int = attn_math_floor(y) == y;
    int y_odd = y_int && attn_math_floor(y * 0.5f) != y * 0.5f;
    r = (x < 0.0f && y_odd) ? -r : r;
    r = (x < 0.0f && !y_int) ? __builtin_nanf("") : r;
    return (y == 0.0f || x == 1.0f) ? 1.0f : r;
}
