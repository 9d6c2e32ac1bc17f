/* emu_hooks.h - the variants the hand-written test hooks implement. */
#ifndef EMU_HOOKS_H
#define EMU_HOOKS_H

#include "attn_abi.h"

enum {
    EMU_VARIANT_NONE,       /* no mask */
    EMU_VARIANT_CAUSAL,     /* kv <= q */
    EMU_VARIANT_WINDOW,     /* causal, q - kv < params[1].i */
    EMU_VARIANT_SOFTCAP,    /* no mask, s = cap * tanh(s / cap), cap = params[2].f */
    EMU_VARIANT_DOCS,       /* packed documents: same segment of params[3].p */
    EMU_VARIANT_EMPTY_ROWS, /* causal, rows q % 3 == 0 fully masked */
};

#endif
