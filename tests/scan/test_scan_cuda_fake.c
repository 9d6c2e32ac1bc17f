/* test_scan_cuda_fake.c - attn_scan_gpu's CUDA path against the fake driver
 * (tests/cuda/fake_cuda.c, via $ATTN_CUDA_DRIVER; it reports compute
 * capability 9.0 and keeps "device" memory on the host but runs nothing):
 * selective_scan's sm_90a PTX loaded and its entry found, the launch
 * geometry (one CTA of ATTN_SCAN_GPU_THREADS threads per row, the shared
 * memory of the state's lanes), the outputs copied to the device and back,
 * nothing left allocated.
 *   test_scan_cuda_fake ssm.attn */
#include <string.h>

#include "compiler.h"
#include "fake_cuda_client.h"
#include "scan_problem.h"

static void test_launch(Arena *arena, Decl *d, const fake_cuda_state *st)
{
    ScanProgram prog;
    char err[CG_ERR_LEN];
    const CgTarget sm90a = CG_TARGET_SM90A;
    if (!run_scan_gpu_program(arena, d, &sm90a, &prog, err)) {
        CHECK(false, err);
        return;
    }
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

int main(int argc, char **argv)
{
    void *lib;
    const fake_cuda_state *st = fake_cuda_attach(&lib);
    if (!st || argc != 2)
        return 1;
    Compilation c;
    compilation_init(&c, stderr);
    Module *m = compile_file(&c, argv[1]);
    Decl *d = m && !c.diags.errors ? module_find(m, "selective_scan") : NULL;
    CHECK(d, "selective_scan compiles");
    if (d)
        test_launch(&c.arena, d, st);
    diag_finish(&c.diags);
    compilation_free(&c);
    return fake_cuda_finish(lib, st);
}
