/* bm_compare.h - equality of two BlockMasks (the GPU builder's against the
 * CPU builder's), for test_blockmask_gpu and test_blockmask_cuda. */
#ifndef BM_COMPARE_H
#define BM_COMPARE_H

#include <stdbool.h>

#include "attn_blockmask.h"

/* True when want and got have the same shape fields and identical tables
 * (counts, index lists and the zeros past the counts, both sides); else
 * prints "FAIL WHAT: ..." naming the first difference. */
bool bm_compare(const attn_block_mask *want, const attn_block_mask *got, const char *what);

#endif
