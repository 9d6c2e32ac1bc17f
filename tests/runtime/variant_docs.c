/* The kernel template with the hand-written docs hooks (see variant_rename.h). */
#define VARIANT docs
#include "variant_rename.h"
#include "hooks/hooks_docs.c"
#include "attn_fwd_cpu.c"
