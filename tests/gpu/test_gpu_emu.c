/* test_gpu_emu.c - every attention variant of FILE.attn compiled by attnc's
 * emulated-GPU path (template attn_fwd_gpu_emu, JIT, hooks inlined) and run
 * by the SIMT emulator against the reference interpreter, at small shapes
 * that rotate per variant over ragged lengths, GQA, both dtypes and several
 * specialisations. With --head-dims the shapes are those of the head dims
 * 32, 96 and 256 instead.
 *
 * usage: test_gpu_emu [--head-dims] FILE.attn [VARIANT.PARAM=VALUE]...
 * Scalars without a literal default must be set. Exit 0 when all agree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cg.h"
#include "emu.h"
#include "gpu_case.h"

/* Shapes, rotated over the variants; Q, KV <= 300, B * H <= 4. */
static const GpuShape gpu_shapes[] = {
    {ATTN_F16, 1, 2, 1, 100, 100, 64, 64},   {ATTN_BF16, 2, 2, 2, 37, 150, 64, 64},
    {ATTN_F16, 1, 2, 2, 129, 129, 128, 128}, {ATTN_BF16, 1, 4, 2, 70, 70, 64, 128},
    {ATTN_F16, 1, 1, 1, 300, 300, 64, 64},   {ATTN_BF16, 1, 1, 1, 200, 33, 128, 128},
    {ATTN_F16, 2, 1, 1, 65, 65, 128, 64},    {ATTN_BF16, 1, 2, 1, 1, 64, 192, 128},
};
/* --head-dims: each (dtype, D) of the specialisations D = DV in {32, 96,
 * 256}, smaller at D = 256 (the emulator's cost grows with D). */
static const GpuShape gpu_head_dim_shapes[] = {
    {ATTN_BF16, 1, 4, 2, 77, 140, 32, 32},  {ATTN_F16, 1, 2, 1, 90, 61, 96, 96},
    {ATTN_F16, 1, 2, 2, 33, 100, 256, 256}, {ATTN_F16, 2, 1, 1, 130, 70, 32, 32},
    {ATTN_BF16, 1, 4, 1, 65, 65, 96, 96},   {ATTN_BF16, 1, 2, 1, 50, 40, 256, 256},
};
enum { GPU_CASES_PER_VARIANT = 3 };

/* Runs one case of variant d on the emulated kernel; true when it matches. */
static bool gpu_run_case(Compilation *c, CgJit *jit, const Decl *d, const GpuShape *shape,
                         const GpuSetting *settings, int nsettings, uint32_t seed)
{
    GpuShape s = gpu_case_fit(d, shape);
    const char *what = gpu_case_what(&c->arena, d, &s);
    GpuCase gc;
    if (!gpu_case_build(&c->arena, d, &s, settings, nsettings, seed, &gc))
        return false;
    const CgGpuSpec spec = {s.dtype, s.D, s.DV};
    char err[CG_ERR_LEN];
    emu_kernel kernel = (emu_kernel)cg_jit_lookup(jit, d->name, cg_gpu_entry(&c->arena, &spec), err);
    float (*scale)(const attn_ctx *) =
        (float (*)(const attn_ctx *))cg_jit_lookup(jit, d->name, "attn_hook_scale", err);
    if (!kernel || !scale) {
        printf("FAIL %s: %s\n", what, err);
        return false;
    }
    size_t rows = (size_t)s.B * s.H * s.Q;
    uint16_t *out = arena_alloc(&c->arena, rows * s.DV * 2 + 16);
    out = (uint16_t *)(((uintptr_t)out + 15) & ~(uintptr_t)15);
    float *lse = arena_alloc(&c->arena, rows * sizeof(float) + 4);
    attn_fwd_gpu_args a = {
        .q = gc.q, .k = gc.k, .v = gc.v, .out = out, .lse = lse,
        .q_stride = {(int64_t)s.H * s.Q * s.D, (int64_t)s.Q * s.D, s.D},
        .k_stride = {(int64_t)s.HKV * s.KV * s.D, (int64_t)s.KV * s.D, s.D},
        .v_stride = {(int64_t)s.HKV * s.KV * s.DV, (int64_t)s.KV * s.DV, s.DV},
        .o_stride = {(int64_t)s.H * s.Q * s.DV, (int64_t)s.Q * s.DV, s.DV},
        .lse_stride = {(int64_t)s.H * s.Q, s.Q},
        .ctx = gc.ctx,
    };
    a.scale = scale(&gc.ctx);
    const int bq = ATTN_GPU_BLOCK_Q(s.D, s.DV);
    emu_launch_cfg cfg = {.grid = {(s.Q + bq - 1) / bq, s.H, s.B},
                          .block = {ATTN_GPU_THREADS(s.D, s.DV), 1, 1},
                          .smem_bytes = ATTN_GPU_SMEM_BYTES(s.D, s.DV),
                          .workers = 2};
    if (emu_launch(kernel, &cfg, &a, err, sizeof err) != 0) {
        printf("FAIL %s: emulator: %s\n", what, err);
        return false;
    }
    if (!gpu_case_compare(what, &gc, out, lse))
        return false;
    printf("ok   %s\n", what);
    return true;
}

int main(int argc, char **argv)
{
    const bool head_dims = argc > 1 && strcmp(argv[1], "--head-dims") == 0;
    argc -= head_dims;
    argv += head_dims;
    if (argc < 2) {
        fprintf(stderr, "usage: test_gpu_emu [--head-dims] FILE.attn [VARIANT.PARAM=VALUE]...\n");
        return 2;
    }
    const GpuShape *shapes = head_dims ? gpu_head_dim_shapes : gpu_shapes;
    const int nshapes = head_dims ? (int)(sizeof gpu_head_dim_shapes / sizeof *shapes)
                                  : (int)(sizeof gpu_shapes / sizeof *shapes);
    Compilation c;
    compilation_init(&c, stderr);
    int nsettings = argc - 2, failures = 0;
    GpuSetting *settings = arena_alloc(&c.arena, (size_t)(nsettings + 1) * sizeof *settings);
    PtrVec decls = {0};
    if (gpu_case_parse_settings(&c.arena, nsettings, argv + 2, settings))
        gpu_case_attentions(&c, argv[1], &decls);
    char err[CG_ERR_LEN];
    CgJit *jit = decls.len ? cg_jit_create(&c.arena, (Decl *const *)decls.items, decls.len,
                                           CG_TEMPLATE_GPU_EMU, err)
                           : NULL;
    if (!jit) {
        printf("FAIL %s: %s\n", argv[1], decls.len ? err : "no attention variants");
        failures++;
    }
    for (int i = 0; jit && i < decls.len; i++)
        for (int j = 0; j < GPU_CASES_PER_VARIANT; j++) {
            const GpuShape *s = &shapes[(i * GPU_CASES_PER_VARIANT + j) % nshapes];
            failures += !gpu_run_case(&c, jit, decls.items[i], s, settings, nsettings, 77u * i + j);
        }
    cg_jit_free(jit);
    diag_finish(&c.diags);
    compilation_free(&c);
    printf("%d failure(s)\n", failures);
    return failures ? 1 : 0;
}
