/* The kernel template with the hand-written shifted hooks (see variant_rename.h). */
#define VARIANT shifted
#include "variant_rename.h"
#include "hooks/hooks_shifted.c"
#include "attn_fwd_cpu.c"
