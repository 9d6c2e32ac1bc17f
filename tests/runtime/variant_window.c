/* The kernel template with the hand-written window hooks (see variant_rename.h). */
#define VARIANT window
#include "variant_rename.h"
#include "hooks/hooks_window.c"
#include "attn_fwd_cpu.c"
