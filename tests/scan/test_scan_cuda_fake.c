/* test_scan_cuda_fake.c - attn_scan_gpu's CUDA path against the fake driver
 * (tests/cuda/fake_cuda.c, via $ATTN_CUDA_DRIVER; it reports compute
 * capability 9.0 and keeps "device" memory on the host but runs nothing):
 *   - selective_scan's sm_90a PTX loaded and its entry found, the launch
 *     geometry (one CTA of ATTN_SCAN_GPU_THREADS threads per row, the shared
 *     memory of the state's lanes), the outputs copied to the device and
 *     back, nothing left allocated;
 *   - the GPU stubs of every scan of the file (ssm_stubs.c, written by
 *     `attnc ssm.attn -o ssm_stubs --target sm_90a --emit stubs` and linked
 *     in): their rows and shared memory, C over the dims, equal the JIT's
 *     host functions for several shapes, and a launch through them has the
 *     JIT's geometry; selective_scan's typed launch, with and without its
 *     tensors, with CPU tensors (copied) and CUDA tensors (used in place;
 *     mixed devices, a pack on the device and the emulator refused).
 *   test_scan_cuda_fake ssm.attn */
#include <string.h>

#include "compiler.h"
#include "fake_cuda_client.h"
#include "scan_problem.h"
#include "ssm_stubs.h"

/* The stubs of every scan of std/ssm.attn. */
static const struct {
    const char *name;
    attn_scan_gpu_variant (*gpu_variant)(void);
} stubs[] = {
    {"selective_scan", ssm_stubs_selective_scan_scan_gpu_variant},
    {"selective_scan_noz", ssm_stubs_selective_scan_noz_scan_gpu_variant},
    {"selective_scan_raw", ssm_stubs_selective_scan_raw_scan_gpu_variant},
    {"causal_conv1d", ssm_stubs_causal_conv1d_scan_gpu_variant},
    {"mamba2_scan", ssm_stubs_mamba2_scan_scan_gpu_variant},
    {"retention", ssm_stubs_retention_scan_gpu_variant},
};

/* d's GPU program with its sm_90a PTX (false after a failed CHECK). */
static bool gpu_program(Arena *arena, Decl *d, ScanProgram *prog)
{
    char err[CG_ERR_LEN];
    const CgTarget sm90a = CG_TARGET_SM90A;
    bool ok = run_scan_gpu_program(arena, d, &sm90a, prog, err);
    CHECK(ok, err);
    return ok;
}

static void test_launch(Arena *arena, Decl *d, const fake_cuda_state *st)
{
    ScanProgram prog;
    if (!gpu_program(arena, d, &prog))
        return;
    /* dims in order of first appearance: B, D, L, N */
    int32_t dims[ATTN_MAX_VARIANT_DIMS] = {2, 3, 40, 4};
    int32_t seg[] = {10, 30};
    ScanProblem p;
    scan_problem_init(&p, d, dims, seg, 2, 3);
    for (int64_t e = 0; e < p.out_elems[0]; e++)
        p.out[0][e] = 7.0f;
    attn_status s = scan_problem_run(&p, &prog, 0, p.len, p.out, 1);
    CHECK(s == ATTN_OK, "attn_scan_gpu on the fake driver");
    attn_ctx ctx = {.params = NULL};
    memcpy(ctx.dims, dims, sizeof dims);
    CHECK(st->launches == 1 && st->grid[0] == 6 && st->grid[1] == 1 && st->grid[2] == 1 &&
              st->block[0] == ATTN_SCAN_GPU_THREADS && st->block[1] == 1 &&
              st->smem == (unsigned)prog.gpu.smem(&ctx) && prog.gpu.smem(&ctx) > 4 * 4,
          "one CTA per row (B * D), the lanes' shared memory");
    bool back = true;
    for (int64_t e = 0; e < p.out_elems[0]; e++)
        back = back && p.out[0][e] == 7.0f;
    CHECK(back, "the outputs come back from the device");
    scan_problem_free(&p);
    run_scan_program_free(&prog);
}

/* Scan d's stubs against its JIT-compiled program: geometry for several
 * shapes, and a launch of the same problem through each. */
static void test_stub(Arena *arena, Decl *d, const attn_scan_gpu_variant *stub, const fake_cuda_state *st)
{
    ScanProgram prog;
    if (!gpu_program(arena, d, &prog))
        return;
    CHECK(stub->var->kind == ATTN_KIND_SCAN && stub->var->ndims == d->ndims && !stub->emu &&
              strcmp(stub->entry, prog.gpu.entry) == 0 && stub->ptx[ATTN_GPU_PTX_SM90A] &&
              !stub->ptx[ATTN_GPU_PTX_SM80],
          d->name);
    bool same = true;
    for (int k = 0; k < 4; k++) {
        attn_ctx ctx = {.params = NULL};
        for (int j = 0; j < d->ndims; j++)
            ctx.dims[j] = 1 + (k * 7 + j * 3) % 11 + (k == 3 ? 5000 : 0);
        same = same && stub->rows(&ctx) == prog.gpu.rows(&ctx) && stub->smem(&ctx) == prog.gpu.smem(&ctx);
    }
    CHECK(same, "the stub's rows and shared memory are the JIT's");
    int32_t dims[ATTN_MAX_VARIANT_DIMS];
    for (int j = 0; j < ATTN_MAX_VARIANT_DIMS; j++)
        dims[j] = 2 + j;
    dims[d->scan.axis_dim_id] = 40;
    int32_t seg[] = {10, 30};
    ScanProblem p;
    scan_problem_init(&p, d, dims, seg, 2, 5);
    CHECK(scan_problem_run(&p, &prog, 0, p.len, p.out, 1) == ATTN_OK, "JIT launch");
    unsigned grid = st->grid[0], smem = st->smem;
    ScanProgram via_stub = prog;
    via_stub.gpu = *stub;
    CHECK(scan_problem_run(&p, &via_stub, 0, p.len, p.out, 1) == ATTN_OK, "launch through the stub");
    CHECK(st->grid[0] == grid && st->smem == smem && st->block[0] == ATTN_SCAN_GPU_THREADS,
          "the stub's launch geometry is the JIT's");
    scan_problem_free(&p);
    run_scan_program_free(&prog);
}

/* ssm_stubs_selective_scan_scan_gpu: refused without tensors (by name),
 * launched with them. */
static void test_typed_launch(Decl *d, fake_cuda_state *st)
{
    attn_status s = ssm_stubs_selective_scan_scan_gpu(NULL, NULL, NULL);
    CHECK(s != ATTN_OK && strstr(attn_last_error(), "'u'"), "missing tensors named");
    int32_t dims[ATTN_MAX_VARIANT_DIMS] = {2, 3, 40, 4};
    int32_t seg[] = {40};
    ScanProblem p;
    scan_problem_init(&p, d, dims, seg, 1, 9);
    DLTensor t[9];
    for (int i = 0; i < 8; i++)
        t[i] = (DLTensor){.data = p.in[i], .device = {kDLCPU, 0}, .ndim = d->params[i]->type->ndims,
                          .dtype = {kDLFloat, 32, 1}, .shape = p.shape[i]};
    int64_t nofs = 2;
    t[8] = (DLTensor){.data = p.offsets, .device = {kDLCPU, 0}, .ndim = 1, .dtype = {kDLInt, 32, 1},
                      .shape = &nofs};
    ssm_stubs_selective_scan_params prm = {&t[0], &t[1], &t[2], &t[3], &t[4], &t[5], &t[6], &t[7], &t[8]};
    DLTensor y = {.data = p.out[0], .device = {kDLCPU, 0}, .ndim = 3, .dtype = {kDLFloat, 32, 1},
                  .shape = p.out_shape[0]};
    ssm_stubs_selective_scan_outputs out = {&y};
    int launches = st->launches, allocs = st->allocs_total;
    s = ssm_stubs_selective_scan_scan_gpu(&prm, &out, NULL);
    CHECK(s == ATTN_OK && st->launches == launches + 1 && st->grid[0] == 6, "typed launch: B * D rows");
    /* the output; 8 tensors, the pack's offsets and segment table and the
     * slots staged into one buffer */
    CHECK(st->allocs_total == allocs + 2, "CPU tensors: everything copied to the device");

    /* CUDA tensors (the fake driver's device memory is host memory) are
     * used in place: only the pack's two tables and the slots are copied,
     * in one buffer allocated and freed in stream order, with no wait. */
    for (int i = 0; i < 8; i++)
        t[i].device = (DLDevice){kDLCUDA, 0};
    y.device = (DLDevice){kDLCUDA, 0};
    allocs = st->allocs_total;
    int syncs = st->syncs, copies = st->htod_copies, frees = st->frees_async;
    s = ssm_stubs_selective_scan_scan_gpu(&prm, &out, NULL);
    CHECK(s == ATTN_OK && st->launches == launches + 2 && st->grid[0] == 6 && st->allocs_total == allocs + 1,
          "CUDA tensors: in place");
    CHECK(st->syncs == syncs && st->frees_async == frees + 1 && st->htod_copies == copies + 1,
          "CUDA tensors: the parameters sent in stream order, no wait");
    st->capturing = 1; /* a graph capture: refused before any allocation, copy or launch */
    allocs = st->allocs_total;
    s = ssm_stubs_selective_scan_scan_gpu(&prm, &out, NULL);
    CHECK(s == ATTN_ERR_UNSUPPORTED && strstr(attn_last_error(), "cannot be captured") &&
              st->allocs_total == allocs && st->launches == launches + 2,
          "capturing: refused untouched");
    st->capturing = 0;
    st->capture_implicit = 1; /* the legacy stream (NULL) while another stream captures */
    s = ssm_stubs_selective_scan_scan_gpu(&prm, &out, NULL);
    CHECK(s == ATTN_ERR_UNSUPPORTED && strstr(attn_last_error(), "CUDA_ERROR_STREAM_CAPTURE_IMPLICIT") &&
              st->allocs_total == allocs && st->launches == launches + 2,
          "legacy stream during another capture: refused untouched");
    st->capture_implicit = 0;
    /* tensor 3 on the CPU among CUDA tensors; the pack (8) on the device */
    static const struct {
        int tensor, device;
        const char *msg;
    } refused[] = {{3, kDLCPU, "tensor arguments and outputs must be all CPU or all CUDA tensors"},
                   {8, kDLCUDA, "pack argument 8: offsets are read on the host, pass a CPU tensor"}};
    for (size_t r = 0; r < sizeof refused / sizeof refused[0]; r++) {
        DLDevice was = t[refused[r].tensor].device;
        t[refused[r].tensor].device = (DLDevice){(DLDeviceType)refused[r].device, 0};
        s = ssm_stubs_selective_scan_scan_gpu(&prm, &out, NULL);
        CHECK(s == ATTN_ERR_UNSUPPORTED && strcmp(attn_last_error(), refused[r].msg) == 0, refused[r].msg);
        t[refused[r].tensor].device = was;
    }
    /* a tensor of another GPU than the current context's, by name */
    st->devices = 2;
    t[1].device.device_id = 1;
    s = ssm_stubs_selective_scan_scan_gpu(&prm, &out, NULL);
    CHECK(s == ATTN_ERR_UNSUPPORTED &&
              strcmp(attn_last_error(), "argument 'delta': a CUDA tensor on device 1, but the current "
                                        "CUDA context is on device 0; launch with a context of device 1 "
                                        "current") == 0,
          "an argument on another GPU refused");
    t[1].device.device_id = 0;
    y.device.device_id = 2;
    s = ssm_stubs_selective_scan_scan_gpu(&prm, &out, NULL);
    CHECK(s == ATTN_ERR_UNSUPPORTED &&
              strcmp(attn_last_error(), "output 'y': a CUDA tensor on device 2, which the CUDA driver "
                                        "does not have") == 0,
          "an output on a device the driver lacks refused");
    y.device.device_id = 0;
    st->devices = 0;
    attn_scan_gpu_variant gv = ssm_stubs_selective_scan_scan_gpu_variant();
    gv.emu = (attn_emu_kernel_fn)1; /* never called: refused first */
    attn_arg args[9];
    for (int i = 0; i < 8; i++)
        args[i] = attn_arg_tensor(i, &t[i]);
    args[8] = attn_arg_pack(8, &t[8]);
    DLTensor *outs[1] = {&y};
    s = attn_scan_gpu(&gv, ATTN_GPU_EMU, args, 9, outs, 1, NULL);
    CHECK(s == ATTN_ERR_UNSUPPORTED &&
              strcmp(attn_last_error(), "the emulator takes CPU tensors, got a CUDA tensor") == 0,
          "the emulator refuses CUDA tensors");
    CHECK(st->launches == launches + 2, "no launch after a refusal");
    scan_problem_free(&p);
}

int main(int argc, char **argv)
{
    void *lib;
    fake_cuda_state *st = fake_cuda_attach(&lib);
    if (!st || argc != 2)
        return 1;
    Compilation c;
    compilation_init(&c, stderr);
    Module *m = compile_file(&c, argv[1]);
    Decl *d = m && !c.diags.errors ? module_find(m, "selective_scan") : NULL;
    CHECK(d, "selective_scan compiles");
    if (d) {
        test_launch(&c.arena, d, st);
        test_typed_launch(d, st);
    }
    int nscans = 0;
    for (int i = 0; m && i < m->ndecls; i++) {
        Decl *s = m->decls[i];
        if (s->kind != DECL_SCAN)
            continue;
        nscans++;
        size_t k = 0;
        while (k < sizeof stubs / sizeof stubs[0] && strcmp(stubs[k].name, s->name) != 0)
            k++;
        CHECK(k < sizeof stubs / sizeof stubs[0], "every scan of the file has stubs in the table");
        if (k < sizeof stubs / sizeof stubs[0]) {
            attn_scan_gpu_variant gv = stubs[k].gpu_variant();
            test_stub(&c.arena, s, &gv, st);
        }
    }
    CHECK(nscans == (int)(sizeof stubs / sizeof stubs[0]), "the table covers the file's scans");
    diag_finish(&c.diags);
    compilation_free(&c);
    return fake_cuda_finish(lib, st);
}
