/* emu_internal.h - the emulator's block and thread state, shared by the
 * scheduler (emu_sched.c) and the collectives (emu_warp.c). */
#ifndef EMU_INTERNAL_H
#define EMU_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <ucontext.h>

#include "emu.h"

#define EMU_WARP 32
#define EMU_WARPGROUP 128
#define EMU_MAX_THREADS 1024
#define EMU_STACK_BYTES (256 * 1024)

typedef enum emu_state {
    EMU_RUNNABLE,
    EMU_AT_BARRIER,
    EMU_AT_WARP,   /* waiting in a warp collective */
    EMU_DONE,      /* returned from the kernel */
    EMU_FAULTED,   /* stopped by emu_fault; never resumed */
} emu_state;

/* Warp collectives; the key a lane arrives with is op | variant << 4. */
typedef enum emu_op { EMU_OP_SHFL = 1, EMU_OP_LDMATRIX, EMU_OP_MMA, EMU_OP_WGMMA_WAIT } emu_op;

/* One lane's operands and results of the collective it is waiting in. */
typedef struct emu_lane_io {
    int arg;               /* shfl: source lane or xor mask */
    const void *ptr;       /* ldmatrix: row address */
    uint32_t in_u[6];      /* shfl: [0]; mma: a[0..3], b[0..1] */
    float in_f[4];         /* mma: c */
    uint32_t out_u[4];     /* shfl: [0]; ldmatrix: r[0..3] */
    float out_f[4];        /* mma: d */
} emu_lane_io;

/* A wgmma.mma_async a thread has issued and not yet waited for: its
 * operands stay where the thread keeps them (accumulators and A registers,
 * by address) and are read when a wgmma.wait_group completes it, as the
 * hardware may read them at any time until then. */
typedef struct emu_wgmma_op {
    float *d;
    const uint32_t *a;
    uint64_t desc;
    int n, trans_b, type;
    int group;             /* its commit group; -1 until committed */
    uint64_t d_hash, a_hash; /* of d[0 .. n/2) and a[0 .. 4) as the op expects them */
} emu_wgmma_op;
#define EMU_WGMMA_MAX_PENDING 32
typedef struct emu_wgmma_state {
    emu_wgmma_op op[EMU_WGMMA_MAX_PENDING];
    int n;                 /* pending ops, oldest first */
    int committed;         /* commit groups so far */
} emu_wgmma_state;

/* A cp.async a thread has issued and not yet waited for: 16 bytes from src
 * (NULL: zeros) to dst, copied when a cp.async.wait_group completes its
 * group; until then dst holds 0xff bytes (NaN in f16 and bf16), so a thread
 * that reads it early sees them, as it may see anything on the hardware. */
typedef struct emu_cp_async_op {
    void *dst;
    const void *src;
    int group;             /* its commit group; -1 until committed */
} emu_cp_async_op;
#define EMU_CP_ASYNC_MAX_PENDING 64
#define EMU_CP_ASYNC_MAX_UNFENCED 128
typedef struct emu_cp_async_state {
    emu_cp_async_op op[EMU_CP_ASYNC_MAX_PENDING];
    int n;                 /* pending copies, oldest first */
    int committed;         /* commit groups so far */
    /* 16-byte shared-memory chunks its copies filled since its last
     * fence.proxy.async (emu_block.unfenced), while they fit; beyond that
     * the fence scans every chunk */
    int32_t unfenced[EMU_CP_ASYNC_MAX_UNFENCED];
    int nunfenced;
} emu_cp_async_state;

/* commit_group on pending-operation state s (emu_wgmma_state,
 * emu_cp_async_state): its uncommitted operations form group s->committed. */
#define EMU_COMMIT_GROUP(s)                        \
    do {                                           \
        for (int i_ = 0; i_ < (s)->n; i_++)        \
            if ((s)->op[i_].group < 0)             \
                (s)->op[i_].group = (s)->committed; \
        (s)->committed++;                          \
    } while (0)

typedef struct emu_block emu_block;

typedef struct emu_thread {
    ucontext_t ctx;
    char *stack;
    void *asan_fake_stack;
    emu_block *block;
    int tid[3], linear;
    emu_state state;
    int key;               /* EMU_AT_WARP: the collective's key */
    emu_lane_io io;
    emu_wgmma_state wgmma;
    emu_cp_async_state cp_async;
} emu_thread;

/* One worker's block in flight: its threads, shared memory and barrier state. */
struct emu_block {
    emu_kernel kernel;
    const void *args;
    emu_dim3 grid, dim;
    int ctaid[3];
    int nthreads;
    emu_thread *threads;   /* [EMU_MAX_THREADS] */
    char *smem;
    size_t smem_bytes;
    /* per 16-byte chunk of smem: the thread whose cp.async filled it and
     * has not executed fence.proxy.async since, or -1 (emu_cp_async.c) */
    int16_t *unfenced;
    int bar_arrived;
    int warp_arrived[EMU_MAX_THREADS / EMU_WARP];
    int group_arrived[EMU_MAX_THREADS / EMU_WARPGROUP];
    ucontext_t sched_ctx;
    const void *sched_stack;  /* ASan fiber bookkeeping of the scheduler's stack */
    size_t sched_stack_size;
    char fault[256];       /* first fault message; "" when none */
};

/* The emulated thread running on this OS thread (NULL outside a kernel). */
emu_thread *emu_current(void);

/* Switches from the current emulated thread back to its block's scheduler;
 * returns when the scheduler resumes it. */
void emu_yield(void);

/* Stops the current emulated thread and the launch with a message. */
_Noreturn void emu_fault(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Blocks the calling lane (operands already in its io or state) until all
 * lanes of its warp arrive at the same collective (op, variant); the last one
 * runs fn(lanes, n, variant). With needs_full_warp, a partial warp faults.
 * emu_warpgroup_arrive: the same for the 128 threads of its warpgroup (a
 * partial warpgroup faults). */
typedef void (*emu_warp_fn)(emu_thread *lanes, int n, int variant);
void emu_warp_arrive(emu_op op, int variant, emu_warp_fn fn, int needs_full_warp);
void emu_warpgroup_arrive(emu_op op, int variant, emu_warp_fn fn);

/* The threads a collective with this key gathers: EMU_WARP or EMU_WARPGROUP. */
int emu_collective_group(int key);

/* Half h (0: low) of a .b32 register holding two f16 or bf16 (type EMU_F16,
 * EMU_BF16), as f32. */
float emu_half_at(uint32_t reg, int h, int type);

/* Faults when the current thread returns with wgmma.mma_async not waited for. */
void emu_wgmma_check_exit(const emu_thread *t);
/* Faults when the current thread returns with cp.async not waited for. */
void emu_cp_async_check_exit(const emu_thread *t);

/* Lanes in warp w of the block (32 but for a last, partial warp). */
int emu_warp_lanes(const emu_block *blk, int w);

/* Fails unless [p, p + n) lies in the block's shared memory, 16-byte aligned. */
void emu_check_smem(const emu_block *blk, const void *p, size_t n, const char *what);

#endif
