/* rt_tensor.c - DLTensor helpers: dtypes, strides, element addresses. */
#include <stdio.h>

#include "rt_internal.h"

int32_t rt_dtype_from_dl(DLDataType t) {
    if (t.lanes != 1)
        return -1;
    if (t.code == kDLFloat && t.bits == 32)
        return ATTN_F32;
    if (t.code == kDLFloat && t.bits == 16)
        return ATTN_F16;
    if (t.code == kDLBfloat && t.bits == 16)
        return ATTN_BF16;
    if (t.code == kDLInt && t.bits == 32)
        return ATTN_I32;
    if ((t.code == kDLBool || t.code == kDLUInt) && t.bits == 8)
        return ATTN_BOOL;
    return -1;
}

const char *rt_dl_dtype_name(DLDataType t, char buf[32]) {
    static const char *const prefix[] = {"i", "u", "f", "handle", "bf", "c", "bool"};
    if (t.code == kDLBool && t.bits == 8 && t.lanes == 1)
        return "bool";
    const char *p = t.code <= kDLBool ? prefix[t.code] : "code?";
    if (t.lanes != 1)
        snprintf(buf, 32, "%.6s%ux%u", p, (unsigned)t.bits, (unsigned)t.lanes);
    else
        snprintf(buf, 32, "%.6s%u", p, (unsigned)t.bits);
    return buf;
}

int64_t rt_dl_elem_size(DLDataType t) { return (int64_t)((t.bits + 7) / 8) * t.lanes; }

int64_t rt_stride(const DLTensor *t, int32_t i) {
    if (t->strides)
        return t->strides[i];
    int64_t s = 1;
    for (int32_t j = t->ndim - 1; j > i; j--)
        s *= t->shape[j];
    return s;
}

int64_t rt_numel(const DLTensor *t) {
    int64_t n = 1;
    for (int32_t i = 0; i < t->ndim; i++)
        n *= t->shape[i];
    return n;
}

void *rt_data(const DLTensor *t) { return (char *)t->data + t->byte_offset; }

attn_status rt_check_cpu_tensor(const DLTensor *t, const char *what) {
    if (!t)
        return rt_fail(ATTN_ERR_INVALID_ARG, "%s: missing tensor", what);
    if (t->device.device_type != kDLCPU && t->device.device_type != kDLCUDAHost)
        return rt_fail(ATTN_ERR_UNSUPPORTED, "%s: tensor is on device type %d:%d, expected cpu",
                       what, (int)t->device.device_type, (int)t->device.device_id);
    if (t->ndim < 0 || t->ndim > ATTN_MAX_RANK || (t->ndim > 0 && !t->shape))
        return rt_fail(ATTN_ERR_SHAPE, "%s: invalid rank %d (at most %d dimensions)", what,
                       (int)t->ndim, ATTN_MAX_RANK);
    for (int32_t i = 0; i < t->ndim; i++)
        if (t->shape[i] < 0)
            return rt_fail(ATTN_ERR_SHAPE, "%s: dimension %d has negative size %lld", what,
                           (int)i, (long long)t->shape[i]);
    if (!t->data && rt_numel(t) > 0)
        return rt_fail(ATTN_ERR_INVALID_ARG, "%s: data pointer is NULL", what);
    return ATTN_OK;
}
