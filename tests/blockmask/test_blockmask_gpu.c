/* test_blockmask_gpu.c - the GPU BlockMask builder (kernels/blockmask_gpu.c,
 * attn_block_mask_build_gpu) under the SIMT emulator against the CPU
 * builder: every attention variant of FILE.attn is compiled in-process
 * (a JIT of the builder alone, CG_TEMPLATE_BM_GPU_EMU; run_gpu.h); for ragged shapes (Q, KV not
 * multiples of the blocks, Q != KV, B * H > 1) and block sizes, the
 * BlockMask of attn_block_mask_build_gpu(ATTN_GPU_EMU) must equal, table by
 * table, the one attn_block_mask_build makes by evaluating the mask hook
 * on every element (no key ranges). Arguments come from gpu_case_build
 * (scalar defaults, random tensors and packs). A mask that reads HKV, D or
 * DV (its values change when they are H, 0, 0) must be marked so
 * (mask_reads_launch_dims), and both builders must refuse it.
 *
 *   test_blockmask_gpu FILE.attn
 *   test_blockmask_gpu --no-cuda FILE.attn   (ATTN_CUDA_DRIVER names a
 *       missing library): ATTN_GPU_CUDA must fail with "CUDA unavailable: ".
 * Exit 0 when all agree. */
#include <stdio.h>
#include <string.h>

#include "bm_compare.h"
#include "gpu_launch.h"
#include "run_attention.h"
#include "run_gpu.h"

typedef struct bm_shape {
    int B, H, Q, KV, block_q, block_kv; /* block sizes 0: the defaults (128 x 64) */
} bm_shape;

static const bm_shape bm_shapes[] = {
    {1, 1, 300, 300, 0, 0},   {2, 3, 200, 260, 32, 16}, {2, 2, 97, 150, 16, 48},
    {1, 2, 257, 301, 100, 150}, {3, 1, 77, 130, 64, 32},
};
enum { BM_NSHAPES = sizeof bm_shapes / sizeof bm_shapes[0] };

/* Builds the case of variant d at shape s (KV = Q for packs, D = DV = 64),
 * its arguments and launch ctx; false (message printed) if that fails. */
static bool bm_case(Arena *a, const Decl *d, const attn_variant *var, const bm_shape *s,
                    uint32_t seed, GpuShape *gs, attn_arg **args, int32_t *nargs, attn_ctx *ctx)
{
    *gs = gpu_case_fit(d, &(GpuShape){ATTN_F16, s->B, s->H, s->H, s->Q, s->KV, 64, 64});
    GpuCase gc;
    if (!gpu_case_build(a, d, gs, NULL, 0, seed, &gc)) {
        printf("FAIL %s: cannot build a case\n", d->name);
        return false;
    }
    *nargs = gpu_launch_args(a, var, &gc, args);
    *ctx = gc.ctx;
    return true;
}

/* Whether mask gives another value somewhere in the case when HKV, D and
 * DV are what the builders that know only B, H, Q and KV assume (H, 0, 0). */
static bool bm_mask_reads_launch_dims(attn_mask_fn mask, const attn_ctx *ctx, const GpuShape *gs)
{
    attn_ctx assumed = *ctx;
    assumed.dims[ATTN_DIM_HKV] = assumed.dims[ATTN_DIM_H];
    assumed.dims[ATTN_DIM_D] = assumed.dims[ATTN_DIM_DV] = 0;
    for (int b = 0; b < gs->B; b++)
        for (int h = 0; h < gs->H; h++)
            for (int q = 0; q < gs->Q; q++)
                for (int kv = 0; kv < gs->KV; kv++)
                    if ((mask(b, h, q, kv, ctx) != 0) != (mask(b, h, q, kv, &assumed) != 0))
                        return true;
    return false;
}

/* CPU and emulated-GPU BlockMasks of one case; true when they agree (or
 * both refuse the arguments with the same status and message). */
static bool bm_check(Arena *a, const Decl *d, const attn_variant *cpu_var,
                     const attn_gpu_variant *gv, const bm_shape *s, uint32_t seed)
{
    GpuShape gs;
    attn_arg *args;
    int32_t nargs;
    attn_ctx ctx;
    if (!bm_case(a, d, gv->var, s, seed, &gs, &args, &nargs, &ctx))
        return false;
    const char *what = arena_printf(a, "%s B=%d H=%d Q=%d KV=%d blocks %dx%d", d->name, gs.B,
                                    gs.H, gs.Q, gs.KV, s->block_q, s->block_kv);
    attn_block_mask_opts o = {.block_q = s->block_q, .block_kv = s->block_kv};
    attn_block_mask *want = NULL, *got = NULL;
    attn_status sw = attn_block_mask_build(cpu_var, gs.B, gs.H, gs.Q, gs.KV, args, nargs, &o, &want);
    const char *msg = arena_strdup(a, attn_last_error());
    attn_status sg = attn_block_mask_build_gpu(gv, ATTN_GPU_EMU, gs.B, gs.H, gs.Q, gs.KV, args,
                                               nargs, &o, &got);
    bool ok;
    if (bm_mask_reads_launch_dims(cpu_var->mask_fn, &ctx, &gs) && !gv->var->mask_reads_launch_dims) {
        ok = false;
        printf("FAIL %s: the mask reads HKV, D or DV, and the variant does not say so\n", what);
    } else if (gv->var->mask_reads_launch_dims) { /* both refuse: they are not given those */
        ok = sw == ATTN_ERR_UNSUPPORTED && sg == sw && !want && !got &&
             strstr(msg, "reads HKV, D or DV") && strstr(attn_last_error(), "reads HKV, D or DV");
        printf("%s %s: refused \"%s\"\n", ok ? "ok  " : "FAIL", what, attn_last_error());
    } else if (sw != ATTN_OK || sg != ATTN_OK) {
        ok = sw == sg && strcmp(msg, attn_last_error()) == 0 && !got;
        printf("%s %s: CPU %s \"%s\", GPU %s \"%s\"\n", ok ? "ok  " : "FAIL", what,
               attn_status_name(sw), msg, attn_status_name(sg), attn_last_error());
    } else {
        ok = bm_compare(want, got, what);
    }
    attn_block_mask_free(want);
    attn_block_mask_free(got);
    return ok;
}

/* Without a driver the CUDA build must be refused cleanly. */
static bool bm_check_no_cuda(Arena *a, const Decl *d, const attn_gpu_variant *gv)
{
    GpuShape gs;
    attn_arg *args;
    int32_t nargs;
    attn_ctx ctx;
    if (!bm_case(a, d, gv->var, &bm_shapes[0], 1, &gs, &args, &nargs, &ctx))
        return false;
    attn_block_mask *m = NULL;
    attn_status st = attn_block_mask_build_gpu(gv, ATTN_GPU_CUDA, gs.B, gs.H, gs.Q, gs.KV, args,
                                               nargs, NULL, &m);
    bool ok = st == ATTN_ERR_UNSUPPORTED && !m &&
              strncmp(attn_last_error(), "CUDA unavailable: ", 18) == 0;
    printf("%s %s on CUDA: %s \"%s\"\n", ok ? "ok  " : "FAIL", d->name, attn_status_name(st),
           attn_last_error());
    attn_block_mask_free(m);
    return ok;
}

/* A variant whose builder was not compiled for the emulator is refused. */
static bool bm_check_no_emu(Arena *a, const Decl *d, const attn_gpu_variant *gv)
{
    attn_gpu_variant bare = *gv;
    memset(bare.bm_emu, 0, sizeof bare.bm_emu);
    attn_block_mask *m = NULL;
    attn_status st = attn_block_mask_build_gpu(&bare, ATTN_GPU_EMU, 1, 1, 8, 8, NULL, 0, NULL, &m);
    const char *want = arena_printf(a, "%s: the kernel %s_attn_bm_gpu_classify was not compiled "
                                    "for the emulator", d->name, d->name);
    bool ok = st == ATTN_ERR_UNSUPPORTED && !m && strcmp(attn_last_error(), want) == 0;
    printf("%s %s without emulated kernels: %s \"%s\"\n", ok ? "ok  " : "FAIL", d->name,
           attn_status_name(st), attn_last_error());
    return ok;
}

int main(int argc, char **argv)
{
    bool no_cuda = argc > 1 && strcmp(argv[1], "--no-cuda") == 0;
    if (argc != 2 + no_cuda) {
        fprintf(stderr, "usage: test_blockmask_gpu [--no-cuda] FILE.attn\n");
        return 2;
    }
    Compilation c;
    compilation_init(&c, stderr);
    PtrVec decls = {0};
    char err[CG_ERR_LEN] = "no attention variants";
    CgJit *jit = NULL;
    if (gpu_case_attentions(&c, argv[1 + no_cuda], &decls))
        jit = cg_jit_create(&c.arena, (Decl *const *)decls.items, decls.len, CG_TEMPLATE_BM_GPU_EMU,
                            err);
    int failures = 0;
    if (!jit) {
        printf("FAIL %s: %s\n", argv[1 + no_cuda], err);
        failures++;
    }
    for (int i = 0; jit && i < decls.len; i++) {
        const Decl *d = decls.items[i];
        attn_variant var, cpu_var;
        run_attn_describe(&c.arena, d, &var);
        attn_gpu_variant gv = {.var = &var};
        void *mask = NULL;
        if (!run_gpu_bm_kernels(d, jit, &gv, err) ||
            !(mask = cg_jit_lookup(jit, d->name, "attn_hook_mask", err))) {
            printf("FAIL %s: %s\n", d->name, err);
            failures++;
            continue;
        }
        cpu_var = var;
        cpu_var.mask_fn = (attn_mask_fn)mask; /* no kv_ranges: every element evaluated */
        if (no_cuda) {
            failures += !bm_check_no_cuda(&c.arena, d, &gv);
            continue;
        }
        for (int j = 0; j < BM_NSHAPES; j++)
            failures += !bm_check(&c.arena, d, &cpu_var, &gv, &bm_shapes[j], 17u * i + j);
        if (i == 0)
            failures += !bm_check_no_emu(&c.arena, d, &gv);
    }
    cg_jit_free(jit);
    diag_finish(&c.diags);
    compilation_free(&c);
    printf("%d failure(s)\n", failures);
    return failures ? 1 : 0;
}
