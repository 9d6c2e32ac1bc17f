/* fake_cuda.c - a stand-in libcuda for testing the runtime's driver paths
 * without a GPU (loaded through $ATTN_CUDA_DRIVER): host memory as device
 * memory, modules that "JIT" unless the text contains "bogus" (then an
 * error log and CUDA_ERROR_INVALID_PTX), kernels found by ".entry NAME",
 * launches recorded (fake_cuda_state) instead of run. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_cuda.h"

static fake_cuda_state fake;
static _Thread_local void *fake_current;
static int fake_primary_ctx;

fake_cuda_state *fake_cuda_get_state(void) { return &fake; }

int cuInit(unsigned flags) { return 0; }
int cuDriverGetVersion(int *v) { *v = 13000; return 0; }
int cuDeviceGet(int *dev, int ordinal) {
    *dev = ordinal;
    return ordinal >= 0 && ordinal < (fake.devices > 0 ? fake.devices : 1) ? 0 : 101;
}
int cuDeviceGetAttribute(int *v, int attrib, int dev) {
    *v = attrib == 75 ? 9 : attrib == 76 ? 0 : attrib == 16 ? 132 : attrib == 97 ? FAKE_SMEM_OPTIN : 0;
    return 0;
}
int cuDevicePrimaryCtxRetain(void **ctx, int dev) {
    fake.retained++;
    *ctx = &fake_primary_ctx;
    return 0;
}
int cuDevicePrimaryCtxRelease_v2(int dev) { fake.retained--; return 0; }
int cuCtxSetCurrent(void *ctx) { fake_current = ctx; return 0; }
int cuCtxGetCurrent(void **ctx) { *ctx = fake_current; return 0; }
int cuCtxGetDevice(int *dev) { *dev = fake.ctx_device; return 0; }
int cuCtxSynchronize(void) {
    fake.syncs++;
    fake.sync_ctx = fake_current;
    return 0;
}
int cuModuleLoadDataEx(void **mod, const void *image, unsigned n, int *opts, void **values) {
    if (strstr(image, "bogus")) {
        for (unsigned i = 0; i < n; i++)
            if (opts[i] == 5) /* CU_JIT_ERROR_LOG_BUFFER */
                snprintf(values[i], 64, "ptxas fatal: unknown instruction 'bogus'");
        return 218;
    }
    *mod = strdup(image);
    fake.loads++;
    return 0;
}
int cuModuleGetFunction(void **fn, void *mod, const char *name) {
    char pat[128];
    snprintf(pat, sizeof pat, ".entry %s(", name);
    char *at = strstr(mod, pat);
    *fn = at;
    return at ? 0 : 500;
}
int cuModuleUnload(void *mod) { free(mod); fake.loads--; return 0; }
int cuFuncSetAttribute(void *fn, int attrib, int value) { return value > FAKE_SMEM_OPTIN ? 1 : 0; }
/* Every kernel: FAKE_KERNEL_REGS registers, no local memory; as many CTAs
 * per SM as FAKE_SMEM_OPTIN bytes of shared memory hold (4 without any). */
int cuFuncGetAttribute(int *v, int attrib, void *fn) {
    *v = attrib == 4 ? FAKE_KERNEL_REGS : 0;
    return attrib == 3 || attrib == 4 ? 0 : 1;
}
int cuOccupancyMaxActiveBlocksPerMultiprocessor(int *blocks, void *fn, int threads, size_t smem) {
    *blocks = smem ? (int)(FAKE_SMEM_OPTIN / smem) : 4;
    return threads > 0 ? 0 : 1;
}
int cuLaunchKernel(void *fn, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                   unsigned bz, unsigned smem, void *stream, void **params, void **extra) {
    unsigned g[3] = {gx, gy, gz}, b[3] = {bx, by, bz};
    memcpy(fake.grid, g, sizeof g);
    memcpy(fake.block, b, sizeof b);
    fake.smem = smem;
    fake.param0 = params ? params[0] : NULL;
    fake.launch_stream = stream;
    fake.launches++;
    if (fake.on_launch)
        fake.on_launch(fake.param0);
    return 0;
}
int cuMemAlloc_v2(unsigned long long *p, size_t n) {
    void *m = malloc(n);
    *p = (uintptr_t)m;
    fake.allocs += m != NULL;
    fake.allocs_total += m != NULL;
    return m ? 0 : 2;
}
int cuMemFree_v2(unsigned long long p) { free((void *)(uintptr_t)p); fake.allocs--; return 0; }
/* Stream-ordered allocation: CUDA_ERROR_NOT_SUPPORTED (801) when the test
 * says the device has no memory pools. */
int cuMemAllocAsync(unsigned long long *p, size_t n, void *stream) {
    if (fake.no_memory_pools)
        return 801;
    int r = cuMemAlloc_v2(p, n);
    fake.allocs_async += r == 0;
    fake.alloc_stream = stream;
    return r;
}
int cuMemFreeAsync(unsigned long long p, void *stream) {
    fake.frees_async++;
    fake.free_stream = stream;
    return cuMemFree_v2(p);
}
int cuMemcpyHtoD_v2(unsigned long long d, const void *s, size_t n) {
    memcpy((void *)(uintptr_t)d, s, n);
    fake.htod_copies++;
    fake.htod_bytes += (long long)n;
    return 0;
}
int cuMemcpyDtoH_v2(void *d, unsigned long long s, size_t n) {
    memcpy(d, (void *)(uintptr_t)s, n);
    return 0;
}
int cuMemcpyHtoDAsync_v2(unsigned long long d, const void *s, size_t n, void *st) {
    fake.copy_stream = st;
    return cuMemcpyHtoD_v2(d, s, n);
}
int cuMemsetD8_v2(unsigned long long d, unsigned char v, size_t n) {
    memset((void *)(uintptr_t)d, v, n);
    return 0;
}
int cuStreamSynchronize(void *s) { fake.syncs++; return 0; }
int cuStreamIsCapturing(void *s, int *status) {
    if (fake.capture_implicit)
        return 906; /* CUDA_ERROR_STREAM_CAPTURE_IMPLICIT */
    *status = fake.capturing;
    return 0;
}
int cuEventCreate(void **ev, unsigned flags) { *ev = malloc(1); return 0; }
int cuEventRecord(void *ev, void *s) { return 0; }
int cuEventSynchronize(void *ev) { return 0; }
int cuEventElapsedTime(float *ms, void *a, void *b) { *ms = 1.5f; return 0; }
int cuEventDestroy_v2(void *ev) { free(ev); return 0; }
int cuGetErrorName(int r, const char **name) {
    *name = r == 1 ? "CUDA_ERROR_INVALID_VALUE" : r == 218 ? "CUDA_ERROR_INVALID_PTX"
          : r == 500 ? "CUDA_ERROR_NOT_FOUND" : "CUDA_ERROR_UNKNOWN";
    return 0;
}
int cuGetErrorString(int r, const char **text) {
    *text = r == 1 ? "invalid argument" : r == 218 ? "a PTX JIT compilation failed"
          : r == 500 ? "named symbol not found" : "unknown error";
    return 0;
}
