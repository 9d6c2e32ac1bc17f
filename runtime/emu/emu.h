/* emu.h - the SIMT emulator: runs GPU kernel templates compiled for the host
 * against gpu_dev_emu.h. Each GPU thread is a coroutine with its own stack;
 * barriers and warp collectives switch between the threads of a block until
 * all of them (all lanes of the warp) arrive, then compute with the PTX ISA's
 * fragment layouts. Blocks are independent and may run on several OS threads;
 * the result is deterministic. */
#ifndef EMU_H
#define EMU_H

#include <stddef.h>

typedef struct emu_dim3 {
    int x, y, z;
} emu_dim3;

/* A kernel entry point as DEV_ENTRY defines it for the emulator. */
typedef void (*emu_kernel)(const void *args);

typedef struct emu_launch_cfg {
    emu_dim3 grid, block;
    size_t smem_bytes;   /* dynamic shared memory per block (dev_smem()) */
    int workers;         /* OS threads running blocks; <= 0: one */
} emu_launch_cfg;

/* Runs `kernel(args)` on every thread of every block of the grid. Returns 0,
 * or -1 with a message in err[errlen] when the launch is invalid or a block
 * faults (deadlock at a barrier or collective, divergent collectives, a bad
 * shared-memory address). Shared memory starts filled with 0xff bytes (NaN
 * halves), so reading what was never written shows. */
int emu_launch(emu_kernel kernel, const emu_launch_cfg *cfg, const void *args, char *err,
               size_t errlen);

#endif
