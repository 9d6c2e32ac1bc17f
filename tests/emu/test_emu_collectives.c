/* test_emu_collectives.c - the emulated device layer against scalar
 * reference math: mma.m16n8k16 fragment layouts (f16, bf16), ldmatrix (and
 * .trans), shuffles, barriers, cp.async groups, deadlock and divergence
 * detection, half conversions. Kernels are written against gpu_dev.h like the templates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "emu_check.h"
#include "gpu_dev.h"

static int run(emu_kernel k, int threads, size_t smem, const void *args, char *err)
{
    emu_launch_cfg cfg = {{1, 1, 1}, {threads, 1, 1}, smem, 1};
    return emu_launch(k, &cfg, args, err, 256);
}

/* ---- mma: fragments packed per the PTX table from whole matrices -------- */

typedef struct mma_args {
    const uint16_t *a, *b; /* A 16x16 row-major, B 16x8 (k, n) row-major, as halves */
    const float *c;        /* 16x8 */
    float *d;              /* 16x8 */
    int bf16;
} mma_args;

DEV_BODY void mma_body(const mma_args *p)
{
    int lane = dev_lane(), g = lane >> 2, t = lane & 3;
    uint32_t a[4], b[2];
    float d[4];
    /* PTX ISA table: a_i, i = 0..7: row g for i in {0,1,4,5}, else g + 8;
     * col 2t + (i & 1), + 8 for i >= 4; a_{2r}, a_{2r+1} in register r. */
    for (int i = 0; i < 8; i += 2) {
        int row = (i < 2 || (i >= 4 && i < 6)) ? g : g + 8, col = 2 * t + (i >= 4 ? 8 : 0);
        a[i / 2] = p->a[row * 16 + col] | (uint32_t)p->a[row * 16 + col + 1] << 16;
    }
    /* b_i, i = 0..3: row (k) 2t + (i & 1), + 8 for i >= 2; col (n) g. */
    for (int i = 0; i < 4; i += 2) {
        int k = 2 * t + (i >= 2 ? 8 : 0);
        b[i / 2] = p->b[k * 8 + g] | (uint32_t)p->b[(k + 1) * 8 + g] << 16;
    }
    /* c_i: row g for i < 2 else g + 8, col 2t + (i & 1). */
    for (int i = 0; i < 4; i++)
        d[i] = p->c[(g + (i >= 2 ? 8 : 0)) * 8 + 2 * t + (i & 1)];
    if (p->bf16)
        dev_mma_m16n8k16_bf16(d, a, b);
    else
        dev_mma_m16n8k16_f16(d, a, b);
    for (int i = 0; i < 4; i++)
        p->d[(g + (i >= 2 ? 8 : 0)) * 8 + 2 * t + (i & 1)] = d[i];
}
DEV_ENTRY(mma_kernel, mma_args, mma_body)

static void test_mma(int bf16)
{
    uint16_t a[256], b[128];
    float af[256], bf[128], c[128], d[128];
    unsigned seed = 12345u + (unsigned)bf16;
    for (int i = 0; i < 256 + 128 + 128; i++) {
        seed = seed * 1664525u + 1013904223u;
        float v = (float)((int)(seed >> 24) - 128) / 32.0f; /* exact in both types */
        if (i < 256) {
            a[i] = bf16 ? emu_f32_to_bf16(v) : emu_f32_to_f16(v);
            af[i] = v;
        } else if (i < 384) {
            b[i - 256] = bf16 ? emu_f32_to_bf16(v) : emu_f32_to_f16(v);
            bf[i - 256] = v;
        } else {
            c[i - 384] = v;
        }
    }
    mma_args args = {a, b, c, d, bf16};
    char err[256];
    CHECK(run(mma_kernel, 32, 0, &args, err) == 0, "mma launch: %s", err);
    for (int r = 0; r < 16; r++)
        for (int n = 0; n < 8; n++) {
            double s = c[r * 8 + n];
            for (int k = 0; k < 16; k++)
                s += (double)af[r * 16 + k] * bf[k * 8 + n];
            CHECK(d[r * 8 + n] == (float)s, "mma %s D[%d][%d] = %g, want %g",
                  bf16 ? "bf16" : "f16", r, n, d[r * 8 + n], s);
        }
}

/* ---- ldmatrix: 4 matrices at scattered, permuted rows of shared memory --- */

typedef struct ldm_args {
    uint32_t *out; /* [32][4] */
    int trans;
} ldm_args;

/* Row r of matrix m lives at smem row 31 - (8m + r) (16 bytes per row); its
 * element c holds the value 256m + 16r + c. */
DEV_BODY void ldm_body(const ldm_args *p)
{
    uint16_t *s = dev_smem();
    int lane = dev_lane();
    int m = lane / 8, r = lane % 8, srow = 31 - lane;
    for (int c = 0; c < 8; c++)
        s[srow * 8 + c] = (uint16_t)(256 * m + 16 * r + c);
    dev_syncthreads();
    uint32_t x[4];
    if (p->trans)
        dev_ldmatrix_x4_trans(x, s + srow * 8);
    else
        dev_ldmatrix_x4(x, s + srow * 8);
    memcpy(p->out + 4 * lane, x, sizeof x);
}
DEV_ENTRY(ldm_kernel, ldm_args, ldm_body)

static void test_ldmatrix(int trans)
{
    uint32_t out[128];
    ldm_args args = {out, trans};
    char err[256];
    CHECK(run(ldm_kernel, 32, 512, &args, err) == 0, "ldmatrix launch: %s", err);
    for (int i = 0; i < 32; i++)
        for (int m = 0; m < 4; m++) {
            int r = i / 4, c = 2 * (i % 4);
            uint32_t lo = trans ? 256u * m + 16u * c + r : 256u * m + 16u * r + c;
            uint32_t hi = trans ? 256u * m + 16u * (c + 1) + r : lo + 1;
            CHECK(out[4 * i + m] == (lo | hi << 16), "ldmatrix%s lane %d reg %d = %08x, want %08x",
                  trans ? ".trans" : "", i, m, out[4 * i + m], lo | hi << 16);
        }
}

/* ---- shuffles ----------------------------------------------------------- */

typedef struct shfl_args {
    float *xor_out;  /* [64] */
    int *idx_out;    /* [64] */
} shfl_args;

DEV_BODY void shfl_body(const shfl_args *p)
{
    int tid = dev_linear_tid(), lane = dev_lane();
    p->xor_out[tid] = dev_shfl_xor_f32((float)tid, lane % 5 + 1);
    p->idx_out[tid] = dev_shfl_idx_i32(tid * 3, (lane * 7) % 32);
}
DEV_ENTRY(shfl_kernel, shfl_args, shfl_body)

static void test_shfl(void)
{
    float x[64];
    int y[64];
    shfl_args args = {x, y};
    char err[256];
    CHECK(run(shfl_kernel, 64, 0, &args, err) == 0, "shfl launch: %s", err);
    for (int tid = 0; tid < 64; tid++) {
        int lane = tid % 32, base = tid - lane;
        CHECK(x[tid] == (float)(base + (lane ^ (lane % 5 + 1))), "shfl.bfly tid %d = %g", tid,
              x[tid]);
        CHECK(y[tid] == 3 * (base + (lane * 7) % 32), "shfl.idx tid %d = %d", tid, y[tid]);
    }
}

/* ---- barrier: rounds of write, sync, read a neighbour, sync ------------- */

typedef struct bar_args {
    int *out; /* [128] */
} bar_args;

DEV_BODY void bar_body(const bar_args *p)
{
    int *s = dev_smem(), tid = dev_linear_tid(), n = dev_ntid(0), acc = 0;
    for (int round = 0; round < 5; round++) {
        s[tid] = tid * 10 + round;
        dev_syncthreads();
        acc += s[(tid + 1 + round) % n];
        dev_syncthreads();
    }
    p->out[tid] = acc;
}
DEV_ENTRY(bar_kernel, bar_args, bar_body)

static void test_barrier(void)
{
    int out[128];
    bar_args args = {out};
    char err[256];
    CHECK(run(bar_kernel, 128, 512, &args, err) == 0, "barrier launch: %s", err);
    for (int tid = 0; tid < 128; tid++) {
        int want = 0;
        for (int round = 0; round < 5; round++)
            want += ((tid + 1 + round) % 128) * 10 + round;
        CHECK(out[tid] == want, "barrier tid %d = %d, want %d", tid, out[tid], want);
    }
}

/* ---- cp.async: a copy lands when a wait_group completes its group ------- */

typedef struct cp_args {
    const uint32_t *src; /* [32 * 4 * 3] */
    uint32_t *seen;      /* [5][32 * 4] */
} cp_args;

/* Each of 32 threads copies 16 bytes in each of three groups (the third with
 * zero fill) and records destinations: group 0 before any wait, groups 0 and
 * 1 after wait_group 2, group 1 after wait_group 1, group 2 after
 * wait_group 0. */
DEV_BODY void cp_body(const cp_args *p)
{
    uint32_t *s = dev_smem();
    const int tid = dev_linear_tid();
    for (int g = 0; g < 3; g++) {
        dev_cp_async_16(s + 4 * (32 * g + tid), p->src + 4 * (32 * g + tid), g < 2);
        dev_cp_async_commit();
    }
    memcpy(p->seen + 4 * tid, s + 4 * tid, 16);
    dev_cp_async_wait(2);
    memcpy(p->seen + 4 * (32 + tid), s + 4 * tid, 16);
    memcpy(p->seen + 4 * (64 + tid), s + 4 * (32 + tid), 16);
    dev_cp_async_wait(1);
    memcpy(p->seen + 4 * (96 + tid), s + 4 * (32 + tid), 16);
    dev_cp_async_wait(0);
    memcpy(p->seen + 4 * (128 + tid), s + 4 * (64 + tid), 16);
}
DEV_ENTRY(cp_kernel, cp_args, cp_body)

static void test_cp_async(void)
{
    uint32_t src[3 * 32 * 4], seen[5 * 32 * 4];
    for (int i = 0; i < 3 * 32 * 4; i++)
        src[i] = 0x01000000u + (uint32_t)i;
    cp_args args = {src, seen};
    char err[256];
    CHECK(run(cp_kernel, 32, sizeof src, &args, err) == 0, "cp.async launch: %s", err);
    for (int i = 0; i < 32 * 4; i++) {
        CHECK(seen[i] == 0xffffffffu, "cp.async: word %d is %08x before any wait", i, seen[i]);
        CHECK(seen[128 + i] == src[i], "cp.async: group 0 after wait_group 2, word %d", i);
        CHECK(seen[256 + i] == 0xffffffffu, "cp.async: group 1 landed before its wait, word %d",
              i);
        CHECK(seen[384 + i] == src[128 + i], "cp.async: group 1 after wait_group 1, word %d", i);
        CHECK(seen[512 + i] == 0, "cp.async: group 2 (zero fill) after wait_group 0, word %d", i);
    }
}

/* ---- faults: never a hang ----------------------------------------------- */

typedef struct fault_args {
    int kind;
} fault_args;

enum {
    FAULT_BARRIER_AFTER_RETURN,
    FAULT_SHFL_AFTER_RETURN,
    FAULT_DIVERGENT,
    FAULT_CP_ASYNC_IN_FLIGHT,
    FAULT_BAD_ADDRESS
};

DEV_BODY void fault_body(const fault_args *p)
{
    int tid = dev_linear_tid();
    uint32_t r[4];
    switch (p->kind) {
    case FAULT_BARRIER_AFTER_RETURN:
        if (tid == 5)
            return;
        dev_syncthreads();
        break;
    case FAULT_SHFL_AFTER_RETURN:
        if (tid == 40)
            return;
        (void)dev_shfl_idx_i32(tid, 0);
        break;
    case FAULT_DIVERGENT:
        if (tid == 3)
            (void)dev_shfl_idx_i32(tid, 0);
        else
            dev_ldmatrix_x4(r, dev_smem());
        break;
    case FAULT_CP_ASYNC_IN_FLIGHT:
        dev_cp_async_16(dev_smem(), 0, 0);
        dev_cp_async_commit();
        break;
    default:
        dev_ldmatrix_x4(r, (char *)dev_smem() + 8);
        break;
    }
}
DEV_ENTRY(fault_kernel, fault_args, fault_body)

static void test_fault(int kind, const char *want)
{
    fault_args args = {kind};
    char err[256] = "";
    CHECK(run(fault_kernel, 64, 64, &args, err) != 0, "fault %d: launch succeeded", kind);
    CHECK(strstr(err, want) != NULL, "fault %d: message '%s' lacks '%s'", kind, err, want);
    printf("fault %d: %s\n", kind, err);
}

/* ---- conversions -------------------------------------------------------- */

static void test_halves(void)
{
    static const struct { float f; uint16_t h, bf; } cases[] = {
        {1.0f, 0x3c00, 0x3f80},          {-2.0f, 0xc000, 0xc000},
        {65504.0f, 0x7bff, 0x4780},      {65520.0f, 0x7c00, 0x4780},
        {0x1p-24f, 0x0001, 0x3380},      {0x1p-25f, 0x0000, 0x3300},
        {0x3p-25f, 0x0002, 0x33c0},      {0x1.002p0f, 0x3c00, 0x3f80},
        {0x1.006p0f, 0x3c02, 0x3f80},    {0x1.01p0f, 0x3c04, 0x3f80},
        {0x1.03p0f, 0x3c0c, 0x3f82},     {0x1p-14f, 0x0400, 0x3880},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK(emu_f32_to_f16(cases[i].f) == cases[i].h, "f16(%a) = %04x, want %04x", cases[i].f,
              emu_f32_to_f16(cases[i].f), cases[i].h);
        CHECK(emu_f32_to_bf16(cases[i].f) == cases[i].bf, "bf16(%a) = %04x, want %04x",
              cases[i].f, emu_f32_to_bf16(cases[i].f), cases[i].bf);
    }
    for (uint32_t h = 0; h < 0x7c00; h++) /* every finite f16 round-trips */
        CHECK(emu_f32_to_f16(emu_f16_to_f32((uint16_t)h)) == h, "f16 %04x does not round-trip", h);
    CHECK((emu_f32_to_f16(__builtin_nanf("")) & 0x7e00) == 0x7e00, "f16 NaN");
    CHECK((emu_f32_to_bf16(__builtin_nanf("")) & 0x7fc0) == 0x7fc0, "bf16 NaN");
}

int main(void)
{
    test_halves();
    test_mma(0);
    test_mma(1);
    test_ldmatrix(0);
    test_ldmatrix(1);
    test_shfl();
    test_barrier();
    test_cp_async();
    test_fault(FAULT_BARRIER_AFTER_RETURN, "deadlock");
    test_fault(FAULT_SHFL_AFTER_RETURN, "never arrive");
    test_fault(FAULT_DIVERGENT, "divergent");
    test_fault(FAULT_CP_ASYNC_IN_FLIGHT, "returned with 1 cp.async not waited for");
    test_fault(FAULT_BAD_ADDRESS, "not 16-byte aligned");
    if (check_failures)
        fprintf(stderr, "%d failures\n", check_failures);
    return check_failures != 0;
}
