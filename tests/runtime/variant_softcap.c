/* The kernel template with the hand-written softcap hooks (see variant_rename.h). */
#define VARIANT softcap
#include "variant_rename.h"
#include "hooks/hooks_softcap.c"
#include "attn_fwd_cpu.c"
