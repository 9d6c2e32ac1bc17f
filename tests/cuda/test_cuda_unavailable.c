/* test_cuda_unavailable.c - without a CUDA driver every attn_cuda_* entry
 * point fails cleanly: ATTN_ERR_UNSUPPORTED and "CUDA unavailable: <why>",
 * where <why> is the dynamic loader's text for the driver library.
 *
 *   test_cuda_unavailable EXPECTED_PREFIX
 * EXPECTED_PREFIX is the message's expected start. Exits 77 (skip) when a
 * driver is actually present (the unset-$ATTN_CUDA_DRIVER case on a GPU
 * machine). */
#include <stdio.h>
#include <string.h>

#include "attn_cuda.h"

static int failures;

/* Checks one call's status and message. */
static void expect_unavailable(const char *call, attn_status s, const char *prefix) {
    const char *msg = attn_last_error();
    if (s != ATTN_ERR_UNSUPPORTED || strncmp(msg, prefix, strlen(prefix)) != 0) {
        fprintf(stderr, "FAIL %s: %s \"%s\" (expected ATTN_ERR_UNSUPPORTED \"%s...\")\n", call,
                attn_status_name(s), msg, prefix);
        failures++;
    }
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: test_cuda_unavailable EXPECTED_PREFIX\n");
        return 2;
    }
    const char *prefix = argv[1];
    attn_status s = attn_cuda_init();
    if (s == ATTN_OK) {
        printf("a CUDA driver is present: skipped\n");
        attn_cuda_release();
        return 77;
    }
    printf("message: %s\n", attn_last_error());
    expect_unavailable("attn_cuda_init", s, prefix);

    attn_cuda_info info;
    expect_unavailable("attn_cuda_device_info", attn_cuda_device_info(&info), prefix);
    attn_cuda_module *m = NULL;
    expect_unavailable("attn_cuda_module_load", attn_cuda_module_load(".version 7.0", &m), prefix);
    attn_cuda_kernel k = {0};
    expect_unavailable("attn_cuda_attn_fwd_kernel",
                       attn_cuda_attn_fwd_kernel("", "x_attn_fwd_gpu", 64, 64, &k), prefix);
    void *p = NULL;
    expect_unavailable("attn_cuda_malloc", attn_cuda_malloc(64, &p), prefix);
    char host[16] = {0};
    expect_unavailable("attn_cuda_memcpy_htod", attn_cuda_memcpy_htod(host, host, 16), prefix);
    expect_unavailable("attn_cuda_memcpy_dtoh", attn_cuda_memcpy_dtoh(host, host, 16), prefix);
    expect_unavailable("attn_cuda_memcpy_htod_async",
                       attn_cuda_memcpy_htod_async(host, host, 16, NULL), prefix);
    expect_unavailable("attn_cuda_memset", attn_cuda_memset(host, 0, 16), prefix);
    expect_unavailable("attn_cuda_synchronize", attn_cuda_synchronize(NULL), prefix);
    expect_unavailable("attn_cuda_free", attn_cuda_free(host), prefix);
    int64_t shape[1] = {4};
    float data[4] = {1, 2, 3, 4};
    DLTensor t = {data, {kDLCPU, 0}, 1, {kDLFloat, 32, 1}, shape, NULL, 0};
    attn_cuda_tensor *dt = NULL;
    expect_unavailable("attn_cuda_tensor_upload", attn_cuda_tensor_upload(&t, &dt), prefix);
    if (p || dt) {
        fprintf(stderr, "FAIL: outputs set on failure\n");
        failures++;
    }
    attn_cuda_tensor_free(dt);
    attn_cuda_release();
    attn_cuda_release(); /* twice is fine */
    if (failures)
        return 1;
    printf("ok: every entry point reports CUDA unavailable\n");
    return 0;
}
