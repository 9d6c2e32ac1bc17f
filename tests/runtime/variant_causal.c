/* The kernel template with the hand-written causal hooks (see variant_rename.h). */
#define VARIANT causal
#include "variant_rename.h"
#include "hooks/hooks_causal.c"
#include "attn_fwd_cpu.c"
