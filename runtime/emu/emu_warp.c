/* emu_warp.c - the emulator's warp collectives (shfl, ldmatrix, mma.sync)
 * and cp.async. A lane deposits its operands in its emu_lane_io and blocks;
 * the last lane of the warp (or warpgroup) to arrive computes every lane's
 * result with the PTX ISA's layouts and wakes the others. */
#include <string.h>

#include "emu_internal.h"
#include "gpu_dev_emu.h"

static const char *emu_op_name(int key)
{
    switch (key & 15) {
    case EMU_OP_SHFL: return "shfl.sync";
    case EMU_OP_LDMATRIX: return "ldmatrix";
    case EMU_OP_WGMMA_WAIT: return "wgmma.wait_group";
    default: return "mma.sync";
    }
}

int emu_collective_group(int key)
{
    return (key & 15) == EMU_OP_WGMMA_WAIT ? EMU_WARPGROUP : EMU_WARP;
}

/* A collective of the calling thread's group: its warp (group 32; a partial
 * last warp takes part with its n lanes unless needs_full) or its warpgroup
 * (group 128, always full), counted in a counter of its own per group size
 * so that the warps of a warpgroup may meanwhile sit in warp collectives. */
static void emu_group_arrive(emu_op op, int variant, emu_warp_fn fn, int group, int needs_full)
{
    emu_thread *t = emu_current();
    emu_block *blk = t->block;
    const int g = t->linear / group, left = blk->nthreads - g * group;
    const int n = left < group ? left : group, key = (int)op | variant << 4;
    int *arrived = group == EMU_WARP ? &blk->warp_arrived[g] : &blk->group_arrived[g];
    emu_thread *lanes = &blk->threads[g * group];
    if (needs_full && n < group)
        emu_fault("%s needs a full %s, %s %d has %d threads", emu_op_name(key),
                  group == EMU_WARP ? "warp" : "warpgroup", group == EMU_WARP ? "warp" : "warpgroup",
                  g, n);
    const int w = t->linear / EMU_WARP;
    const emu_thread *warp = &blk->threads[w * EMU_WARP];
    for (int i = 0; i < emu_warp_lanes(blk, w); i++)
        if (warp[i].state == EMU_AT_WARP && warp[i].key != key)
            emu_fault("divergent warp collectives: lane %d arrives at %s while lane %d waits "
                      "in %s", t->linear % EMU_WARP, emu_op_name(key), i,
                      emu_op_name(warp[i].key));
    t->key = key;
    if (++*arrived < n) {
        t->state = EMU_AT_WARP;
        emu_yield();
        return;
    }
    *arrived = 0;
    fn(lanes, n, variant);
    for (int i = 0; i < n; i++)
        if (lanes[i].state == EMU_AT_WARP)
            lanes[i].state = EMU_RUNNABLE;
}

void emu_warp_arrive(emu_op op, int variant, emu_warp_fn fn, int needs_full_warp)
{
    emu_group_arrive(op, variant, fn, EMU_WARP, needs_full_warp);
}

void emu_warpgroup_arrive(emu_op op, int variant, emu_warp_fn fn)
{
    emu_group_arrive(op, variant, fn, EMU_WARPGROUP, 1);
}

/* ---- shfl.sync.{bfly,idx}.b32 with a full mask and c = 0x1f -------------- */

static void emu_shfl_compute(emu_thread *lanes, int n, int is_xor)
{
    uint32_t in[EMU_WARP];
    for (int i = 0; i < n; i++)
        in[i] = lanes[i].io.in_u[0];
    for (int i = 0; i < n; i++) {
        int src = (is_xor ? i ^ lanes[i].io.arg : lanes[i].io.arg) & 31;
        lanes[i].io.out_u[0] = in[src < n ? src : i];
    }
}

uint32_t emu_dev_shfl(uint32_t v, int lane_or_mask, int is_xor)
{
    emu_thread *t = emu_current();
    t->io.in_u[0] = v;
    t->io.arg = lane_or_mask;
    emu_warp_arrive(EMU_OP_SHFL, is_xor != 0, emu_shfl_compute, 0);
    return t->io.out_u[0];
}

/* ---- ldmatrix.sync.aligned.m8n8.x4[.trans].shared.b16 --------------------
 * Lanes 8m..8m+7 give the row addresses of matrix m; lane i receives in r[m]
 * the elements (i/4, 2*(i%4)) and (i/4, 2*(i%4)+1) of matrix m, or of its
 * transpose with .trans; the first element in the low half. */

static void emu_ldmatrix_compute(emu_thread *lanes, int n, int trans)
{
    uint16_t mat[4][8][8];
    for (int m = 0; m < 4; m++)
        for (int r = 0; r < 8; r++) {
            const void *row = lanes[8 * m + r].io.ptr;
            emu_check_smem(lanes[0].block, row, 16, "ldmatrix");
            memcpy(mat[m][r], row, 16);
        }
    for (int i = 0; i < n; i++)
        for (int m = 0; m < 4; m++) {
            int r = i / 4, c = 2 * (i % 4);
            uint16_t lo = trans ? mat[m][c][r] : mat[m][r][c];
            uint16_t hi = trans ? mat[m][c + 1][r] : mat[m][r][c + 1];
            lanes[i].io.out_u[m] = lo | (uint32_t)hi << 16;
        }
}

void emu_dev_ldmatrix_x4(uint32_t r[4], const void *row, int trans)
{
    emu_thread *t = emu_current();
    t->io.ptr = row;
    emu_warp_arrive(EMU_OP_LDMATRIX, trans != 0, emu_ldmatrix_compute, 1);
    memcpy(r, t->io.out_u, sizeof t->io.out_u);
}

/* ---- mma.sync.aligned.m16n8k16.row.col.f32.{f16,bf16}.{f16,bf16}.f32 -----
 * PTX ISA "Matrix Fragments for mma.m16n8k16 with floating point type":
 * g = lane/4, t = lane%4; A element h of register r: row g + 8*(r&1),
 * col 2t + h + 8*(r>>1); B element h of register r: row 2t + h + 8r, col g;
 * C/D element e: row g + 8*(e>>1), col 2t + (e&1). Products are exact and
 * summed in double, then rounded once to f32. */

float emu_half_at(uint32_t reg, int h, int type)
{
    uint16_t bits = (uint16_t)(reg >> (16 * h));
    return type == EMU_BF16 ? emu_bf16_to_f32(bits) : emu_f16_to_f32(bits);
}

static void emu_mma_compute(emu_thread *lanes, int n, int type)
{
    double a[16][16], b[16][8], c[16][8];
    for (int i = 0; i < n; i++) {
        const emu_lane_io *io = &lanes[i].io;
        int g = i / 4, t = i % 4;
        for (int r = 0; r < 4; r++)
            for (int h = 0; h < 2; h++)
                a[g + 8 * (r & 1)][2 * t + h + 8 * (r >> 1)] = emu_half_at(io->in_u[r], h, type);
        for (int r = 0; r < 2; r++)
            for (int h = 0; h < 2; h++)
                b[2 * t + h + 8 * r][g] = emu_half_at(io->in_u[4 + r], h, type);
        for (int e = 0; e < 4; e++)
            c[g + 8 * (e >> 1)][2 * t + (e & 1)] = io->in_f[e];
    }
    for (int i = 0; i < n; i++) {
        int g = i / 4, t = i % 4;
        for (int e = 0; e < 4; e++) {
            int row = g + 8 * (e >> 1), col = 2 * t + (e & 1);
            double s = c[row][col];
            for (int k = 0; k < 16; k++)
                s += a[row][k] * b[k][col];
            lanes[i].io.out_f[e] = (float)s;
        }
    }
}

void emu_dev_mma_m16n8k16(float d[4], const uint32_t a[4], const uint32_t b[2], int type)
{
    emu_thread *t = emu_current();
    memcpy(t->io.in_u, a, 4 * sizeof *a);
    memcpy(t->io.in_u + 4, b, 2 * sizeof *b);
    memcpy(t->io.in_f, d, 4 * sizeof *d);
    emu_warp_arrive(EMU_OP_MMA, type, emu_mma_compute, 1);
    memcpy(d, t->io.out_f, 4 * sizeof *d);
}
