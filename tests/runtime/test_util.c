/* test_util.c - see test_util.h. */
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

#include "cpu_vec.h"

int tt_failures;

DLDataType tt_dl(int32_t d) {
    DLDataType t = {kDLFloat, 32, 1};
    if (d == ATTN_F16)
        t.bits = 16;
    else if (d == ATTN_BF16)
        t.code = kDLBfloat, t.bits = 16;
    else if (d == ATTN_I32)
        t.code = kDLInt;
    else if (d == ATTN_BOOL)
        t.code = kDLBool, t.bits = 8;
    return t;
}

void tt_alloc(tt_tensor *x, int32_t d, int32_t ndim, const int64_t *shape, tt_layout layout) {
    memset(x, 0, sizeof *x);
    int64_t ext[ATTN_MAX_RANK]; /* allocated extent per axis */
    for (int32_t i = 0; i < ndim; i++) {
        x->shape[i] = shape[i];
        ext[i] = shape[i] + (layout == TT_PADDED && i > 0 ? (i == ndim - 1 ? 3 : 1) : 0);
    }
    int32_t order[ATTN_MAX_RANK]; /* axes from outermost to innermost in memory */
    for (int32_t i = 0; i < ndim; i++)
        order[i] = i;
    if (layout == TT_SWAP12 && ndim == 4)
        order[1] = 2, order[2] = 1;
    int64_t s = 1;
    for (int32_t i = ndim - 1; i >= 0; i--) {
        x->strides[order[i]] = s;
        s *= ext[order[i]] > 0 ? ext[order[i]] : 1;
    }
    x->t.dtype = tt_dl(d);
    size_t bytes = (size_t)s * (size_t)((x->t.dtype.bits + 7) / 8) + 64;
    x->mem = calloc(1, bytes);
    if (!x->mem) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    x->t.data = x->mem;
    x->t.device.device_type = kDLCPU;
    x->t.ndim = ndim;
    x->t.shape = x->shape;
    x->t.strides = layout == TT_COMPACT ? NULL : x->strides;
}

void tt_free(tt_tensor *x) {
    free(x->mem);
    x->mem = NULL;
}

static int64_t tt_offset(const tt_tensor *x, const int64_t *idx) {
    int64_t o = 0;
    for (int32_t i = 0; i < x->t.ndim; i++)
        o += idx[i] * x->strides[i];
    return o;
}

double tt_round(int32_t d, double v) {
    switch (d) {
    case ATTN_F16: return cpu_f16_to_f32(cpu_f32_to_f16((float)v));
    case ATTN_BF16: return cpu_bf16_to_f32(cpu_f32_to_bf16((float)v));
    case ATTN_I32: return (double)(int32_t)v;
    case ATTN_BOOL: return v != 0;
    default: return (float)v;
    }
}

double tt_get(const tt_tensor *x, const int64_t *idx) {
    int64_t o = tt_offset(x, idx);
    DLDataType t = x->t.dtype;
    if (t.code == kDLFloat && t.bits == 32)
        return ((const float *)x->mem)[o];
    if (t.code == kDLFloat)
        return cpu_f16_to_f32(((const uint16_t *)x->mem)[o]);
    if (t.code == kDLBfloat)
        return cpu_bf16_to_f32(((const uint16_t *)x->mem)[o]);
    if (t.code == kDLInt)
        return ((const int32_t *)x->mem)[o];
    return ((const uint8_t *)x->mem)[o];
}

void tt_set(tt_tensor *x, const int64_t *idx, double v) {
    int64_t o = tt_offset(x, idx);
    DLDataType t = x->t.dtype;
    if (t.code == kDLFloat && t.bits == 32)
        ((float *)x->mem)[o] = (float)v;
    else if (t.code == kDLFloat)
        ((uint16_t *)x->mem)[o] = cpu_f32_to_f16((float)v);
    else if (t.code == kDLBfloat)
        ((uint16_t *)x->mem)[o] = cpu_f32_to_bf16((float)v);
    else if (t.code == kDLInt)
        ((int32_t *)x->mem)[o] = (int32_t)v;
    else
        ((uint8_t *)x->mem)[o] = v != 0;
}

void tt_fill_random(tt_tensor *x, uint64_t seed, double amp) {
    int64_t idx[ATTN_MAX_RANK] = {0};
    int64_t n = 1;
    for (int32_t i = 0; i < x->t.ndim; i++)
        n *= x->shape[i];
    uint64_t st = seed * 6364136223846793005ull + 1442695040888963407ull;
    for (int64_t e = 0; e < n; e++) {
        st = st * 6364136223846793005ull + 1442695040888963407ull;
        double u = (double)(st >> 11) / 9007199254740992.0;
        tt_set(x, idx, (2 * u - 1) * amp);
        for (int32_t i = x->t.ndim - 1; i >= 0; i--) {
            if (++idx[i] < x->shape[i])
                break;
            idx[i] = 0;
        }
    }
}
