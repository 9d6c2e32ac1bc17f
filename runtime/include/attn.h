/* attn.h - the attnc runtime: launching compiled attention variants.
 *
 * Tensors are DLPack DLTensors (attn_dlpack.h): any strides, the last
 * dimension contiguous (stride 1), 64-bit offsets. q, k, v are f32, f16 or
 * bf16 (all the same); out has their dtype; lse is f32.
 *
 *   attn_arg args[] = { attn_arg_f32(attn_find_param(var, "cap"), 30.0f) };
 *   if (attn_forward(var, &q, &k, &v, &out, &lse, args, 1, NULL) != ATTN_OK)
 *       fprintf(stderr, "%s\n", attn_last_error());
 *
 * Error handling: every entry point returns an attn_status; on failure a
 * one-line message naming the offending tensor or parameter, with expected
 * and actual values, is available from attn_last_error() in the failing
 * thread. Nothing aborts, prints or leaks; all validation happens before
 * any kernel runs, so a failed call leaves `out` and `lse` untouched. */
#ifndef ATTN_H
#define ATTN_H

#include <stddef.h>
#include <stdint.h>

#include "attn_abi.h"
#include "attn_dlpack.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- status */

typedef enum attn_status {
    ATTN_OK = 0,
    ATTN_ERR_INVALID_ARG, /* a NULL pointer, an unknown or missing parameter */
    ATTN_ERR_SHAPE,       /* ranks, sizes, strides, preconditions, pack offsets */
    ATTN_ERR_DTYPE,       /* element type not accepted or not matching */
    ATTN_ERR_UNSUPPORTED, /* valid request this build or device cannot run */
    ATTN_ERR_NO_MEMORY,
    ATTN_ERR_IO,          /* file could not be opened / read / written */
    ATTN_ERR_FORMAT,      /* malformed file contents (.npy) */
} attn_status;

/* The message of the last failed call in this thread ("" if none yet).
 * Valid until the next runtime call in this thread. */
const char *attn_last_error(void);
/* "ATTN_OK", "ATTN_ERR_SHAPE", ... */
const char *attn_status_name(attn_status s);

/* ------------------------------------------------- variant descriptions
 * The compiler emits one attn_variant per compiled `attention` / `scan`
 * (as C data in generated headers, or in-process after JIT). */

typedef enum attn_kind { ATTN_KIND_ATTENTION, ATTN_KIND_SCAN } attn_kind;

typedef enum attn_param_kind {
    ATTN_PARAM_BOOL,
    ATTN_PARAM_I32,
    ATTN_PARAM_F32,
    ATTN_PARAM_TENSOR,
    ATTN_PARAM_PACK,
} attn_param_kind;

typedef struct attn_param_desc {
    const char *name;
    attn_param_kind kind;
    /* TENSOR: element type (attn_dtype), rank, and per axis the dim id it is
     * declared with (index into attn_variant.dims) or -1 for the constant
     * dim_const[axis]. Free dimensions are bound from the actual shapes and
     * must agree everywhere; constant axes must match exactly; standard
     * dimensions are checked through the preconditions. */
    int32_t dtype;
    int32_t rank;
    int32_t dim_id[ATTN_MAX_RANK];
    int64_t dim_const[ATTN_MAX_RANK];
    /* PACK: the dim id of the axis it splits (its offsets must end at that
     * dimension's size), or -1 when only self-consistency is checked. */
    int32_t pack_dim;
    /* Scalars: whether the parameter may be omitted, and its default
     * (u.i for bool/i32, u.f for f32). */
    int32_t has_default;
    attn_param default_value;
} attn_param_desc;

/* An f32 default_value as generated headers initialize it: designated in
 * C; in C++, which has designated initializers only from C++20, a call
 * (the static tables are then initialized on first use). */
#ifdef __cplusplus
static inline attn_param attn_default_f32(float v) {
    attn_param p = {};
    p.u.f = v;
    return p;
}
#define ATTN_DEFAULT_F32(v) attn_default_f32(v)
#else
#define ATTN_DEFAULT_F32(v) {{.f = (v)}}
#endif

/* Launch-time precondition: size(params[param], axis) >= c + sum coef[i] * dims[dim[i]]. */
typedef struct attn_precond {
    int32_t param, axis;
    int64_t c;
    int32_t nterms;
    int32_t dim[4];
    int64_t coef[4];
} attn_precond;

typedef void (*attn_cpu_fwd_fn)(const attn_fwd_args *args, const attn_ctx *ctx, int32_t b,
                                int32_t h, int32_t qblock);
typedef float (*attn_scale_fn)(const attn_ctx *ctx);
typedef int32_t (*attn_kv_ranges_fn)(int32_t b, int32_t h, int32_t q0, int32_t q1,
                                     const attn_ctx *ctx, attn_kv_range *out);
typedef int32_t (*attn_mask_fn)(int32_t b, int32_t h, int32_t q, int32_t kv, const attn_ctx *ctx);

typedef struct attn_variant {
    const char *name;
    attn_kind kind;
    const char *const *dims; /* ctx.dims order: B H HKV Q KV D DV, then free dims */
    int32_t ndims;
    const attn_param_desc *params;
    int32_t nparams;
    const attn_precond *preconds;
    int32_t npreconds;
    attn_cpu_fwd_fn cpu_fwd;     /* the variant's attn_fwd_cpu */
    attn_scale_fn hook_scale;    /* its attn_hook_scale */
    attn_kv_ranges_fn kv_ranges; /* its attn_hook_kv_ranges: orders the CPU work
                                    (largest first); NULL = natural order */
    const struct attn_scan_desc *scan; /* ATTN_KIND_SCAN: outputs and entry points (attn_scan) */
    /* Block masks (attn_blockmask.h): the variant's attn_hook_mask (NULL: no
     * BlockMask can be built); nonzero needs_block_mask when the analysis
     * could not bound the mask (its kv_ranges are dense), so attn_forward
     * builds a BlockMask per launch unless one is given in the options; and
     * whether the mask ignores b / h (tables shared along that axis). */
    attn_mask_fn mask_fn;
    int32_t needs_block_mask;
    int32_t mask_independent_of_b, mask_independent_of_h;
    /* Nonzero when the mask reads HKV, D or DV: the BlockMask builders that
     * are given only B, H, Q and KV (attn_block_mask_build, _gpu, _cuda)
     * refuse it; launches build its BlockMask with their own dims. */
    int32_t mask_reads_launch_dims;
} attn_variant;

/* Index of the parameter called `name`, or -1. */
int32_t attn_find_param(const attn_variant *var, const char *name);

/* --------------------------------------------------------- arguments */

typedef enum attn_arg_kind {
    ATTN_ARG_BOOL,
    ATTN_ARG_I32,
    ATTN_ARG_F32,
    ATTN_ARG_TENSOR,
    ATTN_ARG_PACK, /* offsets (cu_seqlens): int32 [nseg + 1] */
} attn_arg_kind;

/* The value of declared parameter number `param`. Parameters with a default
 * may be omitted; each parameter may be given once. (The constructors below
 * assign members rather than use designated initializers, so that C++
 * before C++20 takes them without -Wpedantic warnings.) */
typedef struct attn_arg {
    int32_t param;
    attn_arg_kind kind;
    union {
        int32_t i;
        float f;
        const DLTensor *tensor;
    } u;
} attn_arg;

static inline attn_arg attn_arg_bool(int32_t param, int v) {
    attn_arg a;
    a.param = param;
    a.kind = ATTN_ARG_BOOL;
    a.u.i = v != 0;
    return a;
}
static inline attn_arg attn_arg_i32(int32_t param, int32_t v) {
    attn_arg a;
    a.param = param;
    a.kind = ATTN_ARG_I32;
    a.u.i = v;
    return a;
}
static inline attn_arg attn_arg_f32(int32_t param, float v) {
    attn_arg a;
    a.param = param;
    a.kind = ATTN_ARG_F32;
    a.u.f = v;
    return a;
}
/* Tensor parameter: i32 params take int32 tensors, bool params uint8 or
 * bool (one byte, 0/1), f32 params f32, f16 params f16, bf16 params bf16
 * (no implicit conversion). */
static inline attn_arg attn_arg_tensor(int32_t param, const DLTensor *t) {
    attn_arg a;
    a.param = param;
    a.kind = ATTN_ARG_TENSOR;
    a.u.tensor = t;
    return a;
}
static inline attn_arg attn_arg_pack(int32_t param, const DLTensor *offsets) {
    attn_arg a;
    a.param = param;
    a.kind = ATTN_ARG_PACK;
    a.u.tensor = offsets;
    return a;
}

/* ------------------------------------------------------------ threads */

/* A pool of persistent worker threads running the CPU kernels. */
typedef struct attn_pool attn_pool;

/* Creates a pool of nthreads workers (<= 0: ATTN_NUM_THREADS from the
 * environment, else the number of online CPUs). */
attn_status attn_pool_create(int32_t nthreads, attn_pool **out);
/* Joins the workers and frees the pool (NULL is fine). No launch may be
 * running on it. */
void attn_pool_destroy(attn_pool *pool);
int32_t attn_pool_size(const attn_pool *pool);

/* ------------------------------------------------------------ launches */

typedef enum attn_device_kind {
    ATTN_DEVICE_CPU = 0,
    ATTN_DEVICE_CUDA, /* not available in this build: ATTN_ERR_UNSUPPORTED */
} attn_device_kind;

/* Launch options; all-zero (or a NULL pointer) means: CPU, the process-wide
 * default pool with all its threads, every query block. */
typedef struct attn_launch_opts {
    attn_device_kind device;
    attn_pool *pool;     /* NULL: the default pool (created on first use) */
    int32_t num_threads; /* > 0: use at most this many of the pool's workers */
    /* Query blocks [qb_begin, qb_end) of ATTN_CPU_BLOCK_Q rows each (for
     * schedulers splitting a launch); qb_end == 0 means all blocks. Rows
     * outside the range are not written. */
    int64_t qb_begin, qb_end;
    void *stream;        /* CUstream of CUDA launches (attn_gpu.h); NULL: the default stream */
    /* A prebuilt BlockMask (attn_blockmask.h) for this launch's shapes and
     * arguments, with query blocks of ATTN_CPU_BLOCK_Q rows, or NULL. The
     * kernel then visits only its blocks; the caller keeps ownership. */
    const struct attn_block_mask *block_mask;
} attn_launch_opts;

/* Number of query blocks the CPU kernel splits Q rows into. */
int64_t attn_cpu_query_blocks(int64_t q_len);

/* Largest D and DV the CPU kernel accepts (its tiles live on the stack). */
#define ATTN_CPU_MAX_HEAD_DIM 512

/* out[b,h,q,:] = softmax(score(q . k * scale), masked) . v for an attention
 * variant. q [B,H,Q,D], k [B,HKV,KV,D], v [B,HKV,KV,DV], out [B,H,Q,DV]
 * (q's dtype), lse [B,H,Q] f32 or NULL. H must be a multiple of HKV.
 * B = 0 or Q = 0 is a valid no-op; KV = 0 gives out = 0, lse = -inf. */
attn_status attn_forward(const attn_variant *var, const DLTensor *q, const DLTensor *k,
                         const DLTensor *v, DLTensor *out, DLTensor *lse, const attn_arg *args,
                         int32_t nargs, const attn_launch_opts *opts);

/* The attn_ctx a launch of `var` sees, for calling its hooks on the host
 * (attnc show runs the probe template's): args validated and bound exactly
 * as attn_forward and attn_scan bind them (same checks and messages).
 * ctx->dims holds the launch-bound dimensions on entry (B H HKV Q KV D DV for
 * attention; unused by scans) and gets the free ones bound from the tensors;
 * ctx->params then points into *bound (pack tables included) until
 * attn_bound_free. Tensors are read where their data lives: CPU tensors
 * for host-side calls. */
typedef struct attn_bound attn_bound;
attn_status attn_bind_args(const attn_variant *var, const attn_arg *args, int32_t nargs, attn_ctx *ctx,
                           attn_bound **bound);
void attn_bound_free(attn_bound *bound);

/* Merges two partial attention results over disjoint key sets (context-
 * parallel / ring attention): with a's keys and b's keys together,
 *   lse = log(exp(lse_a) + exp(lse_b)),
 *   out = out_a * exp(lse_a - lse) + out_b * exp(lse_b - lse).
 * out_a [B,H,Q,DV] and lse_a [B,H,Q] are updated in place (any float
 * dtype for out, f32 lse, same shapes as b). Rows with both lse = -inf stay
 * 0 / -inf. */
attn_status attn_merge_partials(DLTensor *out_a, DLTensor *lse_a, const DLTensor *out_b,
                                const DLTensor *lse_b);

/* ----------------------------------------------------------------- npy
 * .npy files: little-endian '<f4' (f32), '<f2' (f16), '<i4' (int32),
 * '|b1' (bool), '|u1' (uint8); bf16 has no numpy code and is stored as
 * '<u2' (raw bits), read back as uint16. C order only, format 1.0 / 2.0. */

/* An owned tensor: `t` views a private, compact row-major buffer. */
typedef struct attn_npy {
    DLTensor t;
    int64_t shape[ATTN_MAX_RANK];
} attn_npy;

/* Reads `path` into a new attn_npy (*out; free with attn_npy_free). */
attn_status attn_npy_read(const char *path, attn_npy **out);
/* Parses an in-memory .npy image (same rules as attn_npy_read). */
attn_status attn_npy_parse(const void *data, size_t size, attn_npy **out);
/* Writes any CPU DLTensor of a supported dtype (strides honoured) as C order. */
attn_status attn_npy_write(const char *path, const DLTensor *t);
/* Allocates a zeroed compact tensor of the given shape and dtype. */
attn_status attn_npy_alloc(DLDataType dtype, int32_t ndim, const int64_t *shape, attn_npy **out);
void attn_npy_free(attn_npy *n);

/* ------------------------------------------------------------------ scans
 * (runtime/rt_scan.c) A scan variant's outputs and CPU entry points
 * (kernels/attn_abi.h, "scans"). Scans have no launch-bound dimensions:
 * attn_variant.dims are the scan's own, all bound from the tensors' shapes. */

typedef int64_t (*attn_scan_size_fn)(const attn_ctx *ctx);
typedef void (*attn_scan_cpu_fn)(const attn_ctx *ctx, const attn_scan_io *io, float *scratch,
                                 int64_t row_begin, int64_t row_end);

typedef struct attn_scan_desc {
    const attn_param_desc *outputs; /* f32 tensors, dims as for parameters */
    int32_t noutputs;               /* at most ATTN_MAX_SCAN_OUTPUTS */
    int32_t axis_dim;               /* dim id of the scanned axis */
    attn_scan_size_fn rows;         /* the variant's attn_scan_rows */
    attn_scan_size_fn scratch;      /* its attn_scan_scratch */
    attn_scan_cpu_fn cpu;           /* its attn_scan_cpu */
} attn_scan_desc;

/* Runs scan variant `var` (kind ATTN_KIND_SCAN) on the CPU: binds args as
 * attn_forward does (free dimensions from the shapes, agreeing everywhere;
 * packs must end at the scanned length), checks outputs[0..noutputs)
 * (CPU f32 tensors of the declared shapes, any strides) and runs the scan's
 * rows on the pool. Rows are independent, so results do not depend on the
 * number of threads. opts->qb_begin/qb_end are ignored. */
attn_status attn_scan(const attn_variant *var, const attn_arg *args, int32_t nargs,
                      DLTensor *const *outputs, int32_t noutputs, const attn_launch_opts *opts);

#ifdef __cplusplus
}
#endif

#endif
