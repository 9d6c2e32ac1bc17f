/* attn_gpu.h - launching the GPU kernels of a compiled attention variant:
 * on a CUDA device (the variant's PTX) or on the SIMT emulator (the same
 * kernels compiled for the host, runtime/emu/). See rt_launch_gpu.c.
 *
 * attnc compiles every attention variant V into one kernel per
 * specialisation of the GPU template (kernels/attn_gpu_specs.h: dtype f16 or
 * bf16, head dims D, DV), entry V_attn_fwd_gpu_<dtype>_d<D>[_dv<DV>]. An
 * attn_gpu_variant lists them next to the variant's attn_variant (whose
 * parameters and preconditions the launch uses). */
#ifndef ATTN_GPU_H
#define ATTN_GPU_H

#include "attn.h"
#include "attn_blockmask.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A kernel as the emulator runs it (DEV_ENTRY of gpu_dev_emu.h). */
typedef void (*attn_emu_kernel_fn)(const void *args);

/* One specialisation of the GPU template for one variant. */
typedef struct attn_gpu_kernel {
    int32_t dtype;          /* ATTN_F16 or ATTN_BF16 */
    int32_t d, dv;          /* head dims of q/k and of v/out */
    const char *entry;      /* PTX entry name: V_attn_fwd_gpu_<dtype>_d<D>[_dv<DV>] */
    attn_emu_kernel_fn emu; /* the kernel for the emulator (attnc's JIT); NULL if none */
} attn_gpu_kernel;

/* The GPU BlockMask builder's kernels (kernels/blockmask_gpu.c), part of
 * every compiled attention variant V: PTX entries V_<name> with the names of
 * ATTN_GPU_BM_ENTRIES, in the order of the ATTN_GPU_BM_* indices. */
enum { ATTN_GPU_BM_CLASSIFY, ATTN_GPU_BM_LISTS, ATTN_GPU_BM_KERNELS };
#define ATTN_GPU_BM_ENTRIES {"attn_bm_gpu_classify", "attn_bm_gpu_lists"}

/* Which PTX of attn_gpu_variant.ptx a device of compute capability
 * major.minor loads: sm_90a code on 9.0 exactly, sm_80 code elsewhere (8.0+). */
enum { ATTN_GPU_PTX_SM80, ATTN_GPU_PTX_SM90A, ATTN_GPU_PTX_COUNT };

/* Which CUDA modules a set of PTX texts was loaded into, per context: lets
 * a launch find its module by the text's address instead of hashing and
 * comparing the whole text (megabytes; milliseconds per launch). Give each
 * set of PTX texts its own zero-initialised memo that lives, unchanged, as
 * long as the texts (attnc's --emit stubs keep one static per output file
 * next to the PTX literals); the runtime fills and locks it. Entries loaded
 * before attn_cuda_release() are ignored after it. A slot per (context, text):
 * enough for one context per GPU of a 16-GPU node; beyond that, launches
 * that miss fall back to the lookup by content. */
enum { ATTN_CUDA_MEMO_SLOTS = 16 };
typedef struct attn_cuda_module_memo {
    struct {
        const void *ctx;
        const char *ptx;
        struct attn_cuda_module *module;
        uint64_t generation;
    } slot[ATTN_CUDA_MEMO_SLOTS];
    uint32_t next; /* the slot a miss fills when none is free or stale */
} attn_cuda_module_memo;

/* The GPU side of a compiled attention variant. */
typedef struct attn_gpu_variant {
    /* Parameters and preconditions; var->hook_scale may be NULL (the
     * kernel computes the scale), the CPU entries are not used. */
    const attn_variant *var;
    const attn_gpu_kernel *kernels; /* its specialisations */
    int32_t nkernels;
    const char *ptx[ATTN_GPU_PTX_COUNT]; /* NUL-terminated PTX holding every entry; NULL if absent */
    /* The BlockMask builder's kernels for the emulator (attnc's JIT), by
     * ATTN_GPU_BM_* index; NULL if not compiled for it. */
    attn_emu_kernel_fn bm_emu[ATTN_GPU_BM_KERNELS];
    /* The modules of ptx[] (see attn_cuda_module_memo); NULL: each CUDA
     * launch looks its PTX up by content. */
    attn_cuda_module_memo *memo;
} attn_gpu_variant;

typedef enum attn_gpu_device {
    ATTN_GPU_EMU,  /* the SIMT emulator on this CPU (slow; small shapes) */
    ATTN_GPU_CUDA, /* the CUDA device of the current context (attn_cuda.h) */
} attn_gpu_device;

/* attn_forward (attn.h: same tensors, arguments, validation and results) on
 * a GPU kernel of gv: q, k, v f16 or bf16 with (dtype, D, DV) one of gv's
 * kernels, else ATTN_ERR_UNSUPPORTED naming the available ones.
 *   EMU: tensors on the CPU; opts->num_threads (> 0) OS threads run blocks.
 *   CUDA: q, k, v, out, lse either all on the CPU (uploaded, computed,
 *   downloaded; the call returns when the results are back) or all kDLCUDA
 *   device tensors; kDLCUDA tensor arguments are read in place (the
 *   emulator and the CPU refuse them). kDLCUDA tensors must be on the
 *   device of the current context (device_id), else ATTN_ERR_UNSUPPORTED
 *   names the first that is not. Everything else the kernel reads
 *   (parameter slots, CPU tensor arguments, packs, a host BlockMask's
 *   tables) is copied by the call into one device buffer, on opts->stream.
 *   With device tensors the call is asynchronous like a kernel launch: it
 *   returns once the kernel is queued on opts->stream (NULL: the default
 *   stream), the buffer is allocated and freed in stream order
 *   (cuMemAllocAsync, cuMemFreeAsync) and the caller's CPU data may change
 *   at once; synchronize the stream (attn_cuda_synchronize) before reading
 *   out. It waits for the kernel instead when the driver or device has no
 *   stream-ordered allocator, and when it built the BlockMask itself.
 *   While opts->stream captures a CUDA graph, a launch that would copy from
 *   the host or wait is refused (ATTN_ERR_UNSUPPORTED) before it touches the
 *   stream: capture plans (attn_gpu_plan_launch) instead. So is it on the
 *   legacy default stream (NULL) while another stream of the context
 *   captures, where the driver forbids implicit dependencies.
 * opts->qb_begin/qb_end must be 0 (whole launches only; ATTN_ERR_UNSUPPORTED
 * otherwise). The kernel visits the key tiles of the variant's kv_ranges
 * hook, evaluating the mask on partial ones, or those of a BlockMask:
 * opts->block_mask (host memory, for the launch's B, H, Q, KV, with block_q
 * a multiple of ATTN_GPU_BLOCK_Q(D, DV) and block_kv of ATTN_GPU_BLOCK_KV(D,
 * DV): the defaults of attn_block_mask_build qualify; else ATTN_ERR_SHAPE),
 * or, when the variant's analysis is dense (needs_block_mask), one built for
 * the launch on the same device (attn_block_mask_build_gpu on the emulator,
 * attn_block_mask_build_cuda on CUDA). On CUDA a host BlockMask's key-side
 * tables are copied to the device per launch; one from
 * attn_block_mask_to_cuda or attn_block_mask_build_cuda is read in place
 * (the emulator refuses it). */
attn_status attn_forward_gpu(const attn_gpu_variant *gv, attn_gpu_device dev, const DLTensor *q,
                             const DLTensor *k, const DLTensor *v, DLTensor *out, DLTensor *lse,
                             const attn_arg *args, int32_t nargs, const attn_launch_opts *opts);

/* attn_forward_gpu on ATTN_GPU_CUDA with the kernel launched `warmup`
 * times, then `iters` (>= 1) times each timed with CUDA events;
 * *median_ms is the median (0 for an empty launch). Transfers and
 * parameter copies are not timed; out and lse hold the last launch's result. */
attn_status attn_time_gpu(const attn_gpu_variant *gv, const DLTensor *q, const DLTensor *k,
                          const DLTensor *v, DLTensor *out, DLTensor *lse, const attn_arg *args,
                          int32_t nargs, const attn_launch_opts *opts, int32_t warmup,
                          int32_t iters, float *median_ms);

/* A CUDA launch with everything but q, k, v, out and lse settled: what an
 * engine replays every step, and what a CUDA graph can capture.
 * attn_gpu_plan_create validates and binds like attn_forward_gpu for CUDA
 * tensors q, k, v, out, lse (only their shapes, dtypes and strides are read;
 * tensor arguments on the CPU are copied, CUDA ones are read in place at
 * every launch), picks the kernel, fixes the BlockMask (opts->block_mask,
 * which must outlive the plan and is read as it is at each launch, or one
 * built now and owned by the plan), copies the parameter slots, packs and a
 * host BlockMask's tables into device memory owned by the plan, and waits
 * for that copy. attn_gpu_plan_launch then only checks the tensors (CUDA,
 * the plan's dims and dtype; any strides) and calls cuLaunchKernel on
 * `stream`: no allocation, copy or wait, so it may run inside stream
 * capture. When the plan built its BlockMask (a variant that needs one,
 * no opts->block_mask) and a tensor argument is a CUDA tensor, whose
 * contents may change between launches (document ids), every launch first
 * rebuilds the plan's BlockMask from them with the variant's two builder
 * kernels on `stream` (three cuLaunchKernel calls); the launches of such a
 * plan share its tables, so they must not overlap on different streams.
 * Keep the CPU tensor arguments' values as they were: the plan holds
 * copies. Make plans before a capture starts (creation waits; it is
 * refused while opts->stream captures). A plan belongs to the context
 * current when it was made (its kernel and memory): launches with another
 * context current are refused. attn_gpu_plan_free, from any thread, waits
 * for the plan's context (cuCtxSynchronize: not while a stream captures),
 * then frees: graphs that captured the plan's launches must not be
 * launched after that. */
typedef struct attn_gpu_plan attn_gpu_plan;
attn_status attn_gpu_plan_create(const attn_gpu_variant *gv, const DLTensor *q, const DLTensor *k,
                                 const DLTensor *v, const DLTensor *out, const DLTensor *lse,
                                 const attn_arg *args, int32_t nargs, const attn_launch_opts *opts,
                                 attn_gpu_plan **plan);
attn_status attn_gpu_plan_launch(const attn_gpu_plan *plan, const DLTensor *q, const DLTensor *k,
                                 const DLTensor *v, DLTensor *out, DLTensor *lse, void *stream);
void attn_gpu_plan_free(attn_gpu_plan *plan);

/* attn_block_mask_build (attn_blockmask.h: the same arguments, validation
 * and result, a BlockMask in host memory equal to the CPU builder's) with
 * the tiles classified and the lists compacted on a GPU by gv's builder
 * kernels, which evaluate the variant's compiled mask and key-range hooks
 * (gv->var needs no host hooks; opts->kv_ranges and opts->pool are not
 * used; block sizes, the variant's b/h independence and the refusal of a
 * mask that reads HKV, D or DV apply as there).
 *   EMU: opts->num_threads (> 0) OS threads run blocks.
 *   CUDA: tensor and pack arguments (host memory) are copied to the device,
 *   CUDA tensor arguments are read in place once the work queued before
 *   the call on any stream is done (it waits for the context first), the
 *   tables are built in device memory and copied back; returns when
 *   done. Without a driver: ATTN_ERR_UNSUPPORTED, "CUDA unavailable: ...".
 * B * H * ceil(Q / block_q) must be below 2^31 (one CTA per query block). */
attn_status attn_block_mask_build_gpu(const attn_gpu_variant *gv, attn_gpu_device dev, int64_t B,
                                      int64_t H, int64_t Q, int64_t KV, const attn_arg *args,
                                      int32_t nargs, const attn_block_mask_opts *opts,
                                      attn_block_mask **out);

/* attn_block_mask_build_gpu on the CUDA device, the result left in device
 * memory for CUDA launches: what attn_block_mask_to_cuda makes of
 * attn_block_mask_build_gpu's mask (device ATTN_BLOCK_MASK_CUDA, the
 * key-side tables in one device allocation, the query side NULL and not
 * built), without the copies through the host. Free with
 * attn_block_mask_free. attn_forward_gpu builds its per-launch BlockMask on
 * CUDA this way. */
attn_status attn_block_mask_build_cuda(const attn_gpu_variant *gv, int64_t B, int64_t H, int64_t Q,
                                       int64_t KV, const attn_arg *args, int32_t nargs,
                                       const attn_block_mask_opts *opts, attn_block_mask **out);

/* The PTX of gv that the current CUDA device loads: gv->ptx[ATTN_GPU_PTX_SM90A]
 * on compute capability 9.0 when present, else gv->ptx[ATTN_GPU_PTX_SM80];
 * ATTN_ERR_UNSUPPORTED below 8.0 or when that PTX is missing. */
attn_status attn_gpu_variant_ptx(const attn_gpu_variant *gv, const char **ptx);

/* A copy of BlockMask m (host memory) whose key-side tables, the ones the
 * GPU attention kernel reads, are in the current CUDA device's memory:
 * attn_forward_gpu(..., ATTN_GPU_CUDA, ...) with opts->block_mask = *out
 * reads them in place, where a host BlockMask is copied to the device with
 * each launch. *out has device = ATTN_BLOCK_MASK_CUDA and NULL q-side
 * tables; CPU and emulator launches refuse it. Free with
 * attn_block_mask_free. Without a driver: ATTN_ERR_UNSUPPORTED,
 * "CUDA unavailable: ...". */
attn_status attn_block_mask_to_cuda(const attn_block_mask *m, attn_block_mask **out);

#ifdef __cplusplus
}
#endif

#endif
