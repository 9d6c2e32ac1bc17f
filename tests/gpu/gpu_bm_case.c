/* gpu_bm_case.c - BlockMask launches of GpuCases (gpu_bm_case.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "attn_cuda.h"
#include "gpu_bm_case.h"

/* xorshift32 */
static uint32_t gpu_bm_next(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

attn_block_mask gpu_bm_random(Arena *arena, const GpuCase *c, int32_t block_kv, bool shared_b,
                              uint32_t seed)
{
    const GpuShape *s = &c->s;
    attn_block_mask m = {.B = shared_b ? 1 : s->B, .H = s->H, .q_len = s->Q, .kv_len = s->KV,
                         .block_q = ATTN_CPU_BLOCK_Q, .block_kv = block_kv,
                         .nqb = (s->Q + ATTN_CPU_BLOCK_Q - 1) / ATTN_CPU_BLOCK_Q,
                         .nkvb = (s->KV + block_kv - 1) / block_kv};
    const size_t rows = (size_t)m.B * m.H * m.nqb, cells = rows * (size_t)m.nkvb;
    m.kv_num_blocks = arena_alloc(arena, (rows + 1) * sizeof(int32_t));
    m.full_kv_num_blocks = arena_alloc(arena, (rows + 1) * sizeof(int32_t));
    m.kv_indices = arena_alloc(arena, (cells + 1) * sizeof(int32_t));
    m.full_kv_indices = arena_alloc(arena, (cells + 1) * sizeof(int32_t));
    uint32_t x = seed * 2654435761u + 1;
    for (size_t r = 0; r < rows; r++) {
        int32_t np = 0, nf = 0;
        const int32_t gone = (int32_t)(r % (size_t)m.nkvb); /* empty, as is its mirror */
        for (int32_t j = 0; j < m.nkvb; j++) {
            switch (j == gone || j == m.nkvb - 1 - gone ? 0 : gpu_bm_next(&x) % 3) { /* 0: empty */
            case 1: m.kv_indices[r * m.nkvb + np++] = j; break;
            case 2: m.full_kv_indices[r * m.nkvb + nf++] = j; break;
            }
        }
        for (int32_t j = np; j < m.nkvb; j++)
            m.kv_indices[r * m.nkvb + j] = 0;
        for (int32_t j = nf; j < m.nkvb; j++)
            m.full_kv_indices[r * m.nkvb + j] = 0;
        m.kv_num_blocks[r] = np;
        m.full_kv_num_blocks[r] = nf;
    }
    return m;
}

/* Whether the CPU result (out, lse) differs from c's dense reference in
 * some row's lse. */
static bool gpu_bm_differs(const GpuCase *c, const float *lse)
{
    const size_t rows = (size_t)c->s.B * c->s.H * c->s.Q;
    for (size_t r = 0; r < rows; r++) {
        double ref = c->ref_lse[r];
        if (isinf(ref) != isinf(lse[r]) || (!isinf(ref) && fabs(lse[r] - ref) > 1e-2))
            return true;
    }
    return false;
}

/* c launched on CUDA with bm copied to the device (attn_block_mask_to_cuda,
 * read in place) must give exactly out and lse, as with the host mask. */
static bool gpu_bm_in_place(Arena *arena, const attn_gpu_variant *gv, const GpuCase *c,
                            const attn_block_mask *bm, const uint16_t *out, const float *lse,
                            const char *what)
{
    attn_block_mask *on_dev = NULL;
    uint16_t *out2 = NULL;
    float *lse2 = NULL;
    attn_status st = attn_block_mask_to_cuda(bm, &on_dev);
    if (st == ATTN_OK) {
        const attn_launch_opts opts = {.block_mask = on_dev};
        st = gpu_launch_run(arena, gv, ATTN_GPU_CUDA, false, c, &opts, &out2, &lse2);
    }
    attn_block_mask_free(on_dev);
    const size_t rows = (size_t)c->s.B * c->s.H * c->s.Q;
    if (st != ATTN_OK || memcmp(out2, out, rows * c->s.DV * sizeof *out) != 0 ||
        memcmp(lse2, lse, rows * sizeof *lse) != 0) {
        printf("FAIL %s: with attn_block_mask_to_cuda: %s\n", what,
               st != ATTN_OK ? attn_last_error() : "results differ from the host mask's");
        return false;
    }
    return true;
}

/* attn_block_mask_build_cuda of gv for the case's shape and args must hold
 * the key-side tables of bm (the CPU builder's, same default blocks), bit
 * for bit, in device memory. */
static bool gpu_bm_built_on_device(Arena *arena, const attn_gpu_variant *gv, const GpuShape *s,
                                   const attn_arg *args, int32_t nargs, const attn_block_mask *bm,
                                   const char *what)
{
    attn_block_mask *d = NULL;
    attn_status st = attn_block_mask_build_cuda(gv, s->B, s->H, s->Q, s->KV, args, nargs, NULL, &d);
    const size_t ints = 2 * (size_t)bm->B * bm->H * bm->nqb * (1 + (size_t)bm->nkvb);
    int32_t *got = arena_alloc(arena, ints * sizeof *got + 1);
    if (st == ATTN_OK && (d->B != bm->B || d->H != bm->H || d->nqb != bm->nqb || d->nkvb != bm->nkvb))
        st = ATTN_ERR_SHAPE;
    else if (st == ATTN_OK)
        st = attn_cuda_memcpy_dtoh(got, d->kv_num_blocks, ints * sizeof *got);
    attn_block_mask_free(d);
    if (st != ATTN_OK || memcmp(got, bm->kv_num_blocks, ints * sizeof *got) != 0) {
        printf("FAIL %s: attn_block_mask_build_cuda: %s\n", what,
               st != ATTN_OK ? attn_last_error() : "key-side tables differ from the CPU builder's");
        return false;
    }
    return true;
}

bool gpu_bm_check(Arena *arena, const attn_gpu_variant *gv, attn_gpu_device dev,
                  const attn_variant *cpu, const GpuCase *c, const attn_block_mask *bm,
                  bool must_differ, const char *what)
{
    const attn_launch_opts opts = {.block_mask = bm};
    uint16_t *out, *cpu_out;
    float *lse, *cpu_lse;
    attn_status st = gpu_launch_run_cpu(arena, cpu, c, &opts, &cpu_out, &cpu_lse);
    if (st != ATTN_OK) {
        printf("FAIL %s: CPU kernel: %s: %s\n", what, attn_status_name(st), attn_last_error());
        return false;
    }
    if (must_differ && !gpu_bm_differs(c, cpu_lse)) {
        printf("FAIL %s: the BlockMask changes nothing; the case cannot tell it is walked\n", what);
        return false;
    }
    if ((st = gpu_launch_run(arena, gv, dev, false, c, &opts, &out, &lse)) != ATTN_OK) {
        printf("FAIL %s: %s: %s\n", what, attn_status_name(st), attn_last_error());
        return false;
    }
    if (dev == ATTN_GPU_CUDA && !gpu_bm_in_place(arena, gv, c, bm, out, lse, what))
        return false;
    /* The CPU result as the reference of a copy of c. */
    GpuCase oracle = *c;
    const size_t rows = (size_t)c->s.B * c->s.H * c->s.Q;
    oracle.ref_out = arena_alloc(arena, rows * c->s.DV * sizeof(double));
    oracle.ref_lse = arena_alloc(arena, rows * sizeof(double));
    for (size_t r = 0; r < rows; r++) {
        oracle.ref_lse[r] = cpu_lse[r];
        for (int j = 0; j < c->s.DV; j++)
            oracle.ref_out[r * c->s.DV + j] = gpu_case_from_half(c->s.dtype, cpu_out[r * c->s.DV + j]);
    }
    if (!gpu_case_compare(what, &oracle, out, lse))
        return false;
    printf("ok   %s\n", what);
    return true;
}

int gpu_bm_case_run(Arena *arena, const Decl *d, const attn_gpu_variant *gv, attn_gpu_device dev,
                    const attn_variant *cpu, const GpuBmCase *bc, const GpuSetting *settings,
                    int nsettings, uint32_t seed, bool own)
{
    GpuShape s = gpu_case_fit(d, &bc->s);
    GpuCase gc;
    if (s.Q != bc->s.Q)
        return 0; /* a pack or a tensor over KV changed Q */
    if (!gpu_case_build(arena, d, &s, settings, nsettings, seed, &gc))
        return 1;
    const char *what = gpu_case_what(arena, d, &s);
    int failures = 0;
    if (own) {
        failures += !gpu_launch_check(arena, gv, dev, false, &gc,
                                      arena_printf(arena, "%s, no BlockMask given%s", what,
                                                   gv->var->needs_block_mask
                                                       ? " (one built for the launch)" : ""));
        attn_arg *args;
        int32_t nargs = gpu_launch_args(arena, cpu, &gc, &args);
        attn_block_mask *bm = NULL;
        if (attn_block_mask_build(cpu, s.B, s.H, s.Q, s.KV, args, nargs, NULL, &bm) != ATTN_OK) {
            printf("FAIL %s: attn_block_mask_build: %s\n", what, attn_last_error());
            failures++;
        } else {
            if (dev == ATTN_GPU_CUDA)
                failures += !gpu_bm_built_on_device(arena, gv, &s, args, nargs, bm, what);
            failures += !gpu_bm_check(arena, gv, dev, cpu, &gc, bm, false,
                                      arena_printf(arena, "%s, its own BlockMask", what));
        }
        attn_block_mask_free(bm);
    }
    attn_block_mask rnd = gpu_bm_random(arena, &gc, bc->block_kv, bc->shared_b, seed);
    failures += !gpu_bm_check(arena, gv, dev, cpu, &gc, &rnd, true,
                              arena_printf(arena, "%s, random BlockMask of %d x %d blocks%s", what,
                                           ATTN_CPU_BLOCK_Q, (int)bc->block_kv,
                                           bc->shared_b ? " shared along B" : ""));
    return failures;
}
