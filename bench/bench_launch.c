/* bench_launch.c - the host time of one CUDA attention launch through
 * attnc's generated stubs (examples/softcap_causal.attn --emit stubs), with
 * every tensor in device memory: what an engine pays per call besides the
 * kernel. Two ways of finding the variant's module, timed in the same run:
 *   memo     the stub's attn_gpu_variant as generated (its module memo);
 *   by text  the same variant with memo = NULL (the PTX hashed and compared,
 *            2.7 MB per launch here).
 * With the fake driver (ATTN_CUDA_DRIVER=build/tests/cuda/libfake_cuda.so)
 * nothing runs on a device, so this is the runtime's own overhead; with a
 * real driver it includes the driver's launch cost, the kernel being a tiny
 * 1 x 1 x 64 x 64 problem.
 *
 *     bench_launch [CALLS]        (default 2000) */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "attn_cuda.h"
#include "softcap_gpu.h"

static double bl_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Microseconds per call of `calls` launches of gv (after 5 warm-ups). */
static double bl_time(const attn_gpu_variant *gv, DLTensor *t, int calls) {
    const attn_arg cap = attn_arg_f32(0, 30.0f);
    double start = 0;
    for (int i = 0; i < calls + 5; i++) {
        if (i == 5) {
            attn_cuda_synchronize(NULL);
            start = bl_now();
        }
        if (attn_forward_gpu(gv, ATTN_GPU_CUDA, &t[0], &t[1], &t[2], &t[3], &t[4], &cap, 1, NULL) !=
            ATTN_OK) {
            fprintf(stderr, "bench_launch: %s\n", attn_last_error());
            exit(1);
        }
    }
    attn_cuda_synchronize(NULL);
    return (bl_now() - start) / calls * 1e6;
}

int main(int argc, char **argv) {
    enum { S = 64, D = 64 };
    const int calls = argc > 1 ? atoi(argv[1]) : 2000;
    attn_cuda_info info;
    if (calls <= 0 || attn_cuda_device_info(&info) != ATTN_OK) {
        fprintf(stderr, "bench_launch: %s\n", calls <= 0 ? "CALLS must be > 0" : attn_last_error());
        return 1;
    }
    int64_t shape[4] = {1, 1, S, D};
    DLTensor t[5];
    for (int i = 0; i < 5; i++) {
        const size_t bytes = i < 4 ? S * D * 2 : S * 4;
        void *p = NULL;
        if (attn_cuda_malloc(bytes, &p) != ATTN_OK || attn_cuda_memset(p, 0, bytes) != ATTN_OK) {
            fprintf(stderr, "bench_launch: %s\n", attn_last_error());
            return 1;
        }
        t[i] = (DLTensor){.data = p, .device = {kDLCUDA, info.ordinal}, .ndim = i < 4 ? 4 : 3,
                          .dtype = i < 4 ? (DLDataType){kDLBfloat, 16, 1} : (DLDataType){kDLFloat, 32, 1},
                          .shape = shape};
    }
    attn_gpu_variant memo = softcap_gpu_softcap_causal_gpu_variant(), by_text = memo;
    by_text.memo = NULL;
    /* interleaved, best of three each */
    double best_memo = 1e30, best_text = 1e30;
    for (int r = 0; r < 3; r++) {
        double m = bl_time(&memo, t, calls), b = bl_time(&by_text, t, calls / 20 + 1);
        best_memo = m < best_memo ? m : best_memo;
        best_text = b < best_text ? b : best_text;
    }
    printf("device cc %d.%d, driver %d: host time per attn_forward_gpu call (device tensors)\n",
           (int)info.cc_major, (int)info.cc_minor, (int)info.driver_version);
    printf("  memo     %10.1f us\n  by text  %10.1f us\n  ratio    %10.0fx\n", best_memo, best_text,
           best_text / best_memo);
    for (int i = 0; i < 5; i++)
        attn_cuda_free(t[i].data);
    return 0;
}
