/* scan_gpu.c - scans on the GPU: a chunked parallel scan with the segmented
 * operator, written against gpu_dev.h (NVPTX and the SIMT emulator), as
 * Mamba's selective_scan_fwd kernel (attn_abi.h, "GPU scans").
 *
 * One CTA per row. A chunk is CHUNK = THREADS * ITEMS positions; thread i
 * owns positions t0 + ITEMS*i .. t0 + ITEMS*i + ITEMS-1. Per chunk, for every
 * state s and lane l of s (all threads walk the same lanes in step):
 *   - each position's step (a, c, reset) comes from attn_scan_gpu_hook_coef;
 *     positions past the end are the identity (1, 0, no reset);
 *   - the thread scans its ITEMS steps in registers, the warp scans the
 *     threads' totals with shuffles, lane 31 of each warp publishes the
 *     warp's total in shared memory (barrier A), and each thread combines
 *     the totals of the warps before its own: every thread now has the
 *     composition of all steps of the chunk before its first position;
 *   - applied to the lane's value carried from the previous chunk (shared
 *     memory) this gives h at each of the thread's positions, which goes
 *     straight into the output sums (attn_scan_gpu_hook_terms, registers);
 *   - barrier B (everyone has read the warp totals and the carry), then the
 *     last thread stores the carry: h at the chunk's last position.
 * Lets that read no lane (Mamba's dt = softplus(delta + bias)) are
 * evaluated once per position and chunk, before the lanes, into registers.
 * Then every thread writes the outputs at its positions. A reset is part of
 * the operator: composing a step that resets forgets everything before it,
 * so a segment never sees another. States without lanes have one lane. */
#include "attn_abi.h"
#include "gpu_dev.h"

#define THREADS ATTN_SCAN_GPU_THREADS
#define ITEMS ATTN_SCAN_GPU_ITEMS
#define CHUNK (THREADS * ITEMS)
#define NWARPS (THREADS / DEV_WARP_SIZE)

_Static_assert(THREADS % DEV_WARP_SIZE == 0, "whole warps");

/* A step of the recurrence: h -> reset ? c : a * h + c. */
typedef struct scan_op {
    float a, c;
    int reset;
} scan_op;

_Static_assert(sizeof(scan_op) == ATTN_SCAN_GPU_STEP_BYTES && DEV_WARP_SIZE == 32,
               "ATTN_SCAN_GPU_SMEM_BYTES describes this kernel's shared memory");

static inline scan_op scan_gpu_identity(void) { return (scan_op){1.0f, 0.0f, 0}; }

/* x, then y. */
static inline scan_op scan_gpu_then(scan_op x, scan_op y)
{
    if (y.reset)
        return y;
    return (scan_op){x.a * y.a, y.a * x.c + y.c, x.reset};
}

static inline float scan_gpu_apply(scan_op x, float h) { return x.reset ? x.c : x.a * h + x.c; }

/* v of lane src (every lane of the warp takes part). */
static inline scan_op scan_gpu_shfl(scan_op v, int src)
{
    v.a = __builtin_bit_cast(float, dev_shfl_idx_i32(__builtin_bit_cast(int, v.a), src));
    v.c = __builtin_bit_cast(float, dev_shfl_idx_i32(__builtin_bit_cast(int, v.c), src));
    v.reset = dev_shfl_idx_i32(v.reset, src);
    return v;
}

/* Inclusive scan of v over the lanes of the warp (Hillis-Steele). */
static inline scan_op scan_gpu_warp_scan(scan_op v, int lane)
{
    DEV_UNROLL
    for (int d = 1; d < DEV_WARP_SIZE; d *= 2) {
        scan_op p = scan_gpu_shfl(v, lane >= d ? lane - d : lane);
        if (lane >= d)
            v = scan_gpu_then(p, v);
    }
    return v;
}

/* The composition of the chunk's steps before this thread's first position,
 * given its own total `mine`; wtot: the warps' totals in shared memory. */
static inline scan_op scan_gpu_before(scan_op mine, scan_op *wtot)
{
    const int lane = dev_lane(), warp = dev_warp();
    scan_op incl = scan_gpu_warp_scan(mine, lane);
    scan_op excl = scan_gpu_shfl(incl, lane ? lane - 1 : 0);
    if (lane == DEV_WARP_SIZE - 1)
        wtot[warp] = incl;
    dev_syncthreads(); /* A: the warps' totals are published */
    scan_op pre = scan_gpu_identity();
    for (int w = 0; w < warp; w++)
        pre = scan_gpu_then(pre, wtot[w]);
    return lane ? scan_gpu_then(pre, excl) : pre;
}

/* This thread's positions of a chunk: per position the lets evaluated once
 * and the output sums. */
typedef struct scan_items {
    float lets[ITEMS][ATTN_SCAN_GPU_MAX_LETS];
    float vals[ITEMS][ATTN_SCAN_GPU_MAX_VALS];
} scan_items;

/* One lane of one state over this thread's positions of the chunk. */
static inline void scan_gpu_lane(const attn_ctx *ctx, int64_t row, int s, int l, int tb, int len,
                                 scan_op *wtot, float *carry, scan_items *x)
{
    scan_op e[ITEMS];
    DEV_UNROLL
    for (int it = 0; it < ITEMS; it++) {
        e[it] = scan_gpu_identity();
        if (tb + it < len)
            e[it].a = attn_scan_gpu_hook_coef(ctx, row, s, l, tb + it, x->lets[it], &e[it].c,
                                              &e[it].reset);
    }
    scan_op run = e[0];
    DEV_UNROLL
    for (int it = 1; it < ITEMS; it++)
        run = scan_gpu_then(run, e[it]);
    scan_op pre = scan_gpu_before(run, wtot);
    float h = scan_gpu_apply(pre, *carry);
    DEV_UNROLL
    for (int it = 0; it < ITEMS; it++) {
        h = scan_gpu_apply(e[it], h);
        if (tb + it < len)
            attn_scan_gpu_hook_terms(ctx, row, s, l, tb + it, x->lets[it], h, x->vals[it]);
    }
    dev_syncthreads(); /* B: nobody reads the warp totals or this carry any more */
    if (dev_linear_tid() == THREADS - 1)
        *carry = h;
}

DEV_BODY void scan_gpu_body(const attn_scan_gpu_args *args)
{
    const attn_ctx *ctx = &args->ctx;
    const int64_t row = dev_ctaid(0);
    const int tid = dev_linear_tid(), len = attn_scan_gpu_hook_length(ctx);
    const int nstates = attn_scan_gpu_hook_nstates();
    scan_op *wtot = (scan_op *)dev_smem();
    float *carry = (float *)(wtot + NWARPS); /* every lane of every state, state after state */
    for (int s = 0, base = 0; s < nstates; base += attn_scan_gpu_hook_lanes(ctx, s), s++)
        for (int l = tid; l < attn_scan_gpu_hook_lanes(ctx, s); l += THREADS)
            carry[base + l] = attn_scan_gpu_hook_init(ctx, row, s, l);
    dev_syncthreads();
    for (int t0 = 0; t0 < len; t0 += CHUNK) {
        const int tb = t0 + tid * ITEMS;
        scan_items x;
        DEV_UNROLL
        for (int it = 0; it < ITEMS; it++) {
            attn_scan_gpu_hook_vals_init(x.vals[it]);
            if (tb + it < len)
                attn_scan_gpu_hook_lets(ctx, row, tb + it, x.lets[it]);
        }
        for (int s = 0, base = 0; s < nstates; base += attn_scan_gpu_hook_lanes(ctx, s), s++)
            for (int l = 0; l < attn_scan_gpu_hook_lanes(ctx, s); l++)
                scan_gpu_lane(ctx, row, s, l, tb, len, wtot, &carry[base + l], &x);
        DEV_UNROLL
        for (int it = 0; it < ITEMS; it++)
            if (tb + it < len)
                attn_scan_gpu_hook_output(ctx, &args->io, row, tb + it, x.lets[it], x.vals[it]);
    }
}

DEV_ENTRY(attn_scan_gpu, attn_scan_gpu_args, scan_gpu_body)

#if !defined(__NVPTX__)
int64_t attn_scan_gpu_rows(const attn_ctx *ctx) { return attn_scan_gpu_hook_rows(ctx); }

int64_t attn_scan_gpu_smem(const attn_ctx *ctx)
{
    int64_t lanes = 0;
    for (int s = 0; s < attn_scan_gpu_hook_nstates(); s++)
        lanes += attn_scan_gpu_hook_lanes(ctx, s);
    return ATTN_SCAN_GPU_SMEM_BYTES(lanes);
}
#endif
