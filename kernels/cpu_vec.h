/* cpu_vec.h - portable SIMD helpers for the CPU kernel template.
 *
 * Plain C with GCC/clang vector extensions (`vector_size`), no target
 * intrinsics: LLVM legalizes the 16-lane vectors for whatever the template
 * is compiled for (one zmm register on AVX-512, two ymm on AVX2, scalar
 * loops elsewhere; the file also compiles for nvptx64). Also: element
 * conversions f16/bf16 <-> f32, and an accurate vectorizable exp2. */
#ifndef ATTN_CPU_VEC_H
#define ATTN_CPU_VEC_H

#include <stdint.h>

#define CPU_VEC 16 /* f32 lanes per vector */

typedef float cpu_v16 __attribute__((vector_size(64)));
/* Same vector with 4-byte alignment: loads and stores at any float address. */
typedef float cpu_v16u __attribute__((vector_size(64), aligned(4)));

/* Macros rather than functions: gcc warns (-Wpsabi) about functions that
 * pass 64-byte vectors when the target has no AVX-512. */
#define CPU_LOAD(p) (*(const cpu_v16u *)(p))
#define CPU_STORE(p, v) (*(cpu_v16u *)(p) = (v))
#define CPU_SPLAT(x)                                                                     \
    __extension__({                                                                      \
        float s_ = (x);                                                                  \
        (cpu_v16){s_, s_, s_, s_, s_, s_, s_, s_, s_, s_, s_, s_, s_, s_, s_, s_};       \
    })

/* One stage of a 16x16 transpose (rows as vectors): rows a and b (= a + w,
 * w = 8, 4, 2, 1) swap their off-diagonal w-blocks. Four stages transpose. */
#define CPU_SWAP_BLOCKS(a, b, lo_idx, hi_idx)                                            \
    do {                                                                                 \
        cpu_v16 lo_ = __builtin_shufflevector(a, b, lo_idx);                             \
        cpu_v16 hi_ = __builtin_shufflevector(a, b, hi_idx);                             \
        a = lo_;                                                                         \
        b = hi_;                                                                         \
    } while (0)
/* Unrolling and vectorization of register-blocked and lane-wise code, fixed
 * in the source rather than left to the cost model of the build's generic
 * x86-64 target (the x86 templates are optimized at build time:
 * cmake/AttnKernels.cmake, CG_FIXED_SECTION in compiler/cg.h), which would
 * keep small vector arrays in memory and vectorize 4 lanes at a time. */
#ifdef __clang__
#define CPU_UNROLL_FULL _Pragma("clang loop unroll(full)")
#define CPU_VECTORIZE _Pragma("clang loop vectorize(enable) vectorize_width(16)")
#else
#define CPU_UNROLL_FULL
#define CPU_VECTORIZE
#endif

#define CPU_LO8 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23
#define CPU_HI8 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31
#define CPU_LO4 0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27
#define CPU_HI4 4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31
#define CPU_LO2 0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29
#define CPU_HI2 2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31
#define CPU_LO1 0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30
#define CPU_HI1 1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31

/* dst[i * dst_stride + j] = src[j * src_stride + i] for a 16x16 block. */
static inline void cpu_transpose16(float *dst, int64_t dst_stride, const float *src,
                                   int64_t src_stride) {
    cpu_v16 r[16];
    CPU_UNROLL_FULL
    for (int i = 0; i < 16; i++)
        r[i] = CPU_LOAD(src + i * src_stride);
    CPU_UNROLL_FULL
    for (int i = 0; i < 8; i++)
        CPU_SWAP_BLOCKS(r[i], r[i + 8], CPU_LO8, CPU_HI8);
    CPU_UNROLL_FULL
    for (int i = 0; i < 16; i += 8)
        CPU_UNROLL_FULL
        for (int k = 0; k < 4; k++)
            CPU_SWAP_BLOCKS(r[i + k], r[i + k + 4], CPU_LO4, CPU_HI4);
    CPU_UNROLL_FULL
    for (int i = 0; i < 16; i += 4)
        CPU_UNROLL_FULL
        for (int k = 0; k < 2; k++)
            CPU_SWAP_BLOCKS(r[i + k], r[i + k + 2], CPU_LO2, CPU_HI2);
    CPU_UNROLL_FULL
    for (int i = 0; i < 16; i += 2)
        CPU_SWAP_BLOCKS(r[i], r[i + 1], CPU_LO1, CPU_HI1);
    CPU_UNROLL_FULL
    for (int i = 0; i < 16; i++)
        CPU_STORE(dst + i * dst_stride, r[i]);
}

static inline uint32_t cpu_f32_bits(float x) {
    uint32_t u;
    __builtin_memcpy(&u, &x, sizeof u);
    return u;
}

static inline float cpu_bits_f32(uint32_t u) {
    float x;
    __builtin_memcpy(&x, &u, sizeof x);
    return x;
}

/* bf16 is the upper half of an f32: widening is exact. */
static inline float cpu_bf16_to_f32(uint16_t h) { return cpu_bits_f32((uint32_t)h << 16); }

/* f32 -> bf16, round to nearest even; NaN stays a (quiet) NaN. */
static inline uint16_t cpu_f32_to_bf16(float x) {
    uint32_t u = cpu_f32_bits(x);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((u >> 16) | 0x40u);
    return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

/* IEEE binary16 through the compiler's _Float16 (exact widening; narrowing
 * rounds to nearest even). */
static inline float cpu_f16_to_f32(uint16_t h) {
    _Float16 x;
    __builtin_memcpy(&x, &h, sizeof x);
    return (float)x;
}

static inline uint16_t cpu_f32_to_f16(float f) {
    _Float16 x = (_Float16)f;
    uint16_t h;
    __builtin_memcpy(&h, &x, sizeof h);
    return h;
}

/* 2^x for x <= 0 (the only range online softmax needs; larger x is clamped
 * to 2^127). Maximum error 2 ulp over [-126, 0] (checked by
 * tests/runtime/test_kernel.c against double exp2): the argument is split
 * as x = n + f with n = rint(x), |f| <= 1/2, and 2^f comes from its degree-7
 * Taylor polynomial (truncation error < 5e-9 relative) times 2^n built in the
 * exponent bits. Results below 2^-126 flush to 0, so 2^-inf = 0 exactly;
 * NaN propagates. No branches and no float->int conversion: vectorizes. */
static inline float cpu_exp2(float x) {
    const float shifter = 12582912.0f; /* 1.5 * 2^23: float add rounds to an integer */
    float xc = x < -126.0f ? -126.0f : (x > 127.0f ? 127.0f : x);
    float t = xc + shifter;
    float n = t - shifter;
    float f = xc - n;
    uint32_t ni = cpu_f32_bits(t) - cpu_f32_bits(shifter); /* n as two's complement */
    float scale = cpu_bits_f32((ni + 127u) << 23);
    float p = 1.5252733804059841e-05f;
    p = p * f + 1.5403530393381610e-04f;
    p = p * f + 1.3333558146428443e-03f;
    p = p * f + 9.6181291076284772e-03f;
    p = p * f + 5.5504108664821580e-02f;
    p = p * f + 2.4022650695910071e-01f;
    p = p * f + 6.9314718055994531e-01f;
    p = p * f + 1.0f;
    float r = p * scale;
    return x < -126.0f ? 0.0f : r;
}

#endif
