/* attn_math.h - float math builtins of the .attn language, written once in C.
 *
 * Generated hooks call these by name (attn_math_exp, ...); kernel templates
 * may call them too. They are compiled to bitcode with every template and
 * inline away after linking. On x86-64 they are branch-free polynomial /
 * range-reduction code without libm calls, so loops calling them vectorize;
 * on NVPTX they map to PTX instructions (ex2.approx, lg2.approx, tanh.approx,
 * ...). Accuracy per target: docs/math-accuracy.md. */
#ifndef ATTN_MATH_H
#define ATTN_MATH_H

float attn_math_exp(float x);
float attn_math_exp2(float x);
float attn_math_log(float x);
float attn_math_log2(float x);
float attn_math_sqrt(float x);
float attn_math_rsqrt(float x);
float attn_math_tanh(float x);
float attn_math_sigmoid(float x);   /* 1 / (1 + exp(-x)) */
float attn_math_softplus(float x);  /* log(1 + exp(x)), computed without overflow */
float attn_math_silu(float x);      /* x * sigmoid(x) */
float attn_math_sin(float x);
float attn_math_cos(float x);
float attn_math_pow(float x, float y);
float attn_math_floor(float x);
float attn_math_ceil(float x);

#endif
