/* The kernel template with the hand-written none hooks (see variant_rename.h). */
#define VARIANT none
#include "variant_rename.h"
#include "hooks/hooks_none.c"
#include "attn_fwd_cpu.c"
