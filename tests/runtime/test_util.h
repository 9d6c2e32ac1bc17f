/* test_util.h - owned DLTensors in any layout, element access as double,
 * and a tiny check macro for the runtime tests. */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <stdio.h>

#include "attn.h"

extern int tt_failures;

#define TT_CHECK(cond, ...)                                                   \
    do {                                                                      \
        if (!(cond)) {                                                        \
            tt_failures++;                                                    \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                     \
            fprintf(stderr, "\n");                                            \
        }                                                                     \
    } while (0)

/* Memory layouts a test tensor can have (last dimension always contiguous). */
typedef enum tt_layout {
    TT_COMPACT,
    TT_PADDED,     /* every row padded by 3 elements, every plane by 1 row */
    TT_SWAP12,     /* rank 4: axes 1 and 2 swapped in memory ([B, S, H, D] storage) */
} tt_layout;

typedef struct tt_tensor {
    DLTensor t;
    int64_t shape[ATTN_MAX_RANK];
    int64_t strides[ATTN_MAX_RANK];
    void *mem;
} tt_tensor;

DLDataType tt_dl(int32_t attn_dtype);
/* Allocates a zero-filled tensor; aborts the test on allocation failure. */
void tt_alloc(tt_tensor *x, int32_t attn_dtype, int32_t ndim, const int64_t *shape, tt_layout layout);
void tt_free(tt_tensor *x);
/* Element at multi-index idx (ndim entries), as double / stored from double
 * (rounded to the tensor's dtype). */
double tt_get(const tt_tensor *x, const int64_t *idx);
void tt_set(tt_tensor *x, const int64_t *idx, double v);
/* Fills with uniform values in [-amp, amp) from a simple LCG seeded by seed. */
void tt_fill_random(tt_tensor *x, uint64_t seed, double amp);
/* The value v rounded to dtype and back. */
double tt_round(int32_t attn_dtype, double v);

#endif
