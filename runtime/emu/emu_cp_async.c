/* emu_cp_async.c - the emulator's cp.async.cg.shared.global (16 bytes, with
 * the zero fill of a source size of 0), commit_group and wait_group.
 *
 * A copy is checked (shared-memory bounds, source alignment) and recorded
 * when issued, and lands when a wait_group of the issuing thread completes
 * its commit group; until then its destination holds 0xff bytes (NaN as f16
 * and bf16). So a kernel that reads a tile before waiting for it, or whose
 * prefetch overwrites a tile another warp still reads, computes with NaN
 * here as it would with garbage on the hardware. Returning with copies in
 * flight faults.
 *
 * wgmma reads shared memory through the async proxy, so data a thread's
 * cp.async (generic proxy) filled must be followed by its fence.proxy.async
 * (then a barrier, for the other threads' wgmma). Each filled 16-byte chunk
 * records the filling thread until that thread fences; emu_wgmma.c faults on
 * reading a chunk still recorded. Plain shared-memory stores are not seen by
 * the emulator, so their fences are not checked. */
#include <string.h>

#include "emu_internal.h"
#include "gpu_dev_emu.h"

void emu_dev_cp_async_16(void *dst, const void *src, int fill)
{
    emu_thread *t = emu_current();
    emu_cp_async_state *c = &t->cp_async;
    emu_check_smem(t->block, dst, 16, "cp.async");
    if (fill && (uintptr_t)src % 16)
        emu_fault("cp.async: global address %p is not 16-byte aligned", src);
    if ((uintptr_t)((char *)dst - t->block->smem) % 16)
        emu_fault("cp.async: shared address %p is not 16-byte aligned", dst);
    if (c->n == EMU_CP_ASYNC_MAX_PENDING)
        emu_fault("cp.async: more than %d copies in flight", EMU_CP_ASYNC_MAX_PENDING);
    memset(dst, 0xff, 16);
    c->op[c->n++] = (emu_cp_async_op){dst, fill ? src : NULL, -1};
}

void emu_dev_cp_async_commit(void)
{
    emu_cp_async_state *c = &emu_current()->cp_async;
    EMU_COMMIT_GROUP(c);
}

/* Records chunk `chunk` of the block's shared memory as filled by thread t
 * and not yet fenced. */
static void emu_cp_async_mark(emu_thread *t, int32_t chunk)
{
    emu_cp_async_state *c = &t->cp_async;
    t->block->unfenced[chunk] = (int16_t)t->linear;
    if (c->nunfenced < EMU_CP_ASYNC_MAX_UNFENCED)
        c->unfenced[c->nunfenced++] = chunk;
    else
        c->nunfenced = EMU_CP_ASYNC_MAX_UNFENCED + 1; /* too many to list: the fence scans */
}

void emu_dev_cp_async_wait(int keep)
{
    emu_thread *t = emu_current();
    emu_cp_async_state *c = &t->cp_async;
    int kept = 0;
    for (int i = 0; i < c->n; i++) {
        const emu_cp_async_op *op = &c->op[i];
        if (op->group >= 0 && op->group < c->committed - keep) {
            if (op->src)
                memcpy(op->dst, op->src, 16);
            else
                memset(op->dst, 0, 16);
            emu_cp_async_mark(t, (int32_t)(((char *)op->dst - t->block->smem) / 16));
        } else {
            c->op[kept++] = *op; /* uncommitted, or in the `keep` newest groups */
        }
    }
    c->n = kept;
}

void emu_dev_fence_proxy_async(void)
{
    emu_thread *t = emu_current();
    emu_cp_async_state *c = &t->cp_async;
    int16_t *owner = t->block->unfenced;
    if (c->nunfenced <= EMU_CP_ASYNC_MAX_UNFENCED) {
        for (int i = 0; i < c->nunfenced; i++)
            if (owner[c->unfenced[i]] == t->linear)
                owner[c->unfenced[i]] = -1;
    } else {
        for (size_t i = 0; i < (t->block->smem_bytes + 15) / 16; i++)
            if (owner[i] == t->linear)
                owner[i] = -1;
    }
    c->nunfenced = 0;
}

void emu_cp_async_check_exit(const emu_thread *t)
{
    if (t->cp_async.n)
        emu_fault("thread %d returned with %d cp.async not waited for", t->linear,
                  t->cp_async.n);
}
