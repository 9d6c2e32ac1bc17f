/* test_variants.h - the hand-written test variants as attn_variant
 * descriptors (what the compiler will emit for the matching .attn code). */
#ifndef TEST_VARIANTS_H
#define TEST_VARIANTS_H

#include "attn.h"

typedef enum tv_id { TV_NONE, TV_CAUSAL, TV_WINDOW, TV_DOCS, TV_SOFTCAP, TV_SHIFTED, TV_COUNT } tv_id;

const attn_variant *tv_variant(tv_id id);

#endif
