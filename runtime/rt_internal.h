/* rt_internal.h - declarations shared by the runtime's source files. */
#ifndef ATTN_RT_INTERNAL_H
#define ATTN_RT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "attn.h"

/* rt_error.c: records a formatted message as this thread's last error and
 * returns `s`, so failures read `return rt_fail(ATTN_ERR_SHAPE, "...", ...);`. */
attn_status rt_fail(attn_status s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* rt_tensor.c ---------------------------------------------------------- */

/* Maps a DLPack dtype to attn_dtype; -1 when it has no counterpart
 * (uint8 maps to ATTN_BOOL: both are one byte 0/1). */
int32_t rt_dtype_from_dl(DLDataType t);
/* "f32", "i32", "u8", ...; `buf` (32 bytes) holds names of unusual types. */
const char *rt_dl_dtype_name(DLDataType t, char buf[32]);
/* Bytes per element of a DLPack dtype (bits rounded up to bytes, * lanes). */
int64_t rt_dl_elem_size(DLDataType t);
/* Stride of axis i in elements (compact row-major when strides == NULL). */
int64_t rt_stride(const DLTensor *t, int32_t i);
/* Number of elements (0 when any dimension is 0). */
int64_t rt_numel(const DLTensor *t);
/* Address of element 0 (data + byte_offset). */
void *rt_data(const DLTensor *t);
/* Fails unless t is a CPU tensor (kDLCPU / kDLCUDAHost) with non-negative
 * shape; `what` names it in the message. */
attn_status rt_check_cpu_tensor(const DLTensor *t, const char *what);

/* rt_launch_cpu.c ----------------------------------------------------- */

/* Validates attn_forward's tensors (CPU, ranks, dtypes, matching sizes,
 * H a multiple of HKV; lse may be NULL) and fills the 7 standard dims. */
attn_status rt_check_attn_tensors(const DLTensor *q, const DLTensor *k, const DLTensor *v,
                                  const DLTensor *out, const DLTensor *lse, int32_t *dims);

/* rt_args.c ----------------------------------------------------------- */

/* The bound parameters of one launch: slots for attn_ctx.params plus the
 * runtime-built pack tables, owned until rt_bound_free. */
typedef struct rt_bound {
    attn_param *slots;
    int32_t **tables; /* seg_of arrays, one per pack parameter */
    int32_t ntables;
} rt_bound;

/* Binds args to var's parameters: checks kinds, dtypes, ranks, constant
 * axes, binds free dimensions into dims[] (which holds the 7 standard
 * dims on entry), validates packs (building seg_of), then checks every
 * precondition. On success *bound owns its memory (rt_bound_free). */
attn_status rt_bind_args(const attn_variant *var, const attn_arg *args, int32_t nargs,
                         int32_t dims[ATTN_MAX_VARIANT_DIMS], rt_bound *bound);
void rt_bound_free(rt_bound *bound);

/* rt_pool.c ----------------------------------------------------------- */

typedef void (*rt_task_fn)(void *arg, int64_t item);

/* Number of threads for a request of n: n when positive, else
 * ATTN_NUM_THREADS when set to a positive number, else one per online CPU;
 * at most RT_POOL_MAX_THREADS. */
int32_t rt_pool_default_threads(int32_t n);
/* The process-wide pool (created on first use); NULL with the error set
 * when it cannot be created. */
attn_pool *rt_default_pool(void);
/* Runs fn(arg, order[i]) for i < nitems (order NULL: item i) on at most
 * max_workers of the pool's threads (<= 0: all), each worker taking the
 * next index from a shared atomic counter; returns when all are done.
 * Launches on one pool are serialized. */
void rt_pool_run(attn_pool *pool, int32_t max_workers, int64_t nitems, const int64_t *order,
                 rt_task_fn fn, void *arg);

/* Fills the q/k/v/out/lse pointers and strides (in elements) shared by the
 * CPU and GPU kernel argument structs (attn_fwd_args, attn_fwd_gpu_args)
 * from validated tensors; lse may be NULL. A macro because the two structs
 * are distinct ABI types with the same field names. */
#define RT_FILL_QKVO(a, q, k, v, out, lse)                                     \
    do {                                                                       \
        (a)->q = rt_data(q);                                                   \
        (a)->k = rt_data(k);                                                   \
        (a)->v = rt_data(v);                                                   \
        (a)->out = rt_data(out);                                               \
        (a)->lse = (lse) ? rt_data(lse) : NULL;                                \
        for (int32_t i_ = 0; i_ < 3; i_++) {                                   \
            (a)->q_stride[i_] = rt_stride(q, i_);                              \
            (a)->k_stride[i_] = rt_stride(k, i_);                              \
            (a)->v_stride[i_] = rt_stride(v, i_);                              \
            (a)->o_stride[i_] = rt_stride(out, i_);                            \
        }                                                                      \
        for (int32_t i_ = 0; i_ < 2; i_++)                                     \
            (a)->lse_stride[i_] = (lse) ? rt_stride(lse, i_) : 0;              \
    } while (0)

#endif
