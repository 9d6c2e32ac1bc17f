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
    EMU_VARIANT_VISITS,     /* no mask; the score hook counts its calls (emu_hooks_visits) */
};

#if !defined(__NVPTX__)
/* EMU_VARIANT_VISITS on the host: when not NULL, the score hook adds 1 to
 * element (b, h, q, kv) of this [B, H, Q, KV] array at each call. */
extern int *emu_hooks_visits;
#endif

#endif
