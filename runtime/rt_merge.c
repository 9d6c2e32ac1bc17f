/* rt_merge.c - attn_merge_partials: combining two attention results over
 * disjoint key sets through their log-sum-exp (context-parallel / ring
 * attention). Works on any strides, f32/f16/bf16 outputs, f32 lse. */
#include <math.h>

#include "cpu_vec.h"
#include "rt_internal.h"

static float rt_load(const void *base, int64_t i, int32_t dtype) {
    if (dtype == ATTN_F32)
        return ((const float *)base)[i];
    uint16_t h = ((const uint16_t *)base)[i];
    return dtype == ATTN_BF16 ? cpu_bf16_to_f32(h) : cpu_f16_to_f32(h);
}

static void rt_store(void *base, int64_t i, int32_t dtype, float x) {
    if (dtype == ATTN_F32)
        ((float *)base)[i] = x;
    else
        ((uint16_t *)base)[i] = dtype == ATTN_BF16 ? cpu_f32_to_bf16(x) : cpu_f32_to_f16(x);
}

/* Checks that t has rank `rank`, the given dtype set, and the shape of ref. */
static attn_status rt_check_like(const DLTensor *t, const char *what, int32_t rank,
                                 const DLTensor *ref) {
    attn_status s = rt_check_cpu_tensor(t, what);
    if (s != ATTN_OK)
        return s;
    if (t->ndim != rank)
        return rt_fail(ATTN_ERR_SHAPE, "%s: expected %d dimensions, got %d", what, (int)rank,
                       (int)t->ndim);
    int32_t dt = rt_dtype_from_dl(t->dtype);
    char buf[32];
    if (rank == 3 ? dt != ATTN_F32 : (dt != ATTN_F32 && dt != ATTN_F16 && dt != ATTN_BF16))
        return rt_fail(ATTN_ERR_DTYPE, "%s: unsupported dtype %s", what,
                       rt_dl_dtype_name(t->dtype, buf));
    if (ref) {
        if (rt_dtype_from_dl(ref->dtype) != dt)
            return rt_fail(ATTN_ERR_DTYPE, "%s: dtype %s does not match out_a's", what,
                           rt_dl_dtype_name(t->dtype, buf));
        for (int32_t i = 0; i < rank; i++)
            if (t->shape[i] != ref->shape[i])
                return rt_fail(ATTN_ERR_SHAPE, "%s: dimension %d is %lld, expected %lld", what,
                               (int)i, (long long)t->shape[i], (long long)ref->shape[i]);
    }
    return ATTN_OK;
}

attn_status attn_merge_partials(DLTensor *out_a, DLTensor *lse_a, const DLTensor *out_b,
                                const DLTensor *lse_b) {
    attn_status s;
    if ((s = rt_check_like(out_a, "out_a", 4, NULL)) != ATTN_OK ||
        (s = rt_check_like(out_b, "out_b", 4, out_a)) != ATTN_OK ||
        (s = rt_check_like(lse_a, "lse_a", 3, NULL)) != ATTN_OK ||
        (s = rt_check_like(lse_b, "lse_b", 3, lse_a)) != ATTN_OK)
        return s;
    for (int32_t i = 0; i < 3; i++)
        if (lse_a->shape[i] != out_a->shape[i])
            return rt_fail(ATTN_ERR_SHAPE, "lse_a: dimension %d is %lld, expected %lld (from out_a)",
                           (int)i, (long long)lse_a->shape[i], (long long)out_a->shape[i]);
    const int32_t dt = rt_dtype_from_dl(out_a->dtype);
    void *oa = rt_data(out_a), *la = rt_data(lse_a);
    const void *ob = rt_data(out_b), *lb = rt_data(lse_b);
    for (int64_t b = 0; b < out_a->shape[0]; b++)
        for (int64_t h = 0; h < out_a->shape[1]; h++)
            for (int64_t q = 0; q < out_a->shape[2]; q++) {
                int64_t ia = b * rt_stride(lse_a, 0) + h * rt_stride(lse_a, 1) + q * rt_stride(lse_a, 2);
                int64_t ib = b * rt_stride(lse_b, 0) + h * rt_stride(lse_b, 1) + q * rt_stride(lse_b, 2);
                float x = ((float *)la)[ia], y = ((const float *)lb)[ib];
                float m = x > y ? x : y;
                float lse = m == -INFINITY ? -INFINITY : m + logf(expf(x - m) + expf(y - m));
                float wa = m == -INFINITY ? 0.0f : expf(x - lse);
                float wb = m == -INFINITY ? 0.0f : expf(y - lse);
                ((float *)la)[ia] = lse;
                int64_t oa0 = b * rt_stride(out_a, 0) + h * rt_stride(out_a, 1) + q * rt_stride(out_a, 2);
                int64_t ob0 = b * rt_stride(out_b, 0) + h * rt_stride(out_b, 1) + q * rt_stride(out_b, 2);
                for (int64_t d = 0; d < out_a->shape[3]; d++) {
                    int64_t ja = oa0 + d * rt_stride(out_a, 3), jb = ob0 + d * rt_stride(out_b, 3);
                    rt_store(oa, ja, dt, rt_load(oa, ja, dt) * wa + rt_load(ob, jb, dt) * wb);
                }
            }
    return ATTN_OK;
}
