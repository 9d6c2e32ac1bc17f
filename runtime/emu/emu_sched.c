/* emu_sched.c - the SIMT emulator's launch and scheduler.
 *
 * A worker (OS thread) runs blocks one at a time. For a block it makes one
 * coroutine per GPU thread (ucontext, own stack) and runs them in rounds,
 * warp by warp, each round starting one warp further (warp r % nwarps in
 * round r): a thread runs until it blocks (barrier, warp collective),
 * returns or faults, and a warp runs until all its threads wait at a barrier.
 * As the warp that goes first changes from barrier to barrier, a warp that
 * reads what another warp writes between the same two barriers (a missing
 * barrier) gets the old value in some rounds and the new one in others.
 * The last thread to arrive at a barrier or collective completes it and wakes
 * the others. When no thread can run but some have not returned, the
 * block is deadlocked: the launch fails with a description, never hangs.
 * The order of execution depends only on the kernel, so results are
 * deterministic whatever the number of workers. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu_internal.h"
#include "gpu_dev_emu.h"

#if defined(__SANITIZE_ADDRESS__)
#define EMU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EMU_ASAN 1
#endif
#endif
#ifdef EMU_ASAN
#include <sanitizer/common_interface_defs.h>
#define emu_fiber_start(save, bottom, size) __sanitizer_start_switch_fiber(save, bottom, size)
#define emu_fiber_finish(save, bottom, size) __sanitizer_finish_switch_fiber(save, bottom, size)
#else
#define emu_fiber_start(save, bottom, size) ((void)(save), (void)(bottom), (void)(size))
#define emu_fiber_finish(save, bottom, size) ((void)(save), (void)(bottom), (void)(size))
#endif

static _Thread_local emu_thread *emu_cur;

emu_thread *emu_current(void) { return emu_cur; }

/* Switches from the current emulated thread to the scheduler. A thread that
 * is done or faulted is never resumed, so its fake stack is dropped. */
static void emu_switch_to_sched(emu_thread *t)
{
    emu_block *blk = t->block;
    int dying = t->state == EMU_DONE || t->state == EMU_FAULTED;
    emu_fiber_start(dying ? NULL : &t->asan_fake_stack, blk->sched_stack, blk->sched_stack_size);
    swapcontext(&t->ctx, &blk->sched_ctx);
    emu_fiber_finish(t->asan_fake_stack, &blk->sched_stack, &blk->sched_stack_size);
}

void emu_yield(void) { emu_switch_to_sched(emu_cur); }

_Noreturn void emu_fault(const char *fmt, ...)
{
    emu_thread *t = emu_cur;
    emu_block *blk = t->block;
    if (!blk->fault[0]) {
        int n = snprintf(blk->fault, sizeof blk->fault, "block (%d,%d,%d) thread (%d,%d,%d): ",
                         blk->ctaid[0], blk->ctaid[1], blk->ctaid[2], t->tid[0], t->tid[1],
                         t->tid[2]);
        va_list ap;
        va_start(ap, fmt);
        if (n > 0 && (size_t)n < sizeof blk->fault)
            vsnprintf(blk->fault + n, sizeof blk->fault - (size_t)n, fmt, ap);
        va_end(ap);
    }
    t->state = EMU_FAULTED;
    emu_switch_to_sched(t);
    __builtin_unreachable();
}

int emu_warp_lanes(const emu_block *blk, int w)
{
    int left = blk->nthreads - w * EMU_WARP;
    return left < EMU_WARP ? left : EMU_WARP;
}

void emu_check_smem(const emu_block *blk, const void *p, size_t n, const char *what)
{
    const char *c = p;
    if (c < blk->smem || c + n > blk->smem + blk->smem_bytes || c + n < c)
        emu_fault("%s: address %p is outside shared memory [%p, +%zu)", what, p,
                  (void *)blk->smem, blk->smem_bytes);
    if ((uintptr_t)c % 16)
        emu_fault("%s: shared address %p is not 16-byte aligned", what, p);
}

/* ---- device-side ids, barrier, shared memory ---------------------------- */

static int emu_dim_of(emu_dim3 d, int i) { return i == 0 ? d.x : i == 1 ? d.y : d.z; }

int emu_dev_tid(int d) { return emu_cur->tid[d]; }
int emu_dev_ntid(int d) { return emu_dim_of(emu_cur->block->dim, d); }
int emu_dev_ctaid(int d) { return emu_cur->block->ctaid[d]; }
int emu_dev_nctaid(int d) { return emu_dim_of(emu_cur->block->grid, d); }
void *emu_dev_smem(void) { return emu_cur->block->smem; }

/* __syncthreads: the last arriving thread releases the others. */
void emu_dev_syncthreads(void)
{
    emu_thread *t = emu_cur;
    emu_block *blk = t->block;
    if (++blk->bar_arrived == blk->nthreads) {
        blk->bar_arrived = 0;
        for (int i = 0; i < blk->nthreads; i++)
            if (blk->threads[i].state == EMU_AT_BARRIER)
                blk->threads[i].state = EMU_RUNNABLE;
        return;
    }
    t->state = EMU_AT_BARRIER;
    emu_yield();
}

/* ---- running a block ---------------------------------------------------- */

static void emu_thread_main(void)
{
    emu_thread *t = emu_cur;
    emu_fiber_finish(NULL, &t->block->sched_stack, &t->block->sched_stack_size);
    t->block->kernel(t->block->args);
    emu_wgmma_check_exit(t);
    emu_cp_async_check_exit(t);
    t->state = EMU_DONE;
    emu_switch_to_sched(t);
}

/* Describes why no thread of the block can run. */
static void emu_describe_deadlock(emu_block *blk)
{
    int bar = 0, warp = 0, done = 0, first_warp = -1;
    for (int i = 0; i < blk->nthreads; i++) {
        emu_state s = blk->threads[i].state;
        bar += s == EMU_AT_BARRIER;
        done += s == EMU_DONE;
        if (s == EMU_AT_WARP) {
            warp++;
            if (first_warp < 0)
                first_warp = i;
        }
    }
    int n = snprintf(blk->fault, sizeof blk->fault,
                     "block (%d,%d,%d): deadlock: %d of %d threads wait at a barrier, %d in "
                     "a warp collective, %d have returned",
                     blk->ctaid[0], blk->ctaid[1], blk->ctaid[2], bar, blk->nthreads, warp, done);
    if (first_warp >= 0 && n > 0 && (size_t)n < sizeof blk->fault) {
        const int group = emu_collective_group(blk->threads[first_warp].key);
        snprintf(blk->fault + n, sizeof blk->fault - (size_t)n,
                 " (thread %d waits for threads of %s %d that never arrive)", first_warp,
                 group == EMU_WARP ? "warp" : "warpgroup", first_warp / group);
    }
}

/* Runs the threads of warp w until none of them can run (all wait at a
 * barrier, have returned or faulted): a warp runs ahead of the others up to
 * the next barrier, as it may on hardware, so a missing barrier shows up as
 * a wrong result. Returns whether any thread ran. */
static int emu_run_warp(emu_block *blk, int w)
{
    const int first = w * EMU_WARP, end = first + emu_warp_lanes(blk, w);
    int ran_any = 0, ran = 1;
    while (ran && !blk->fault[0]) {
        ran = 0;
        for (int i = first; i < end && !blk->fault[0]; i++) {
            emu_thread *t = &blk->threads[i];
            if (t->state != EMU_RUNNABLE)
                continue;
            ran = ran_any = 1;
            emu_cur = t;
            void *fake = NULL;
            emu_fiber_start(&fake, t->stack, EMU_STACK_BYTES);
            swapcontext(&blk->sched_ctx, &t->ctx);
            emu_fiber_finish(fake, NULL, NULL);
            emu_cur = NULL;
        }
    }
    return ran_any;
}

/* Makes thread i of the block a fresh coroutine that will run the kernel.
 * (A function of its own: getcontext returns twice.) */
static void emu_thread_init(emu_block *blk, int i)
{
    emu_thread *t = &blk->threads[i];
    t->block = blk;
    t->linear = i;
    t->tid[0] = i % blk->dim.x;
    t->tid[1] = i / blk->dim.x % blk->dim.y;
    t->tid[2] = i / blk->dim.x / blk->dim.y;
    t->state = EMU_RUNNABLE;
    t->asan_fake_stack = NULL;
    t->wgmma.n = t->wgmma.committed = 0;
    t->cp_async.n = t->cp_async.committed = t->cp_async.nunfenced = 0;
    getcontext(&t->ctx);
    t->ctx.uc_stack.ss_sp = t->stack;
    t->ctx.uc_stack.ss_size = EMU_STACK_BYTES;
    t->ctx.uc_link = NULL;
    makecontext(&t->ctx, emu_thread_main, 0);
}

/* Runs all threads of block `linear` to completion; 0, or -1 with blk->fault. */
static int emu_run_block(emu_block *blk, int linear)
{
    blk->ctaid[0] = linear % blk->grid.x;
    blk->ctaid[1] = linear / blk->grid.x % blk->grid.y;
    blk->ctaid[2] = linear / blk->grid.x / blk->grid.y;
    blk->bar_arrived = 0;
    memset(blk->warp_arrived, 0, sizeof blk->warp_arrived);
    memset(blk->group_arrived, 0, sizeof blk->group_arrived);
    memset(blk->smem, 0xff, blk->smem_bytes);
    memset(blk->unfenced, 0xff, (blk->smem_bytes + 15) / 16 * sizeof *blk->unfenced); /* -1 */
    for (int i = 0; i < blk->nthreads; i++)
        emu_thread_init(blk, i);
    const int nwarps = (blk->nthreads + EMU_WARP - 1) / EMU_WARP;
    for (int round = 0;; round = round + 1 == nwarps ? 0 : round + 1) {
        int ran = 0, live = 0;
        for (int k = 0; k < nwarps && !blk->fault[0]; k++)
            ran |= emu_run_warp(blk, (round + k) % nwarps);
        if (blk->fault[0])
            return -1;
        for (int i = 0; i < blk->nthreads; i++)
            live += blk->threads[i].state != EMU_DONE;
        if (!live)
            return 0;
        if (!ran) {
            emu_describe_deadlock(blk);
            return -1;
        }
    }
}

/* ---- the launch: workers take blocks in order --------------------------- */

typedef struct emu_launch_state {
    emu_kernel kernel;
    const emu_launch_cfg *cfg;
    const void *args;
    int nblocks;
    pthread_mutex_t lock;
    int next;              /* next block to run */
    int failed;
    char err[256];
} emu_launch_state;

static void *emu_worker(void *arg)
{
    emu_launch_state *ls = arg;
    const emu_launch_cfg *cfg = ls->cfg;
    emu_block *blk = calloc(1, sizeof *blk);
    int nthreads = cfg->block.x * cfg->block.y * cfg->block.z;
    if (blk) {
        blk->threads = calloc((size_t)nthreads, sizeof *blk->threads);
        blk->smem = malloc(cfg->smem_bytes ? cfg->smem_bytes : 1);
        blk->unfenced = malloc((cfg->smem_bytes + 15) / 16 * sizeof *blk->unfenced + 1);
    }
    int ok = blk && blk->threads && blk->smem && blk->unfenced;
    for (int i = 0; ok && i < nthreads; i++)
        ok = (blk->threads[i].stack = malloc(EMU_STACK_BYTES)) != NULL;
    if (ok) {
        blk->kernel = ls->kernel;
        blk->args = ls->args;
        blk->grid = cfg->grid;
        blk->dim = cfg->block;
        blk->nthreads = nthreads;
        blk->smem_bytes = cfg->smem_bytes;
    }
    for (;;) {
        pthread_mutex_lock(&ls->lock);
        int b = ls->failed ? ls->nblocks : ls->next++;
        if (!ok && !ls->failed) {
            ls->failed = 1;
            snprintf(ls->err, sizeof ls->err, "emulator: out of memory for a block");
        }
        pthread_mutex_unlock(&ls->lock);
        if (!ok || b >= ls->nblocks)
            break;
        if (emu_run_block(blk, b) != 0) {
            pthread_mutex_lock(&ls->lock);
            if (!ls->failed) {
                ls->failed = 1;
                snprintf(ls->err, sizeof ls->err, "%s", blk->fault);
            }
            pthread_mutex_unlock(&ls->lock);
            break;
        }
    }
    if (blk) {
        for (int i = 0; blk->threads && i < nthreads; i++)
            free(blk->threads[i].stack);
        free(blk->threads);
        free(blk->smem);
        free(blk->unfenced);
        free(blk);
    }
    return NULL;
}

int emu_launch(emu_kernel kernel, const emu_launch_cfg *cfg, const void *args, char *err,
               size_t errlen)
{
    const emu_dim3 g = cfg->grid, b = cfg->block;
    long nthreads = (long)b.x * b.y * b.z;
    if (g.x < 1 || g.y < 1 || g.z < 1 || b.x < 1 || b.y < 1 || b.z < 1 ||
        nthreads > EMU_MAX_THREADS || (long)g.x * g.y * g.z > (1L << 30)) {
        snprintf(err, errlen, "emulator: invalid launch: grid (%d,%d,%d), block (%d,%d,%d) "
                 "(at most %d threads per block)", g.x, g.y, g.z, b.x, b.y, b.z, EMU_MAX_THREADS);
        return -1;
    }
    emu_launch_state ls = {.kernel = kernel, .cfg = cfg, .args = args,
                           .nblocks = g.x * g.y * g.z};
    pthread_mutex_init(&ls.lock, NULL);
    int workers = cfg->workers < 1 ? 1 : cfg->workers;
    if (workers > ls.nblocks)
        workers = ls.nblocks;
    pthread_t tids[64];
    if (workers > 64)
        workers = 64;
    int started = 0;
    for (int i = 1; i < workers; i++)
        started += pthread_create(&tids[started], NULL, emu_worker, &ls) == 0;
    emu_worker(&ls);
    for (int i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    pthread_mutex_destroy(&ls.lock);
    if (ls.failed) {
        snprintf(err, errlen, "%s", ls.err);
        return -1;
    }
    return 0;
}
