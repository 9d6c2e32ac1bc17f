/* The kernel template with the table_mask hooks (see variant_rename.h). */
#define VARIANT bmtable
#include "variant_rename.h"
#include "hooks_bm_table.c"
#include "attn_fwd_cpu.c"
