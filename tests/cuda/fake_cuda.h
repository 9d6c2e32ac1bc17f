/* fake_cuda.h - what the fake driver (fake_cuda.c) records, for its test. */
#ifndef FAKE_CUDA_H
#define FAKE_CUDA_H

#define FAKE_SMEM_OPTIN 232448
#define FAKE_KERNEL_REGS 168

typedef struct fake_cuda_state {
    int retained, loads, allocs, launches; /* live counts / launches */
    int allocs_total;                      /* cuMemAlloc calls that succeeded */
    unsigned grid[3], block[3], smem;     /* the last launch */
    void *param0;                          /* its first parameter pointer */
} fake_cuda_state;

fake_cuda_state *fake_cuda_get_state(void);

#endif
