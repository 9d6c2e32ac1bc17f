/* test_cuda_fake.c - the runtime's driver paths against the fake driver
 * (fake_cuda.c, via $ATTN_CUDA_DRIVER): primary context retained once and
 * released, the module cache, JIT error logs in messages, kernel lookup and
 * the shared memory opt-in, a kernel's resources (registers, local memory,
 * CTAs per SM), the attention launch geometry and argument checks, timing,
 * tensors, and nothing left allocated. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attn_cuda.h"
#include "fake_cuda_client.h"

static const char ptx[] = ".version 8.0\n.target sm_90a\n.visible .entry x_attn_fwd_gpu(\n";

static void test_modules(const fake_cuda_state *st) {
    attn_cuda_module *m1 = NULL, *m2 = NULL, *bad = NULL;
    char *copy = strdup(ptx);
    CHECK(attn_cuda_module_load(ptx, &m1) == ATTN_OK && st->retained == 1, "load, ctx retained");
    CHECK(attn_cuda_module_load(copy, &m2) == ATTN_OK && m1 == m2 && st->loads == 1,
          "equal text: one module");
    free(copy);
    CHECK(attn_cuda_module_load("bogus", &bad) == ATTN_ERR_UNSUPPORTED && !bad &&
              strcmp(attn_last_error(), "cuModuleLoadDataEx: CUDA_ERROR_INVALID_PTX: a PTX JIT "
                                        "compilation failed; JIT error log: ptxas fatal: "
                                        "unknown instruction 'bogus'") == 0 &&
              strstr(attn_cuda_jit_log(), "bogus"),
          "JIT error log in the message");
    attn_cuda_kernel k;
    CHECK(attn_cuda_kernel_get(m1, "nope", 0, &k) == ATTN_ERR_UNSUPPORTED &&
              strcmp(attn_last_error(), "cuModuleGetFunction(\"nope\"): CUDA_ERROR_NOT_FOUND: "
                                        "named symbol not found") == 0,
          "missing entry");
    CHECK(attn_cuda_kernel_get(m1, "x_attn_fwd_gpu", FAKE_SMEM_OPTIN + 1, &k) ==
              ATTN_ERR_INVALID_ARG && strstr(attn_last_error(), "MAX_DYNAMIC_SHARED_SIZE_BYTES"),
          "opt-in refused");
}

static void test_attn_launch(const fake_cuda_state *st) {
    attn_cuda_kernel k;
    CHECK(attn_cuda_attn_fwd_kernel(ptx, "x_attn_fwd_gpu", 128, 128, &k) == ATTN_OK &&
              k.smem_bytes == ATTN_GPU_SMEM_BYTES(128, 128), "attention kernel");
    attn_cuda_kernel_resources res;
    CHECK(attn_cuda_kernel_resources_get(&k, ATTN_GPU_THREADS(128, 128), &res) == ATTN_OK &&
              res.registers == FAKE_KERNEL_REGS && res.local_bytes == 0 &&
              res.ctas_per_sm == FAKE_SMEM_OPTIN / ATTN_GPU_SMEM_BYTES(128, 128),
          "resources: the driver's registers, local memory and CTAs per SM");
    CHECK(attn_cuda_kernel_resources_get(&k, 0, &res) == ATTN_ERR_INVALID_ARG, "threads > 0");
    CHECK(attn_cuda_attn_fwd_kernel(ptx, "x_attn_fwd_gpu", 80, 128, &k) == ATTN_ERR_SHAPE,
          "D = 80 refused (not a multiple of 32)");
    attn_fwd_gpu_args a;
    memset(&a, 0, sizeof a);
    void *buf = NULL;
    CHECK(attn_cuda_malloc(4096, &buf) == ATTN_OK, "malloc");
    a.q = a.k = a.v = a.out = buf;
    int32_t dims[] = {3, 8, 2, 1000, 1000, 128, 128};
    memcpy(a.ctx.dims, dims, sizeof dims);
    for (int i = 0; i < 3; i++)
        a.q_stride[i] = a.k_stride[i] = a.v_stride[i] = a.o_stride[i] = 128;
    CHECK(attn_cuda_launch_attn_fwd(&k, &a, NULL) == ATTN_OK && st->grid[0] == 16 &&
              st->grid[1] == 8 && st->grid[2] == 3 && st->block[0] == 128 &&
              st->smem == (unsigned)ATTN_GPU_SMEM_BYTES(128, 128) && st->param0 == &a,
          "geometry (ceil(Q / 64), H, B), 128 threads, args by value");
    int launches = st->launches;
    a.ctx.dims[ATTN_DIM_Q] = 0;
    CHECK(attn_cuda_launch_attn_fwd(&k, &a, NULL) == ATTN_OK && st->launches == launches,
          "Q = 0 is a no-op");
    a.ctx.dims[ATTN_DIM_Q] = 1000;
    a.k_stride[1] = 100;
    CHECK(attn_cuda_launch_attn_fwd(&k, &a, NULL) == ATTN_ERR_SHAPE &&
              strcmp(attn_last_error(), "CUDA attention: k stride[1] = 100: expected a multiple "
                                        "of 8 elements") == 0, "stride checked");
    a.k_stride[1] = 128;
    a.v_stride[2] = ATTN_GPU_MAX_ROW_STRIDE + 8;
    CHECK(attn_cuda_launch_attn_fwd(&k, &a, NULL) == ATTN_ERR_SHAPE &&
              strstr(attn_last_error(), "GPU attention: v row stride (stride[2]) = 16777224 "
                                        "elements: the GPU kernels take row strides from 0 to "
                                        "16777216"), "row stride bounded (32-bit row offsets)");
    a.v_stride[2] = -128;
    CHECK(attn_cuda_launch_attn_fwd(&k, &a, NULL) == ATTN_ERR_SHAPE &&
              strstr(attn_last_error(), "v row stride (stride[2]) = -128 elements"),
          "negative row stride refused");
    a.v_stride[2] = ATTN_GPU_MAX_ROW_STRIDE;
    CHECK(attn_cuda_launch_attn_fwd(&k, &a, NULL) == ATTN_OK && st->launches == ++launches,
          "row stride at the bound taken");
    a.v_stride[2] = 128;
    a.v = (char *)buf + 8;
    CHECK(attn_cuda_launch_attn_fwd(&k, &a, NULL) == ATTN_ERR_INVALID_ARG, "alignment checked");
    a.v = buf;
    a.ctx.dims[ATTN_DIM_H] = 7;
    CHECK(attn_cuda_launch_attn_fwd(&k, &a, NULL) == ATTN_ERR_SHAPE, "H % HKV checked");
    a.ctx.dims[ATTN_DIM_H] = 8;
    float ms = 0;
    CHECK(attn_cuda_time_attn_fwd(&k, &a, NULL, 2, 5, &ms) == ATTN_OK && ms == 1.5f &&
              st->launches == launches + 7, "timing: warm-up + timed launches, median");
    attn_cuda_free(buf);
}

static void test_tensors(void) {
    int16_t src[2][3] = {{1, 2, 3}, {4, 5, 6}}, back[3][2];
    int64_t shape[2] = {2, 3}, tstr[2] = {1, 2};
    DLTensor h = {src, {kDLCPU, 0}, 2, {kDLInt, 16, 1}, shape, NULL, 0};
    DLTensor ht = {back, {kDLCPU, 0}, 2, {kDLInt, 16, 1}, shape, tstr, 0};
    attn_cuda_tensor *t = NULL;
    CHECK(attn_cuda_tensor_upload(&h, &t) == ATTN_OK && t->t.device.device_type == kDLCUDA,
          "upload");
    CHECK(t && attn_cuda_tensor_download(&t->t, &ht) == ATTN_OK && back[2][0] == 3 &&
              back[0][1] == 4, "download into a strided view");
    int64_t other[2] = {3, 2};
    ht.shape = other;
    CHECK(t && attn_cuda_tensor_download(&t->t, &ht) == ATTN_ERR_SHAPE, "shape mismatch");
    attn_cuda_tensor_free(t);
}

int main(void) {
    void *lib;
    fake_cuda_state *st = fake_cuda_attach(&lib);
    if (!st)
        return 2;
    attn_cuda_info info;
    CHECK(attn_cuda_device_info(&info) == ATTN_OK && info.cc_major == 9 && info.sm_count == 132 &&
              info.driver_version == 13000 && info.ordinal == 0, "device info");
    st->devices = 3;
    st->ctx_device = 2;
    CHECK(attn_cuda_device_info(&info) == ATTN_OK && info.ordinal == 2, "device info: the ordinal");
    st->devices = st->ctx_device = 0;
    test_modules(st);
    test_attn_launch(st);
    test_tensors();
    return fake_cuda_finish(lib, st);
}
