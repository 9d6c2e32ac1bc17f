/* fake_cuda.h - what the fake driver (fake_cuda.c) records, for its test. */
#ifndef FAKE_CUDA_H
#define FAKE_CUDA_H

#define FAKE_SMEM_OPTIN 232448
#define FAKE_KERNEL_REGS 168

typedef struct fake_cuda_state {
    int retained, loads, allocs, launches; /* live counts / launches */
    int allocs_total;                      /* cuMemAlloc(Async) calls that succeeded */
    int allocs_async, frees_async;         /* of them stream-ordered; cuMemFreeAsync calls */
    int syncs;                             /* cuStreamSynchronize + cuCtxSynchronize calls */
    int htod_copies;                       /* cuMemcpyHtoD(Async) calls */
    long long htod_bytes;                  /* and the bytes they copied */
    int no_memory_pools;                   /* set: cuMemAllocAsync fails as without pools */
    int capturing;                         /* set: every stream is capturing a graph */
    int capture_implicit;                  /* set: cuStreamIsCapturing fails as on the legacy
                                              stream while another stream captures */
    int devices;                           /* devices the driver has (0: one) */
    int ctx_device;                        /* the current context's device (cuCtxGetDevice) */
    void *sync_ctx;                        /* the context current at the last cuCtxSynchronize */
    /* The streams of the last cuMemAllocAsync, cuMemcpyHtoDAsync, launch and cuMemFreeAsync. */
    void *alloc_stream, *copy_stream, *launch_stream, *free_stream;
    /* Called by every launch with its first parameter, while the launch's
     * device memory (host memory here) is live. */
    void (*on_launch)(void *param0);
    unsigned grid[3], block[3], smem;     /* the last launch */
    void *param0;                          /* its first parameter pointer */
} fake_cuda_state;

fake_cuda_state *fake_cuda_get_state(void);

#endif
