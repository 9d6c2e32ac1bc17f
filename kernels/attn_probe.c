/* attn_probe.c - the hook probe template (attn_probe.h). Also the trivial
 * NVPTX kernel that the PTX tests assemble with ptxas. */
#include "attn_probe.h"

#ifdef __NVPTX__
#define PROBE_ENTRY __attribute__((nvptx_kernel))
static int32_t probe_thread(void) { return __nvvm_read_ptx_sreg_tid_x(); }
static int32_t probe_threads(void) { return __nvvm_read_ptx_sreg_ntid_x(); }
#else
#define PROBE_ENTRY
static int32_t probe_thread(void) { return 0; }
static int32_t probe_threads(void) { return 1; }
#endif

PROBE_ENTRY void attn_probe(const attn_ctx *ctx, attn_probe_io *io)
{
    for (int32_t i = probe_thread(); i < io->npts; i += probe_threads()) {
        attn_probe_point *p = &io->pts[i];
        p->mask = attn_hook_mask(p->b, p->h, p->q, p->kv, ctx);
        p->score = attn_hook_score(p->s, p->b, p->h, p->q, p->kv, ctx);
    }
    if (probe_thread() == 0) {
        io->nranges = attn_hook_kv_ranges(0, 0, io->q0, io->q1, ctx, io->ranges);
        io->mask_cost = attn_hook_mask_cost(ctx);
    }
}
