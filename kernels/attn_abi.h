/* attn_abi.h - the contract between kernel templates, generated variant
 * hooks and the runtime. Plain C, included by the templates (compiled by
 * clang-19 to bitcode for x86-64 and nvptx64), by the runtime, and mirrored
 * by the LLVM IR that lower_*.c generates. Change it only together with both.
 *
 * A variant's runtime values reach generated code through an attn_ctx:
 *   - dims[]: the launch-bound dimensions by dim id (B, H, HKV, Q, KV, D, DV,
 *     then the variant's free dimensions in order of first appearance; see
 *     Decl.dims in compiler/ast.h);
 *   - params[]: one attn_param slot per declared parameter, in declaration order.
 * Generated hooks read nothing else. */
#ifndef ATTN_ABI_H
#define ATTN_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ATTN_MAX_RANK 6          /* tensor parameters: at most this many dims */
#define ATTN_MAX_VARIANT_DIMS 16 /* standard + free dimensions of one variant */
#define ATTN_MAX_KV_RANGES 8     /* key ranges one query block can produce */

/* Element types of tensors (DLPack codes differ; the runtime maps them). */
typedef enum attn_dtype {
    ATTN_F32 = 0,
    ATTN_F16 = 1,
    ATTN_BF16 = 2,
    ATTN_I32 = 3,
    ATTN_BOOL = 4, /* one byte per element, 0 or 1 */
} attn_dtype;

/* A captured tensor: strides in elements, last dimension need not be 1. */
typedef struct attn_tensor_arg {
    const void *data;
    int64_t shape[ATTN_MAX_RANK];
    int64_t stride[ATTN_MAX_RANK];
    int32_t ndim;
    int32_t dtype; /* attn_dtype */
} attn_tensor_arg;

/* A pack over an axis of `length` positions, as validated cu_seqlens
 * offsets (nseg + 1 entries, 0 = o0 < o1 < ... = length) and the derived
 * per-position segment index seg_of[length] (built by the runtime). */
typedef struct attn_pack_arg {
    const int32_t *offsets;
    const int32_t *seg_of;
    int32_t nseg;
    int32_t length;
} attn_pack_arg;

/* One parameter slot. Scalars: bool and i32 in `i`, f32 in `f`. */
typedef struct attn_param {
    union {
        int32_t i;
        float f;
        attn_tensor_arg t;
        attn_pack_arg p;
    } u;
} attn_param;

typedef struct attn_ctx {
    int32_t dims[ATTN_MAX_VARIANT_DIMS];
    const attn_param *params;
} attn_ctx;

/* Ids of the launch-bound dimensions in attn_ctx.dims (same order as
 * DIM_B.. in compiler/ast.h); a variant's free dimensions follow. */
enum { ATTN_DIM_B, ATTN_DIM_H, ATTN_DIM_HKV, ATTN_DIM_Q, ATTN_DIM_KV, ATTN_DIM_D, ATTN_DIM_DV,
       ATTN_DIM_STANDARD_COUNT };

/* A run of key positions [lo, hi) for one query block. `full` = every (q, kv)
 * in it is visible for every q of the block, so the mask is not evaluated;
 * otherwise the mask is evaluated per element. Positions in no range are
 * invisible for the whole block. */
typedef struct attn_kv_range {
    int32_t lo, hi;
    int32_t full;
} attn_kv_range;

/* ---- hooks generated per attention variant (lower_*.c) ---------------- */

/* Softmax scale (the `scale =` statement, or 1/sqrt(D)). */
float attn_hook_scale(const attn_ctx *ctx);
/* The score statements applied in order to s = (q . k) * scale. */
float attn_hook_score(float s, int32_t b, int32_t h, int32_t q, int32_t kv, const attn_ctx *ctx);
/* Nonzero when attn_hook_score returns s unchanged (a variant without score
 * statements; generated as a constant): the GPU template then folds a
 * positive scale into the softmax's exp2 instead of multiplying each score. */
int32_t attn_hook_score_identity(const attn_ctx *ctx);
/* What the mask costs per key (generated as a constant, from the mask
 * analysis): the GPU template evaluates the mask of a partial key tile
 * before S = Q K^T, where its temporaries do not compete with the S
 * accumulators for registers, from a cost on that depends on the MMA path
 * (attn_fwd_gpu.c, MASK_EARLY_COST). */
enum {
    ATTN_MASK_COST_COMPARE = 0, /* comparisons of q and kv, or no mask */
    ATTN_MASK_COST_PACK = 1,    /* also a pack lookup at kv (p.same(q, kv)) */
    ATTN_MASK_COST_HEAVY = 2,   /* a tensor read, a `%`, or a divided key (kv / d) */
};
int32_t attn_hook_mask_cost(const attn_ctx *ctx);
/* Nonzero when (q, kv) is visible. */
int32_t attn_hook_mask(int32_t b, int32_t h, int32_t q, int32_t kv, const attn_ctx *ctx);
/* Writes the visible key ranges of query rows [q0, q1) (sorted, disjoint,
 * at most ATTN_MAX_KV_RANGES) and returns how many. */
int32_t attn_hook_kv_ranges(int32_t b, int32_t h, int32_t q0, int32_t q1, const attn_ctx *ctx,
                            attn_kv_range *out);

/* A runtime BlockMask as the kernels read it (runtime/include/attn_blockmask.h):
 * per row (b, h, query block of block_q rows) the ascending indices of its
 * partial and of its full key blocks of block_kv keys. The row of (b, h, qb) is
 * b * row_stride_b + h * row_stride_h + qb (a stride is 0 when the mask is
 * shared along that axis); counts are indexed by row, indices by
 * row * nkvb + i. */
typedef struct attn_block_mask_view {
    const int32_t *kv_num_blocks, *kv_indices;
    const int32_t *full_kv_num_blocks, *full_kv_indices;
    int64_t row_stride_b, row_stride_h;
    int32_t nkvb, block_q, block_kv;
} attn_block_mask_view;

/* ---- CPU attention forward ---------------------------------------------
 * Tensors are [B, H or HKV, seq, dim] with arbitrary strides (in elements)
 * and a contiguous last dimension. Output has q's dtype; lse is f32 [B, H, Q]. */
typedef struct attn_fwd_args {
    const void *q, *k, *v;
    void *out;
    float *lse;                 /* may be NULL */
    int64_t q_stride[3], k_stride[3], v_stride[3], o_stride[3], lse_stride[2];
    int32_t dtype;              /* attn_dtype of q, k, v, out */
    float scale;                /* from attn_hook_scale, computed once per launch */
    /* NULL: keys from attn_hook_kv_ranges. Else the key blocks of a BlockMask
     * built with query blocks of ATTN_CPU_BLOCK_Q rows; the kernel walks its
     * full and partial blocks in ascending order (block_kv a multiple of
     * ATTN_CPU_BLOCK_KV tiles keys exactly as a dense partial range does). */
    const attn_block_mask_view *block_mask;
} attn_fwd_args;

/* Query rows per work item of the CPU kernel (a "query block"). */
#define ATTN_CPU_BLOCK_Q 128
/* Keys per inner tile of the CPU kernel. */
#define ATTN_CPU_BLOCK_KV 64

/* Computes rows [qblock * ATTN_CPU_BLOCK_Q, ...) of head h, batch b. The
 * runtime's thread pool calls it once per (b, h, qblock). Thread-safe. */
void attn_fwd_cpu(const attn_fwd_args *args, const attn_ctx *ctx, int32_t b, int32_t h,
                  int32_t qblock);

/* ---- GPU attention forward (kernels/attn_fwd_gpu.c) ---------------------
 * One CTA of ATTN_GPU_THREADS(D, DV) threads (ATTN_GPU_WARPS(D, DV) warps,
 * each of ATTN_GPU_MTILES(D, DV) m16 tiles of query rows) per (query tile
 * of ATTN_GPU_BLOCK_Q(D, DV) rows, h, b): grid (ceil(Q / ATTN_GPU_BLOCK_Q(D,
 * DV)), H, B), dynamic shared memory ATTN_GPU_SMEM_BYTES(D, DV). Tensors as
 * for the CPU kernel, all f16 or all bf16 (per specialisation: -DATTN_DTYPE_BF16),
 * D and DV multiples of 32 (-DATTN_HEAD_DIM, -DATTN_HEAD_DIM_V). Device
 * pointers 16-byte aligned and q/k/v/out strides multiples of 8 elements
 * (cp.async moves 16 bytes); q, k and v row strides (stride[2]) from 0 to
 * ATTN_GPU_MAX_ROW_STRIDE (a tile's row offsets are 32-bit). ctx.params
 * must be readable by the device. */
#define ATTN_GPU_MAX_ROW_STRIDE (1 << 24) /* elements; 128 rows stay below 2^31 */
typedef struct attn_fwd_gpu_args {
    const void *q, *k, *v;
    void *out;
    float *lse;                 /* may be NULL */
    int64_t q_stride[3], k_stride[3], v_stride[3], o_stride[3], lse_stride[2];
    /* The softmax scale, or ATTN_GPU_SCALE_ON_DEVICE (a NaN): the kernel
     * then calls attn_hook_scale(&ctx) once per CTA (the hook is a pure
     * function of params and dims), so a launcher needs no host hook. */
    float scale;
    attn_ctx ctx;
    /* kv_num_blocks NULL: keys from attn_hook_kv_ranges. Else a BlockMask
     * in device memory whose block_q is a multiple of ATTN_GPU_BLOCK_Q(D, DV)
     * and block_kv of ATTN_GPU_BLOCK_KV(D, DV): each CTA walks the partial
     * blocks of its row (mask evaluated), then the full ones. */
    attn_block_mask_view block_mask;
} attn_fwd_gpu_args;

#define ATTN_GPU_SCALE_ON_DEVICE __builtin_nanf("")

/* Tile shapes by head-dim class, the larger of D and DV:
 *   class   m16 tiles per warp    keys per K/V tile       warps per CTA
 *   <= 32   2                     32                      4
 *   <= 64   ATTN_GPU_MT_D64 (1)   ATTN_GPU_BKV_D64 (64)   ATTN_GPU_WARPS_D64 (4)
 *   <= 128  ATTN_GPU_MT_D128 (1)  ATTN_GPU_BKV_D128 (32)  ATTN_GPU_WARPS_D128 (4)
 *   <= 192  1                     32                      4
 *   beyond  1                     16                      4
 * Two m16 tiles (32 rows) per warp let each K and V fragment read from
 * shared memory feed two mma, as in FlashAttention-2; at D = 64 that measured
 * no faster on the H200 than one tile and 64-key tiles (bench/README.md), at
 * D = 128 it takes 246-255 registers and spills with the heavier masks. 64-key
 * tiles at D = 128 take ~220 registers (2 CTAs per SM instead of 3). 8 warps
 * (two warpgroups on the wgmma path) share each K/V tile among twice the
 * query rows: half the copies from L2 per FLOP, at one CTA per SM. The
 * classes 64 and 128 (the benchmarked head dims) can be set at build time,
 * for the device check's comparison of tile shapes (cmake -DATTN_GPU_TILE=
 * "ATTN_GPU_MT_D128=2;ATTN_GPU_BKV_D128=32", bench/device-prep.sh): the
 * kernels and the runtime read the same macros. Tiles of 16, 32 or 64 keys;
 * 1 or 2 m16 tiles; 4 or 8 warps. */
#ifndef ATTN_GPU_MT_D64
#define ATTN_GPU_MT_D64 1
#endif
#ifndef ATTN_GPU_BKV_D64
#define ATTN_GPU_BKV_D64 64
#endif
#ifndef ATTN_GPU_MT_D128
#define ATTN_GPU_MT_D128 1
#endif
#ifndef ATTN_GPU_BKV_D128
#define ATTN_GPU_BKV_D128 32
#endif
#ifndef ATTN_GPU_WARPS_D64
#define ATTN_GPU_WARPS_D64 4
#endif
#ifndef ATTN_GPU_WARPS_D128
#define ATTN_GPU_WARPS_D128 4
#endif
/* ATTN_GPU_WGMMA=1 (a build option like the tile shapes): on sm_90a, the
 * kernels of ATTN_GPU_WGMMA_SPEC below compute S = Q K^T and O += P V with
 * Hopper's wgmma.mma_async instead of mma.sync (kernels/attn_fwd_gpu.c; the
 * emulator runs it too). Their tiles must start 1024-byte aligned in the
 * shared window, so they get 1024 bytes more shared memory to align them in.
 * Off by default until the device check has measured it. */
#ifndef ATTN_GPU_WGMMA
#define ATTN_GPU_WGMMA 0
#endif
#define ATTN_GPU_DMAX(d, dv) ((d) > (dv) ? (d) : (dv))
#define ATTN_GPU_MTILES(d, dv)                       \
    (ATTN_GPU_DMAX(d, dv) <= 32    ? 2               \
     : ATTN_GPU_DMAX(d, dv) <= 64  ? ATTN_GPU_MT_D64 \
     : ATTN_GPU_DMAX(d, dv) <= 128 ? ATTN_GPU_MT_D128 \
                                   : 1)
#define ATTN_GPU_WARPS(d, dv)                            \
    (ATTN_GPU_DMAX(d, dv) <= 32    ? 4                   \
     : ATTN_GPU_DMAX(d, dv) <= 64  ? ATTN_GPU_WARPS_D64  \
     : ATTN_GPU_DMAX(d, dv) <= 128 ? ATTN_GPU_WARPS_D128 \
                                   : 4)
#define ATTN_GPU_THREADS(d, dv) (32 * ATTN_GPU_WARPS(d, dv))
#define ATTN_GPU_BLOCK_Q(d, dv) (16 * ATTN_GPU_MTILES(d, dv) * ATTN_GPU_WARPS(d, dv))
#define ATTN_GPU_BLOCK_KV(d, dv)                       \
    (ATTN_GPU_DMAX(d, dv) <= 32    ? 32                \
     : ATTN_GPU_DMAX(d, dv) <= 64  ? ATTN_GPU_BKV_D64  \
     : ATTN_GPU_DMAX(d, dv) <= 128 ? ATTN_GPU_BKV_D128 \
     : ATTN_GPU_DMAX(d, dv) <= 192 ? 32                \
                                   : 16)
/* Whether the kernels of (d, dv) take the wgmma path in an ATTN_GPU_WGMMA
 * build (on sm_90a): one m16 tile per warp, d and dv multiples of 64, the Q
 * fragments and O accumulators within 128 registers. Such kernels keep 3
 * stages of K and V tiles (a tile's O += P V still runs while the next but
 * one is loaded), the others 2. */
#define ATTN_GPU_WGMMA_SPEC(d, dv)                                                        \
    (ATTN_GPU_WGMMA && (d) % 64 == 0 && (dv) % 64 == 0 && ATTN_GPU_MTILES(d, dv) == 1 && \
     (d) / 4 + (dv) / 2 <= 128)
#define ATTN_GPU_KV_STAGES(d, dv) (ATTN_GPU_WGMMA_SPEC(d, dv) ? 3 : 2)
/* On the wgmma path the Q tile, dead once its fragments are in registers,
 * lies in the third K stage when it fits (query tiles no taller than key
 * tiles): 64-key tiles at D = 128 then take 99 KB, 2 CTAs per SM. */
#define ATTN_GPU_Q_IN_KV_STAGE(d, dv) \
    (ATTN_GPU_WGMMA_SPEC(d, dv) && ATTN_GPU_BLOCK_Q(d, dv) <= ATTN_GPU_BLOCK_KV(d, dv))
/* A CTA's key tiles are listed in shared memory: a ring of
 * ATTN_GPU_TILE_RING(D, DV) 8-byte tile descriptors, refilled half at a time from
 * the CTA's walk (its key ranges or BlockMask row, ATTN_GPU_WALK_BYTES). */
#define ATTN_GPU_TILE_RING(d, dv) (2 * ATTN_GPU_THREADS(d, dv))
#define ATTN_GPU_WALK_BYTES 192
/* Q tile (unless in a K stage) plus the stages of K and V tiles (2-byte
 * elements), then the tile ring and the walk (and, on the wgmma path, room to
 * align the tiles to 1024 bytes). */
#define ATTN_GPU_SMEM_BYTES(d, dv)                                                     \
    (2 * ((ATTN_GPU_Q_IN_KV_STAGE(d, dv) ? 0 : ATTN_GPU_BLOCK_Q(d, dv) * (d)) +        \
          ATTN_GPU_KV_STAGES(d, dv) * ATTN_GPU_BLOCK_KV(d, dv) * ((d) + (dv))) +       \
     8 * ATTN_GPU_TILE_RING(d, dv) + ATTN_GPU_WALK_BYTES + (ATTN_GPU_WGMMA_SPEC(d, dv) ? 1024 : 0))

/* ---- scans (lower_scan*.c, kernels/scan_cpu.c) --------------------------
 * A scan is split into independent *rows*: the tuples of its outputs' index
 * names other than the scanned variable, in C order of the first output's
 * index list. Each row walks t = 0 .. L-1 with its states held as arrays over
 * their *lane* indices (the state indices that are not row indices), one
 * after the other in a per-row scratch of attn_scan_scratch(ctx) floats.
 * Outputs are written through attn_scan_io, in declaration order; only f32
 * outputs with arbitrary strides (in elements). */
#define ATTN_MAX_SCAN_OUTPUTS 8

typedef struct attn_scan_io {
    attn_tensor_arg outputs[ATTN_MAX_SCAN_OUTPUTS];
    int32_t noutputs;
} attn_scan_io;

/* Hooks generated per scan variant: the number of rows, the floats of state
 * one row needs, and one whole row (states, resets, updates, outputs).
 * `scratch` is private to the caller's thread. A GPU chunked scan would
 * instead take the per-element a/c of Stmt.update_a / update_c. */
int64_t attn_scan_hook_rows(const attn_ctx *ctx);
int64_t attn_scan_hook_scratch(const attn_ctx *ctx);
void attn_scan_hook_row(const attn_ctx *ctx, const attn_scan_io *io, float *scratch, int64_t row);

/* CPU scan entries (kernels/scan_cpu.c), exported as <variant>_<entry>. */
int64_t attn_scan_rows(const attn_ctx *ctx);
int64_t attn_scan_scratch(const attn_ctx *ctx);
/* Rows [row_begin, row_end); scratch holds attn_scan_scratch(ctx) floats. */
void attn_scan_cpu(const attn_ctx *ctx, const attn_scan_io *io, float *scratch, int64_t row_begin,
                   int64_t row_end);

/* ---- GPU scans (kernels/scan_gpu.c, compiler/lower_scan_gpu.c) ----------
 * One CTA of ATTN_SCAN_GPU_THREADS threads per row (grid x = the rows),
 * walking t in chunks of ATTN_SCAN_GPU_THREADS * ATTN_SCAN_GPU_ITEMS
 * positions, ATTN_SCAN_GPU_ITEMS consecutive ones per thread. Per chunk and
 * state lane the elements (a, c, reset) of h -> reset ? c : a * h + c are
 * scanned in registers (per thread), with warp shuffles (per warp) and
 * through shared memory (across warps), then applied to the lane's value
 * carried from the previous chunk (dynamic shared memory, attn_scan_gpu_smem
 * bytes). h never reaches global memory: each position's h goes straight
 * into the output sums that read it. ctx.params must be device-readable. */
#define ATTN_SCAN_GPU_THREADS 64
#define ATTN_SCAN_GPU_ITEMS 4
/* Dynamic shared memory of a launch whose states have `lanes` lanes in all
 * (summed over the states): a 12-byte step (a, c, reset) per warp, then the
 * carried f32 value of every lane (attn_scan_gpu_smem; the GPU stubs of
 * --emit stubs compute it from the dims with this macro too). */
#define ATTN_SCAN_GPU_STEP_BYTES 12
#define ATTN_SCAN_GPU_SMEM_BYTES(lanes) \
    ((int64_t)(ATTN_SCAN_GPU_THREADS / 32) * ATTN_SCAN_GPU_STEP_BYTES + (int64_t)(lanes) * 4)
/* Sums over lanes plus lane-less states that outputs read, per position. */
#define ATTN_SCAN_GPU_MAX_VALS 8
/* f32 lets that read no lane, evaluated once per position (the rest are
 * evaluated where used). */
#define ATTN_SCAN_GPU_MAX_LETS 8

typedef struct attn_scan_gpu_args {
    attn_ctx ctx;
    attn_scan_io io;
} attn_scan_gpu_args;

/* Hooks generated per scan variant for the GPU template (lower_scan_gpu.c).
 * States are numbered 0 .. nstates-1, the lanes of state s 0 .. lanes(s)-1
 * (its lane indices in C order); row as in attn_scan_hook_row. */
int64_t attn_scan_gpu_hook_rows(const attn_ctx *ctx);    /* as attn_scan_hook_rows */
int32_t attn_scan_gpu_hook_length(const attn_ctx *ctx);  /* the scanned extent */
int32_t attn_scan_gpu_hook_nstates(void);
int32_t attn_scan_gpu_hook_lanes(const attn_ctx *ctx, int32_t s);
/* h of (row, s, lane) before t = 0: the state's init expression at t = 0. */
float attn_scan_gpu_hook_init(const attn_ctx *ctx, int64_t row, int32_t s, int32_t lane);
/* lets[] := the values at (row, t) of the lets evaluated once per position;
 * the hooks below that take `lets` read them from there. */
void attn_scan_gpu_hook_lets(const attn_ctx *ctx, int64_t row, int32_t t, float *lets);
/* The step of (row, s, lane) at t: returns a and sets *c, *reset so that
 * h_t = *reset ? *c : a * h_(t-1) + *c (a reset folds the init into *c). */
float attn_scan_gpu_hook_coef(const attn_ctx *ctx, int64_t row, int32_t s, int32_t lane,
                              int32_t t, const float *lets, float *c, int32_t *reset);
/* vals[] := the identities of the output sums that read states. */
void attn_scan_gpu_hook_vals_init(float *vals);
/* Adds lane `lane` of state s, whose value at t is h, to vals[] (the sums
 * reading s; a lane-less state's value is stored). */
void attn_scan_gpu_hook_terms(const attn_ctx *ctx, int64_t row, int32_t s, int32_t lane,
                              int32_t t, const float *lets, float h, float *vals);
/* Writes every output at (row, t) from vals[]. */
void attn_scan_gpu_hook_output(const attn_ctx *ctx, const attn_scan_io *io, int64_t row,
                               int32_t t, const float *lets, const float *vals);

/* GPU scan entries (kernels/scan_gpu.c), exported as <variant>_<entry>: the
 * kernel attn_scan_gpu(attn_scan_gpu_args) and, in the emulator's build
 * only, host functions giving a launch's rows (its grid) and dynamic shared
 * memory in bytes. */
int64_t attn_scan_gpu_rows(const attn_ctx *ctx);
int64_t attn_scan_gpu_smem(const attn_ctx *ctx);

#ifdef __cplusplus
}
#endif

#endif
