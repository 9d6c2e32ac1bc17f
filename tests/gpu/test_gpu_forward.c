/* test_gpu_forward.c - the runtime's GPU entry end to end: every attention
 * variant of FILE.attn compiled in-process (run_gpu.h: descriptor, emu
 * JIT) and launched with attn_forward_gpu, checked against the reference
 * interpreter.
 *
 *   test_gpu_forward FILE.attn [VARIANT.PARAM=VALUE]...
 *       ATTN_GPU_EMU on small ragged shapes (f16 and bf16, GQA, D != DV),
 *       plus the refusal of a head dim without a kernel;
 *   test_gpu_forward --no-cuda FILE.attn [VARIANT.PARAM=VALUE]...
 *       ATTN_GPU_CUDA where no driver loads (ATTN_CUDA_DRIVER names a
 *       missing library): each launch must fail with ATTN_ERR_UNSUPPORTED
 *       and "CUDA unavailable: ...".
 * Exit 0 when all agree. */
#include <stdio.h>
#include <string.h>

#include "gpu_launch.h"
#include "run_gpu.h"

/* Emulator shapes, rotated over the variants; Q, KV <= 150 (the emulator is slow). */
static const GpuShape fwd_shapes[] = {
    {ATTN_F16, 1, 2, 1, 100, 77, 64, 64},    {ATTN_BF16, 2, 2, 2, 37, 150, 64, 64},
    {ATTN_BF16, 1, 2, 2, 129, 129, 128, 128}, {ATTN_F16, 1, 4, 2, 70, 70, 64, 128},
};
enum { FWD_NSHAPES = sizeof fwd_shapes / sizeof fwd_shapes[0], FWD_CASES_PER_VARIANT = 2 };

/* attn_forward_gpu must refuse c with opts (no kernel for its head dims, no
 * CUDA, a BlockMask): status `want` and a message starting with `prefix`. */
static bool fwd_expect_failure(Arena *a, const attn_gpu_variant *gv, attn_gpu_device dev,
                               const GpuCase *c, const attn_launch_opts *opts, attn_status want,
                               const char *prefix, const char *what)
{
    uint16_t *out;
    float *lse;
    attn_status st = gpu_launch_run(a, gv, dev, false, c, opts, &out, &lse);
    const char *msg = attn_last_error();
    if (st != want || strncmp(msg, prefix, strlen(prefix)) != 0) {
        printf("FAIL %s: expected %s \"%s...\", got %s \"%s\"\n", what, attn_status_name(want),
               prefix, attn_status_name(st), msg);
        return false;
    }
    printf("ok   %s: %s\n", what, msg);
    return true;
}

/* A 4 x 4 f16 case of d at head dim D = DV = dim (arguments from settings,
 * seed) launched on the emulator with opts must be refused with `prefix`;
 * what NULL: the case's description. */
static bool fwd_refused(Compilation *c, const Decl *d, const attn_gpu_variant *gv, int dim,
                        const attn_launch_opts *opts, uint32_t seed, const GpuSetting *settings,
                        int nsettings, const char *prefix, const char *what)
{
    GpuShape s = gpu_case_fit(d, &(GpuShape){ATTN_F16, 1, 1, 1, 4, 4, dim, dim});
    GpuCase gc;
    return gpu_case_build(&c->arena, d, &s, settings, nsettings, seed, &gc) &&
           fwd_expect_failure(&c->arena, gv, ATTN_GPU_EMU, &gc, opts, ATTN_ERR_UNSUPPORTED, prefix,
                              what ? what : gpu_case_what(&c->arena, d, &s));
}

/* The cases of variant number i (declaration d, compiled gv); failures. */
static int fwd_variant(Compilation *c, const Decl *d, const attn_gpu_variant *gv, int i,
                       bool no_cuda, const GpuSetting *settings, int nsettings)
{
    int failures = 0;
    for (int j = 0; j < (no_cuda ? 1 : FWD_CASES_PER_VARIANT); j++) {
        GpuShape s = gpu_case_fit(d, &fwd_shapes[(i * FWD_CASES_PER_VARIANT + j) % FWD_NSHAPES]);
        if (no_cuda)
            s.Q = s.KV = 4;
        GpuCase gc;
        const char *what = gpu_case_what(&c->arena, d, &s);
        if (!gpu_case_build(&c->arena, d, &s, settings, nsettings, 91u * i + j, &gc))
            failures++;
        else if (no_cuda)
            failures += !fwd_expect_failure(&c->arena, gv, ATTN_GPU_CUDA, &gc, NULL,
                                            ATTN_ERR_UNSUPPORTED, "CUDA unavailable: ", what);
        else
            failures += !gpu_launch_check(&c->arena, gv, ATTN_GPU_EMU, false, &gc, what);
    }
    if (i == 0 && !no_cuda) {
        /* D = 48 has no specialisation; a BlockMask is refused, not ignored. */
        attn_block_mask bm = {.B = 1, .H = 1, .q_len = 4, .kv_len = 4, .block_q = 128, .block_kv = 64};
        attn_launch_opts opts = {.block_mask = &bm};
        failures += !fwd_refused(c, d, gv, 48, NULL, 5, settings, nsettings,
                                 arena_printf(&c->arena, "%s: no GPU kernel for f16 with "
                                              "D = 48, DV = 48", d->name), NULL);
        failures += !fwd_refused(c, d, gv, 64, &opts, 6, settings, nsettings,
                                 arena_printf(&c->arena, "%s: GPU launches take their key "
                                              "blocks from the variant's mask analysis", d->name),
                                 "a BlockMask on a GPU launch");
    }
    return failures;
}

int main(int argc, char **argv)
{
    bool no_cuda = argc > 1 && strcmp(argv[1], "--no-cuda") == 0;
    if (argc < 2 + no_cuda) {
        fprintf(stderr, "usage: test_gpu_forward [--no-cuda] FILE.attn [VARIANT.PARAM=VALUE]...\n");
        return 2;
    }
    const char *path = argv[1 + no_cuda];
    Compilation c;
    compilation_init(&c, stderr);
    int nsettings = argc - 2 - no_cuda, failures = 0;
    GpuSetting *settings = arena_alloc(&c.arena, (size_t)(nsettings + 1) * sizeof *settings);
    PtrVec decls = {0};
    char err[CG_ERR_LEN] = "no attention variants";
    CgJit *jit = NULL;
    if (gpu_case_parse_settings(&c.arena, nsettings, argv + 2 + no_cuda, settings) &&
        gpu_case_attentions(&c, path, &decls))
        jit = cg_jit_create(&c.arena, (Decl *const *)decls.items, decls.len, CG_TEMPLATE_GPU_EMU, err);
    if (!jit) {
        printf("FAIL %s: %s\n", path, err);
        failures++;
    }
    for (int i = 0; jit && i < decls.len; i++) {
        const Decl *d = decls.items[i];
        attn_variant var;
        attn_gpu_variant gv;
        if (!run_gpu_variant_build(&c.arena, d, jit, &var, &gv, err)) {
            printf("FAIL %s: %s\n", d->name, err);
            failures++;
            continue;
        }
        failures += fwd_variant(&c, d, &gv, i, no_cuda, settings, nsettings);
    }
    cg_jit_free(jit);
    diag_finish(&c.diags);
    compilation_free(&c);
    printf("%d failure(s)\n", failures);
    return failures ? 1 : 0;
}
