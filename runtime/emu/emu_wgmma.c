/* emu_wgmma.c - the emulator's wgmma.mma_async (sm_90a) with A in registers
 * and B in shared memory through a matrix descriptor.
 *
 * Issue records the operation in the thread's pending list; commit closes a
 * group; wait_group is a warpgroup collective (all 128 threads, which must
 * have issued the same operations with the same descriptors) that completes
 * every operation of the groups it waits for, reading the accumulators, the
 * A registers and shared memory only then (so a kernel that touches them
 * before waiting, or overwrites the B tile too early, computes a wrong result
 * here as it may on the hardware). A thread that writes the accumulators or A
 * registers of an operation before a wait_group completes it faults: the
 * registers are hashed at issue (and when an older operation of the thread
 * on the same accumulators completes) and checked at completion. Each warp's
 * 16 rows of the 64-row tile are computed from that warp's A rows.
 *
 * Layouts (PTX ISA, "Asynchronous Warpgroup Level Matrix Multiply-Accumulate",
 * register fragments and shared memory matrix layout):
 *   A 16x16 per warp, D 16xN per warp: those of mma.m16n8k16 (A), and of
 *   N/8 n8 tiles of its C (d[4j + e] = row g + 8 (e / 2), col 8j + 2t + e % 2).
 *   B (k, n), k < 16, n < N, with the 128-byte swizzle (the only mode
 *   emulated), byte address a before the swizzle, start/LBO/SBO from the
 *   descriptor:
 *     K-major (trans-b 0): a = start + (n / 8) SBO + (n % 8) 128 + k 2
 *     MN-major (trans-b 1): a = start + (n / 64) LBO + (n % 64) 2 + (k / 8) SBO
 *                              + (k % 8) 128
 *   then the 16-byte chunk bits 4..6 of a are XORed with bits 7..9. */
#include <string.h>

#include "emu_internal.h"
#include "gpu_dev_emu.h"

/* FNV-1a of len bytes at p (registers an operation reads). */
static uint64_t emu_wgmma_hash(const void *p, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ ((const unsigned char *)p)[i]) * 0x100000001b3ull;
    return h;
}
#define EMU_WGMMA_D_HASH(d, n) emu_wgmma_hash(d, (size_t)(n) / 2 * sizeof(float))
#define EMU_WGMMA_A_HASH(a) emu_wgmma_hash(a, 4 * sizeof(uint32_t))

void emu_dev_wgmma(float *d, int n, const uint32_t a[4], uint64_t desc, int trans_b, int type)
{
    emu_thread *t = emu_current();
    emu_wgmma_state *w = &t->wgmma;
    if (n < 8 || n > 256 || n % 8)
        emu_fault("wgmma.mma_async: no shape m64n%dk16", n);
    if (w->n == EMU_WGMMA_MAX_PENDING)
        emu_fault("wgmma.mma_async: more than %d operations in flight", EMU_WGMMA_MAX_PENDING);
    w->op[w->n++] = (emu_wgmma_op){d, a, desc, n, trans_b, type, -1, EMU_WGMMA_D_HASH(d, n),
                                   EMU_WGMMA_A_HASH(a)};
}

void emu_dev_wgmma_commit(void)
{
    emu_wgmma_state *w = &emu_current()->wgmma;
    EMU_COMMIT_GROUP(w);
}

/* Byte offset in shared memory of B element (k, kn) of an operation. */
static uint32_t emu_wgmma_b_offset(uint64_t desc, int k, int kn, int trans_b)
{
    const uint32_t start = (uint32_t)(desc & 0x3fff) << 4;
    const uint32_t lbo = (uint32_t)(desc >> 16 & 0x3fff) << 4;
    const uint32_t sbo = (uint32_t)(desc >> 32 & 0x3fff) << 4;
    const uint32_t a = trans_b ? start + (uint32_t)(kn / 64) * lbo + (uint32_t)(kn % 64) * 2 +
                                     (uint32_t)(k / 8) * sbo + (uint32_t)(k % 8) * 128
                               : start + (uint32_t)(kn / 8) * sbo + (uint32_t)(kn % 8) * 128 +
                                     (uint32_t)k * 2;
    return a ^ ((a >> 7 & 7) << 4);
}

/* Completes operation i of the 32 lanes of one warp (all hold the same one). */
static void emu_wgmma_complete(emu_thread *lanes, int i)
{
    const emu_wgmma_op *op = &lanes[0].wgmma.op[i];
    const emu_block *blk = lanes[0].block;
    if (op->desc >> 62 != 1 || (op->desc >> 49 & 7))
        emu_fault("wgmma.mma_async: descriptor %#llx: only the 128-byte swizzle with base "
                  "offset 0 is emulated", (unsigned long long)op->desc);
    double a[16][16], b[16][256];
    for (int l = 0; l < EMU_WARP; l++) {
        const int g = l / 4, tq = l % 4;
        for (int r = 0; r < 4; r++)
            for (int h = 0; h < 2; h++)
                a[g + 8 * (r & 1)][2 * tq + h + 8 * (r >> 1)] =
                    emu_half_at(lanes[l].wgmma.op[i].a[r], h, op->type);
    }
    for (int k = 0; k < 16; k++)
        for (int kn = 0; kn < op->n; kn++) {
            const uint32_t off = emu_wgmma_b_offset(op->desc, k, kn, op->trans_b);
            emu_check_smem(blk, blk->smem + (off & ~15u), 16, "wgmma.mma_async B");
            const int writer = blk->unfenced[off / 16]; /* emu_cp_async.c */
            if (writer >= 0)
                emu_fault("wgmma.mma_async: reads shared memory that thread %d filled by cp.async "
                          "with no fence.proxy.async after it", writer);
            uint16_t bits;
            memcpy(&bits, blk->smem + off, 2);
            b[k][kn] = emu_half_at(bits, 0, op->type);
        }
    for (int l = 0; l < EMU_WARP; l++) {
        const int g = l / 4, tq = l % 4;
        emu_wgmma_state *w = &lanes[l].wgmma;
        float *d = w->op[i].d;
        for (int r = 0; r < op->n / 2; r++) {
            const int row = g + 8 * (r >> 1 & 1), col = 8 * (r >> 2) + 2 * tq + (r & 1);
            double s = d[r];
            for (int k = 0; k < 16; k++)
                s += a[row][k] * b[k][col];
            d[r] = (float)s;
        }
        for (int j = i + 1; j < w->n; j++) /* later operations accumulate onto this one */
            if (w->op[j].d == d)
                w->op[j].d_hash = EMU_WGMMA_D_HASH(d, w->op[j].n);
    }
}

/* Faults if a thread wrote the accumulators or A registers of operation i
 * while it was in flight. */
static void emu_wgmma_check_regs(const emu_thread *t, int i)
{
    const emu_wgmma_op *op = &t->wgmma.op[i];
    const int d_changed = EMU_WGMMA_D_HASH(op->d, op->n) != op->d_hash;
    if (d_changed || EMU_WGMMA_A_HASH(op->a) != op->a_hash)
        emu_fault("wgmma.mma_async: thread %d wrote the %s of an operation in flight (before "
                  "the wait_group that completes it)", t->linear,
                  d_changed ? "accumulators" : "A registers");
}

/* The last thread at a wait_group: checks that the warpgroup's threads
 * issued the same operations, then completes those of the groups older than
 * the `keep` newest, warp by warp. */
static void emu_wgmma_wait_compute(emu_thread *lanes, int n, int keep)
{
    const emu_wgmma_state *w0 = &lanes[0].wgmma;
    for (int l = 1; l < n; l++) {
        const emu_wgmma_state *w = &lanes[l].wgmma;
        int same = w->n == w0->n && w->committed == w0->committed;
        for (int i = 0; same && i < w->n; i++)
            same = w->op[i].desc == w0->op[i].desc && w->op[i].n == w0->op[i].n &&
                   w->op[i].trans_b == w0->op[i].trans_b && w->op[i].type == w0->op[i].type &&
                   w->op[i].group == w0->op[i].group;
        if (!same)
            emu_fault("wgmma.wait_group: threads %d and %d of a warpgroup issued different "
                      "wgmma.mma_async operations", lanes[0].linear, lanes[l].linear);
    }
    int done = 0;
    while (done < w0->n && w0->op[done].group >= 0 && w0->op[done].group < w0->committed - keep) {
        for (int l = 0; l < n; l++)
            emu_wgmma_check_regs(&lanes[l], done);
        for (int w = 0; w < n / EMU_WARP; w++)
            emu_wgmma_complete(lanes + w * EMU_WARP, done);
        done++;
    }
    for (int l = 0; l < n; l++) {
        emu_wgmma_state *w = &lanes[l].wgmma;
        memmove(w->op, w->op + done, (size_t)(w->n - done) * sizeof *w->op);
        w->n -= done;
    }
}

void emu_dev_wgmma_wait(int keep)
{
    emu_warpgroup_arrive(EMU_OP_WGMMA_WAIT, keep, emu_wgmma_wait_compute);
}

void emu_wgmma_check_exit(const emu_thread *t)
{
    if (t->wgmma.n)
        emu_fault("thread %d returned with %d wgmma.mma_async not waited for", t->linear,
                  t->wgmma.n);
}
