/* The kernel template with the doc_causal hooks (see variant_rename.h). */
#define VARIANT bmdocs
#include "variant_rename.h"
#include "hooks_bm_docs.c"
#include "attn_fwd_cpu.c"
