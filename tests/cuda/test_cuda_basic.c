/* test_cuda_basic.c - the CUDA path on a GPU with hand-written PTX (sm_80):
 * a vector add launched and checked; a kernel using 100 KiB of dynamic
 * shared memory (the opt-in); the module cache (identical text, one module);
 * the driver's JIT error log in the message of a bad module; a missing entry;
 * a strided tensor's round trip. Exits 77 without a driver. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_attn_problem.h"

/* c[i] = a[i] + b[i] for i < n; smem_probe: thread 0 stores 42 at byte
 * `off` of the dynamic shared memory, reads it back, writes it to out[0]. */
static const char test_ptx[] =
    ".version 7.0\n"
    ".target sm_80\n"
    ".address_size 64\n"
    ".extern .shared .align 16 .b8 dyn_smem[];\n"
    ".visible .entry vec_add(.param .u64 pa, .param .u64 pb, .param .u64 pc, .param .u32 pn)\n"
    "{\n"
    "  .reg .pred %p;\n"
    "  .reg .b32 %r<6>;\n"
    "  .reg .f32 %f<4>;\n"
    "  .reg .b64 %rd<10>;\n"
    "  ld.param.u64 %rd1, [pa];\n"
    "  ld.param.u64 %rd2, [pb];\n"
    "  ld.param.u64 %rd3, [pc];\n"
    "  ld.param.u32 %r1, [pn];\n"
    "  mov.u32 %r2, %ctaid.x;\n"
    "  mov.u32 %r3, %ntid.x;\n"
    "  mov.u32 %r4, %tid.x;\n"
    "  mad.lo.s32 %r5, %r2, %r3, %r4;\n"
    "  setp.ge.u32 %p, %r5, %r1;\n"
    "  @%p bra DONE;\n"
    "  cvta.to.global.u64 %rd4, %rd1;\n"
    "  cvta.to.global.u64 %rd5, %rd2;\n"
    "  cvta.to.global.u64 %rd6, %rd3;\n"
    "  mul.wide.u32 %rd7, %r5, 4;\n"
    "  add.s64 %rd4, %rd4, %rd7;\n"
    "  add.s64 %rd5, %rd5, %rd7;\n"
    "  add.s64 %rd6, %rd6, %rd7;\n"
    "  ld.global.f32 %f1, [%rd4];\n"
    "  ld.global.f32 %f2, [%rd5];\n"
    "  add.f32 %f3, %f1, %f2;\n"
    "  st.global.f32 [%rd6], %f3;\n"
    "DONE:\n"
    "  ret;\n"
    "}\n"
    ".visible .entry smem_probe(.param .u64 pout, .param .u32 poff)\n"
    "{\n"
    "  .reg .pred %p;\n"
    "  .reg .b32 %r<4>;\n"
    "  .reg .b64 %rd<4>;\n"
    "  mov.u32 %r1, %tid.x;\n"
    "  setp.ne.u32 %p, %r1, 0;\n"
    "  @%p bra END;\n"
    "  ld.param.u64 %rd1, [pout];\n"
    "  ld.param.u32 %r2, [poff];\n"
    "  mov.u32 %r3, dyn_smem;\n"
    "  add.u32 %r3, %r3, %r2;\n"
    "  mov.u32 %r1, 42;\n"
    "  st.shared.u32 [%r3], %r1;\n"
    "  ld.shared.u32 %r1, [%r3];\n"
    "  cvta.to.global.u64 %rd2, %rd1;\n"
    "  st.global.u32 [%rd2], %r1;\n"
    "END:\n"
    "  ret;\n"
    "}\n";

static int failures;

#define CHECK(cond, ...)                                                                       \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "FAIL line %d: ", __LINE__);                                       \
            fprintf(stderr, __VA_ARGS__);                                                      \
            fprintf(stderr, " [%s]\n", attn_last_error());                                     \
            failures++;                                                                        \
        }                                                                                      \
    } while (0)

static void test_vec_add(attn_cuda_module *m) {
    enum { N = 100000 };
    float *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b), *c = malloc(N * sizeof *c);
    for (int i = 0; i < N; i++)
        a[i] = (float)i, b[i] = 0.5f * (float)i, c[i] = -1.0f;
    void *da = NULL, *db = NULL, *dc = NULL;
    attn_cuda_kernel k;
    CHECK(attn_cuda_kernel_get(m, "vec_add", 0, &k) == ATTN_OK, "kernel_get vec_add");
    CHECK(attn_cuda_malloc(N * 4, &da) == ATTN_OK && attn_cuda_malloc(N * 4, &db) == ATTN_OK &&
              attn_cuda_malloc(N * 4, &dc) == ATTN_OK, "malloc");
    CHECK(attn_cuda_memcpy_htod(da, a, N * 4) == ATTN_OK, "htod");
    CHECK(attn_cuda_memcpy_htod_async(db, b, N * 4, NULL) == ATTN_OK, "htod async");
    CHECK(attn_cuda_memset(dc, 0xff, N * 4) == ATTN_OK, "memset");
    unsigned n = N;
    void *params[] = {&da, &db, &dc, &n};
    uint32_t grid[3] = {(N + 255) / 256, 1, 1}, block[3] = {256, 1, 1};
    CHECK(attn_cuda_launch(&k, grid, block, params, NULL) == ATTN_OK, "launch vec_add");
    CHECK(attn_cuda_synchronize(NULL) == ATTN_OK, "synchronize");
    CHECK(attn_cuda_memcpy_dtoh(c, dc, N * 4) == ATTN_OK, "dtoh");
    int bad = 0;
    for (int i = 0; i < N; i++)
        bad += c[i] != 1.5f * (float)i;
    CHECK(bad == 0, "vec_add: %d wrong elements", bad);
    attn_cuda_free(da);
    attn_cuda_free(db);
    attn_cuda_free(dc);
    free(a);
    free(b);
    free(c);
}

/* 100 KiB of dynamic shared memory: needs the opt-in (sm_80: up to 163 KiB). */
static void test_smem_optin(attn_cuda_module *m) {
    enum { SMEM = 100 * 1024 };
    attn_cuda_kernel k;
    void *dout = NULL;
    unsigned off = SMEM - 4, value = 0;
    CHECK(attn_cuda_kernel_get(m, "smem_probe", SMEM, &k) == ATTN_OK, "kernel_get smem_probe");
    CHECK(attn_cuda_malloc(4, &dout) == ATTN_OK, "malloc");
    void *params[] = {&dout, &off};
    uint32_t grid[3] = {1, 1, 1}, block[3] = {32, 1, 1};
    CHECK(attn_cuda_launch(&k, grid, block, params, NULL) == ATTN_OK, "launch smem_probe");
    CHECK(attn_cuda_memcpy_dtoh(&value, dout, 4) == ATTN_OK, "dtoh");
    CHECK(value == 42, "smem_probe read %u", value);
    attn_cuda_free(dout);
    attn_cuda_kernel big;
    CHECK(attn_cuda_kernel_get(m, "smem_probe", 1 << 20, &big) == ATTN_ERR_INVALID_ARG &&
              strstr(attn_last_error(), "cuFuncSetAttribute"), "1 MiB of shared memory refused");
}

static void test_errors(attn_cuda_module *m) {
    attn_cuda_module *again = NULL, *bad = NULL;
    char *copy = strdup(test_ptx);
    CHECK(attn_cuda_module_load(copy, &again) == ATTN_OK && again == m, "cache hit on equal text");
    free(copy);
    attn_status s = attn_cuda_module_load(".version 7.0\n.target sm_80\n.address_size 64\n"
                                          ".visible .entry broken() { bogus.instr; }\n", &bad);
    printf("bad PTX: %s\n", attn_last_error());
    CHECK(s != ATTN_OK && !bad && strstr(attn_last_error(), "cuModuleLoadDataEx: CUDA_ERROR_") &&
              strstr(attn_last_error(), "JIT error log: ") && attn_cuda_jit_log()[0],
          "bad PTX reports the driver error and the JIT log");
    attn_cuda_kernel k;
    CHECK(attn_cuda_kernel_get(m, "no_such_kernel", 0, &k) != ATTN_OK &&
              strstr(attn_last_error(), "cuModuleGetFunction(\"no_such_kernel\"): CUDA_ERROR_"),
          "missing entry named");
}

/* A [3, 5] f32 view with row stride 8 goes up compact and comes back into
 * a transposed-stride view. */
static void test_tensors(void) {
    float src[24], dst[15];
    for (int i = 0; i < 24; i++)
        src[i] = (float)i;
    int64_t shape[2] = {3, 5}, sstr[2] = {8, 1}, dstr[2] = {1, 3};
    DLTensor hs = {src, {kDLCPU, 0}, 2, {kDLFloat, 32, 1}, shape, sstr, 0};
    DLTensor hd = {dst, {kDLCPU, 0}, 2, {kDLFloat, 32, 1}, shape, dstr, 0};
    attn_cuda_tensor *t = NULL;
    CHECK(attn_cuda_tensor_upload(&hs, &t) == ATTN_OK, "upload");
    CHECK(t && attn_cuda_tensor_download(&t->t, &hd) == ATTN_OK, "download");
    int bad = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 5; j++)
            bad += dst[j * 3 + i] != src[i * 8 + j];
    CHECK(bad == 0, "tensor round trip: %d wrong", bad);
    attn_cuda_tensor_free(t);
}

int main(void) {
    attn_status s = attn_cuda_init();
    if (cuda_attn_skip_code(s))
        return 77;
    attn_cuda_info info;
    CHECK(s == ATTN_OK && attn_cuda_device_info(&info) == ATTN_OK, "init");
    if (failures)
        return 1;
    printf("driver %d, sm_%d%d, %d SMs, %d bytes shared memory opt-in\n", info.driver_version,
           info.cc_major, info.cc_minor, info.sm_count, info.smem_optin_bytes);
    attn_cuda_module *m = NULL;
    CHECK(attn_cuda_module_load(test_ptx, &m) == ATTN_OK, "load PTX");
    if (m) {
        test_vec_add(m);
        test_smem_optin(m);
        test_errors(m);
    }
    test_tensors();
    attn_cuda_release();
    /* Usable again after a release. */
    CHECK(attn_cuda_module_load(test_ptx, &m) == ATTN_OK, "load after release");
    attn_cuda_release();
    if (failures)
        return 1;
    printf("ok\n");
    return 0;
}
