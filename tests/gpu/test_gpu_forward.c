/* test_gpu_forward.c - the runtime's GPU entry end to end: every attention
 * variant of FILE.attn compiled in-process (run_gpu.h: descriptor, emu
 * JIT) and launched with attn_forward_gpu, checked against the reference
 * interpreter.
 *
 *   test_gpu_forward FILE.attn [VARIANT.PARAM=VALUE]...
 *       ATTN_GPU_EMU on small ragged shapes (f16 and bf16, GQA, D != DV),
 *       one with 4500 keys (more tiles than the kernel's tile ring holds),
 *       plus the refusal of a head dim without a kernel;
 *   test_gpu_forward --block-masks FILE.attn [VARIANT.PARAM=VALUE]...
 *       ATTN_GPU_EMU launches that walk a BlockMask: the variant's own
 *       (attn_block_mask_build), and random ones (blocks empty, partial or
 *       full; shared along B; 64- and 128-key blocks; 7500 keys), each
 *       against the CPU kernel walking the same BlockMask; plus the
 *       refusal of BlockMasks whose blocks or lengths do not fit;
 *   test_gpu_forward --no-cuda FILE.attn [VARIANT.PARAM=VALUE]...
 *       ATTN_GPU_CUDA where no driver loads (ATTN_CUDA_DRIVER names a
 *       missing library): each launch must fail with ATTN_ERR_UNSUPPORTED
 *       and "CUDA unavailable: ...".
 * Exit 0 when all agree. */
#include <stdio.h>
#include <string.h>

#include "gpu_bm_case.h"
#include "run_attention.h"
#include "run_gpu.h"

/* Emulator shapes, rotated over the variants; Q, KV <= 150 (the emulator is slow). */
static const GpuShape fwd_shapes[] = {
    {ATTN_F16, 1, 2, 1, 100, 77, 64, 64},    {ATTN_BF16, 2, 2, 2, 37, 150, 64, 64},
    {ATTN_BF16, 1, 2, 2, 129, 129, 128, 128}, {ATTN_F16, 1, 4, 2, 70, 70, 64, 128},
};
enum { FWD_NSHAPES = sizeof fwd_shapes / sizeof fwd_shapes[0], FWD_CASES_PER_VARIANT = 2 };
/* More key tiles (282 of 16 keys at D = 256) than the kernel's ring of
 * ATTN_GPU_TILE_RING descriptors holds: the ring is refilled twice. */
static const GpuShape fwd_long_keys = {ATTN_BF16, 1, 1, 1, 20, 4500, 256, 256};

/* BlockMask cases (gpu_bm_case.h). */
static const GpuBmCase fwd_bm_cases[] = {
    {{ATTN_BF16, 2, 2, 1, 150, 200, 64, 64}, 64, false},
    {{ATTN_F16, 2, 2, 2, 97, 129, 128, 128}, 128, true},
    /* first variant only: about 310 tiles of 16 keys, so the ring is refilled */
    {{ATTN_BF16, 1, 1, 1, 20, 7500, 256, 256}, 64, false},
};
enum { FWD_BM_NCASES = sizeof fwd_bm_cases / sizeof fwd_bm_cases[0] };

/* Whether a launch that returned st was refused as expected: status `want`
 * and a message starting with `prefix`. */
static bool fwd_refusal_is(attn_status st, attn_status want, const char *prefix, const char *what)
{
    const char *msg = attn_last_error();
    if (st != want || strncmp(msg, prefix, strlen(prefix)) != 0) {
        printf("FAIL %s: expected %s \"%s...\", got %s \"%s\"\n", what, attn_status_name(want),
               prefix, attn_status_name(st), msg);
        return false;
    }
    printf("ok   %s: %s\n", what, msg);
    return true;
}

/* attn_forward_gpu must refuse c with opts (no kernel for its head dims, no
 * CUDA, a BlockMask that does not fit): fwd_refusal_is. */
static bool fwd_expect_failure(Arena *a, const attn_gpu_variant *gv, attn_gpu_device dev,
                               const GpuCase *c, const attn_launch_opts *opts, attn_status want,
                               const char *prefix, const char *what)
{
    uint16_t *out;
    float *lse;
    return fwd_refusal_is(gpu_launch_run(a, gv, dev, false, c, opts, &out, &lse), want, prefix,
                          what);
}

/* A 4 x 4 f16 case of d at head dim D = DV = dim (arguments from settings,
 * seed) launched on the emulator with opts must be refused with status
 * `want` and `prefix`; what NULL: the case's description. */
static bool fwd_refused(Compilation *c, const Decl *d, const attn_gpu_variant *gv, int dim,
                        const attn_launch_opts *opts, uint32_t seed, const GpuSetting *settings,
                        int nsettings, attn_status want, const char *prefix, const char *what)
{
    GpuShape s = gpu_case_fit(d, &(GpuShape){ATTN_F16, 1, 1, 1, 4, 4, dim, dim});
    GpuCase gc;
    return gpu_case_build(&c->arena, d, &s, settings, nsettings, seed, &gc) &&
           fwd_expect_failure(&c->arena, gv, ATTN_GPU_EMU, &gc, opts, want, prefix,
                              what ? what : gpu_case_what(&c->arena, d, &s));
}

/* A k row stride past ATTN_GPU_MAX_ROW_STRIDE (the kernel's row offsets are
 * 32-bit) must be refused before the emulator runs (a 4 x 4 case at D = 64;
 * the view is never read). */
static bool fwd_row_stride_refused(Compilation *c, const Decl *d, const attn_gpu_variant *gv,
                                   const GpuSetting *settings, int nsettings)
{
    GpuShape s = gpu_case_fit(d, &(GpuShape){ATTN_F16, 1, 1, 1, 4, 4, 64, 64});
    GpuCase gc;
    if (!gpu_case_build(&c->arena, d, &s, settings, nsettings, 9, &gc))
        return false;
    DLTensor t[5];
    int64_t shape[5][4], k_strides[4] = {(int64_t)s.HKV * s.KV * s.D, (int64_t)s.KV * s.D,
                                         ATTN_GPU_MAX_ROW_STRIDE + 8, 1};
    uint16_t *out;
    float *lse;
    gpu_launch_tensors(&c->arena, &gc, &out, &lse, t, shape);
    t[1].strides = k_strides;
    attn_arg *args;
    int32_t nargs = gpu_launch_args(&c->arena, gv->var, &gc, &args);
    attn_status st = attn_forward_gpu(gv, ATTN_GPU_EMU, &t[0], &t[1], &t[2], &t[3], &t[4], args,
                                      nargs, NULL);
    return fwd_refusal_is(st, ATTN_ERR_SHAPE,
                          arena_printf(&c->arena, "GPU attention: k row stride (stride[2]) = %d "
                                       "elements: the GPU kernels take row strides from 0 to %d",
                                       ATTN_GPU_MAX_ROW_STRIDE + 8, ATTN_GPU_MAX_ROW_STRIDE),
                          "a k row stride past ATTN_GPU_MAX_ROW_STRIDE");
}

/* The cases of variant number i (declaration d, compiled gv); failures. */
static int fwd_variant(Compilation *c, const Decl *d, const attn_gpu_variant *gv, int i,
                       bool no_cuda, const GpuSetting *settings, int nsettings)
{
    int failures = 0;
    for (int j = 0; j <= (no_cuda ? 0 : FWD_CASES_PER_VARIANT); j++) {
        const bool long_keys = j == FWD_CASES_PER_VARIANT;
        GpuShape s = gpu_case_fit(d, long_keys ? &fwd_long_keys
                                               : &fwd_shapes[(i * FWD_CASES_PER_VARIANT + j) % FWD_NSHAPES]);
        if (long_keys && s.Q != fwd_long_keys.Q)
            continue; /* a pack makes Q = KV: too slow on the emulator */
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
    if (i == 0 && !no_cuda) /* D = 48 has no specialisation */
        failures += !fwd_refused(c, d, gv, 48, NULL, 5, settings, nsettings, ATTN_ERR_UNSUPPORTED,
                                 arena_printf(&c->arena, "%s: no GPU kernel for f16 with "
                                              "D = 48, DV = 48", d->name), NULL) +
                    !fwd_row_stride_refused(c, d, gv, settings, nsettings);
    return failures;
}

/* BlockMasks that a GPU launch must refuse (a 4 x 4 case at D = 64). */
static int fwd_bm_refusals(Compilation *c, const Decl *d, const attn_gpu_variant *gv,
                           const GpuSetting *settings, int nsettings)
{
    attn_block_mask fine = {.B = 1, .H = 1, .q_len = 4, .kv_len = 4, .block_q = 32, .block_kv = 64};
    attn_block_mask other_q = {.B = 1, .H = 1, .q_len = 5, .kv_len = 4, .block_q = 128, .block_kv = 64};
    attn_block_mask on_cuda = {.B = 1, .H = 1, .q_len = 4, .kv_len = 4, .block_q = 128,
                               .block_kv = 64, .device = ATTN_BLOCK_MASK_CUDA};
    const attn_launch_opts fine_opts = {.block_mask = &fine}, other_opts = {.block_mask = &other_q},
                           cuda_opts = {.block_mask = &on_cuda};
    const char *fine_error = arena_printf(
        &c->arena, "block mask: blocks of 32 x 64; the GPU kernel for D = 64, DV = 64 needs "
                   "block_q a multiple of %d and block_kv a multiple of %d",
        ATTN_GPU_BLOCK_Q(64, 64), ATTN_GPU_BLOCK_KV(64, 64));
    return !fwd_refused(c, d, gv, 64, &fine_opts, 6, settings, nsettings, ATTN_ERR_SHAPE,
                        fine_error, "a BlockMask of 32-row query blocks") +
           !fwd_refused(c, d, gv, 64, &other_opts, 7, settings, nsettings, ATTN_ERR_SHAPE,
                        "block mask: built for Q=5 KV=4, launch has Q=4 KV=4",
                        "a BlockMask of another length") +
           !fwd_refused(c, d, gv, 64, &cuda_opts, 8, settings, nsettings, ATTN_ERR_UNSUPPORTED,
                        "block mask: in CUDA device memory; the emulator reads host BlockMasks "
                        "(attn_block_mask_build, attn_block_mask_build_gpu)", "a BlockMask in device memory");
}

/* The BlockMask cases of variant number i: no BlockMask (one is built for a
 * variant whose analysis is dense) and its own BlockMask, then random ones,
 * each against the CPU kernel (host variant `cpu`); failures. */
static int fwd_bm_variant(Compilation *c, const Decl *d, const attn_gpu_variant *gv,
                          const attn_variant *cpu, int i, const GpuSetting *settings,
                          int nsettings)
{
    int failures = 0;
    for (int j = 0; j < FWD_BM_NCASES; j++)
        if (j < FWD_BM_NCASES - 1 || i == 0) /* the long case is slow on the emulator */
            failures += gpu_bm_case_run(&c->arena, d, gv, ATTN_GPU_EMU, cpu, &fwd_bm_cases[j],
                                        settings, nsettings, 57u * i + j, j == 0);
    if (i == 0)
        failures += fwd_bm_refusals(c, d, gv, settings, nsettings);
    return failures;
}

/* The --block-masks cases of declaration d (compiled gv): its host variant
 * (CPU kernel and hooks) is JIT-compiled for the oracle; failures. */
static int fwd_bm_declaration(Compilation *c, Decl *d, const attn_gpu_variant *gv, int i,
                              const GpuSetting *settings, int nsettings)
{
    AttnProgram host;
    char err[CG_ERR_LEN];
    if (!run_attn_program(&c->arena, d, &host, err)) {
        printf("FAIL %s: host JIT: %s\n", d->name, err);
        return 1;
    }
    int failures = fwd_bm_variant(c, d, gv, &host.var, i, settings, nsettings);
    run_attn_program_free(&host);
    return failures;
}

int main(int argc, char **argv)
{
    bool no_cuda = argc > 1 && strcmp(argv[1], "--no-cuda") == 0;
    bool block_masks = argc > 1 && strcmp(argv[1], "--block-masks") == 0;
    const int first = 1 + no_cuda + block_masks; /* FILE.attn */
    if (argc <= first) {
        fprintf(stderr, "usage: test_gpu_forward [--no-cuda | --block-masks] FILE.attn "
                "[VARIANT.PARAM=VALUE]...\n");
        return 2;
    }
    const char *path = argv[first];
    Compilation c;
    compilation_init(&c, stderr);
    int nsettings = argc - first - 1, failures = 0;
    GpuSetting *settings = arena_alloc(&c.arena, (size_t)(nsettings + 1) * sizeof *settings);
    PtrVec decls = {0};
    char err[CG_ERR_LEN] = "no attention variants";
    CgJit *jit = NULL;
    if (gpu_case_parse_settings(&c.arena, nsettings, argv + first + 1, settings) &&
        gpu_case_attentions(&c, path, &decls))
        jit = cg_jit_create(&c.arena, (Decl *const *)decls.items, decls.len, CG_TEMPLATE_GPU_EMU, err);
    if (!jit) {
        printf("FAIL %s: %s\n", path, err);
        failures++;
    }
    for (int i = 0; jit && i < decls.len; i++) {
        Decl *d = decls.items[i];
        attn_variant var;
        attn_gpu_variant gv;
        if (!run_gpu_variant_build(&c.arena, d, jit, &var, &gv, err)) {
            printf("FAIL %s: %s\n", d->name, err);
            failures++;
            continue;
        }
        failures += block_masks ? fwd_bm_declaration(&c, d, &gv, i, settings, nsettings)
                                : fwd_variant(&c, d, &gv, i, no_cuda, settings, nsettings);
    }
    cg_jit_free(jit);
    diag_finish(&c.diags);
    compilation_free(&c);
    printf("%d failure(s)\n", failures);
    return failures ? 1 : 0;
}
