/* emu_cp_async.c - the emulator's cp.async.cg.shared.global (16 bytes, with
 * the zero fill of a source size of 0), commit_group and wait_group.
 *
 * A copy is checked (shared-memory bounds, source alignment) and recorded
 * when issued, and lands when a wait_group of the issuing thread completes
 * its commit group; until then its destination holds 0xff bytes (NaN as f16
 * and bf16). So a kernel that reads a tile before waiting for it, or whose
 * prefetch overwrites a tile another warp still reads, computes with NaN
 * here as it would with garbage on the hardware. Returning with copies in
 * flight faults. */
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
    if (c->n == EMU_CP_ASYNC_MAX_PENDING)
        emu_fault("cp.async: more than %d copies in flight", EMU_CP_ASYNC_MAX_PENDING);
    memset(dst, 0xff, 16);
    c->op[c->n++] = (emu_cp_async_op){dst, fill ? src : NULL, -1};
}

void emu_dev_cp_async_commit(void)
{
    emu_cp_async_state *c = &emu_current()->cp_async;
    for (int i = 0; i < c->n; i++)
        if (c->op[i].group < 0)
            c->op[i].group = c->committed;
    c->committed++;
}

void emu_dev_cp_async_wait(int keep)
{
    emu_cp_async_state *c = &emu_current()->cp_async;
    int kept = 0;
    for (int i = 0; i < c->n; i++) {
        const emu_cp_async_op *op = &c->op[i];
        if (op->group >= 0 && op->group < c->committed - keep) {
            if (op->src)
                memcpy(op->dst, op->src, 16);
            else
                memset(op->dst, 0, 16);
        } else {
            c->op[kept++] = *op; /* uncommitted, or in the `keep` newest groups */
        }
    }
    c->n = kept;
}

void emu_cp_async_check_exit(const emu_thread *t)
{
    if (t->cp_async.n)
        emu_fault("thread %d returned with %d cp.async not waited for", t->linear,
                  t->cp_async.n);
}
