/* test_cuda_launch_path.c - the host side of CUDA attention launches,
 * against the fake driver (fake_cuda.c, via $ATTN_CUDA_DRIVER), with
 * doc_causal(doc: i32[KV]) of tests/blockmask. How they order their work on
 * the caller's stream:
 *   - every tensor on the device: one parameter buffer, allocated, filled
 *     and freed on the caller's stream around the kernel, one copy, and no
 *     wait on the host (the call is asynchronous);
 *   - inside the launch, the staged slots point at staged copies of the CPU
 *     doc tensor and of a host BlockMask's tables, and at a device doc tensor
 *     and a device BlockMask's tables in place;
 *   - CPU tensors: their copies queued on the caller's stream, one wait (the
 *     results come back);
 *   - a device without memory pools: cuMemAlloc, one wait, then the free;
 *   - a BlockMask built for the launch: a wait before it is freed.
 * How they find their module: through the variant's memo (attn_gpu.h), by
 * the PTX's address and context, refilled after attn_cuda_release. Plans
 * (attn_gpu_plan_*): everything settled once, launches that only launch
 * (and rebuild a BlockMask that reads device tensors).
 * Stream capture: what would break it is refused first. Tensors of another
 * GPU than the current context's are refused by name.
 * Nothing stays allocated. */
#include <string.h>

#include "attn_gpu.h"
#include "blockmask_gpu.h"
#include "bm_masks.h"
#include "fake_cuda_client.h"

enum { N = 200, D = 64 };

static const char ptx[] = ".version 8.0\n.target sm_90a\n"
                          ".visible .entry doc_causal_attn_fwd_gpu_bf16_d64(\n"
                          ".visible .entry doc_causal_attn_bm_gpu_classify(\n"
                          ".visible .entry doc_causal_attn_bm_gpu_lists(\n";
static const attn_gpu_kernel kern = {ATTN_BF16, D, D, "doc_causal_attn_fwd_gpu_bf16_d64", NULL};

static _Alignas(16) uint16_t q[N * D], k[N * D], v[N * D], o[N * D];
static _Alignas(16) float lse[N];
static int32_t doc[N];
static void *const stream = (void *)0x5a; /* any CUstream: the fake only records it */
static attn_cuda_module_memo memo;

/* What the launch must see, checked by on_launch. */
static struct {
    const int32_t *doc;                        /* the doc data the slot must hold */
    int doc_in_place;                          /* that very pointer, else a copy */
    const attn_block_mask *mask;               /* the launch's BlockMask */
    const void *q;                             /* q's data, or NULL: a copy */
    int seen;
} expect;

/* The fake driver's cuCtxSetCurrent and cuCtxGetCurrent (set by main): a
 * context is any pointer to it. */
static int (*fake_set_context)(void *ctx);
static int (*fake_get_context)(void **ctx);

/* The fake driver's launch hook: the argument block's parameter slots and
 * BlockMask tables, while the launch's device memory is live. */
static void on_launch(void *param0) {
    const attn_fwd_gpu_args *a = param0;
    expect.seen++;
    CHECK(!expect.q || a->q == expect.q, "the launch's own q, in place");
    const attn_tensor_arg *t = &a->ctx.params[0].u.t;
    CHECK(t->ndim == 1 && t->shape[0] == N && memcmp(t->data, expect.doc, sizeof doc) == 0,
          "the doc slot holds the doc tensor");
    CHECK((t->data == expect.doc) == expect.doc_in_place,
          expect.doc_in_place ? "a device doc tensor is read in place" : "a CPU doc tensor is copied");
    const attn_block_mask *m = expect.mask;
    const int32_t *got[4] = {a->block_mask.kv_num_blocks, a->block_mask.kv_indices,
                             a->block_mask.full_kv_num_blocks, a->block_mask.full_kv_indices};
    const int32_t *want[4] = {m->kv_num_blocks, m->kv_indices, m->full_kv_num_blocks,
                              m->full_kv_indices};
    const size_t ints[4] = {(size_t)m->nqb, (size_t)(m->nqb * m->nkvb), (size_t)m->nqb,
                            (size_t)(m->nqb * m->nkvb)};
    const int in_place = m->device == ATTN_BLOCK_MASK_CUDA;
    for (int i = 0; i < 4; i++)
        CHECK((got[i] == want[i]) == in_place && memcmp(got[i], want[i], ints[i] * 4) == 0,
              in_place ? "a device BlockMask is read in place" : "a host BlockMask's tables are copied");
}

/* The driver calls one launch made, as differences of the fake's counters. */
typedef struct calls {
    int launches, syncs, allocs, allocs_async, frees_async, copies, live;
} calls;

static calls count(const fake_cuda_state *st) {
    return (calls){st->launches, st->syncs, st->allocs_total, st->allocs_async, st->frees_async,
                   st->htod_copies, st->allocs};
}

/* attn_forward_gpu of doc_causal on CUDA (bf16, 1 x 1 x N x N, D = 64) on
 * `stream`: tensors on the device or the CPU, the doc tensor too, with
 * BlockMask m (NULL: the variant is made to need one, built for the launch). */
static calls calls_since(const fake_cuda_state *st, calls before) {
    calls now = count(st);
    return (calls){now.launches - before.launches, now.syncs - before.syncs,
                   now.allocs - before.allocs, now.allocs_async - before.allocs_async,
                   now.frees_async - before.frees_async, now.copies - before.copies,
                   now.live - before.live};
}

/* q, k, v, out, lse over the static buffers; shape (B, H, Q, D), lse (B, H, Q). */
static void make_tensors(DLTensor t[5], int64_t shape[4], int on_device) {
    void *data[5] = {q, k, v, o, lse};
    for (int i = 0; i < 5; i++)
        t[i] = (DLTensor){.data = data[i], .device = {on_device ? kDLCUDA : kDLCPU, 0},
                          .ndim = i < 4 ? 4 : 3,
                          .dtype = i < 4 ? (DLDataType){kDLBfloat, 16, 1} : (DLDataType){kDLFloat, 32, 1},
                          .shape = shape};
}

/* A launch of doc_causal with everything on the device: q, k, v, out, lse
 * over the static buffers, the doc argument, the variant (used in place:
 * the tensors point into the struct). */
typedef struct device_launch {
    int64_t shape[4], n;
    DLTensor t[5], dt;
    attn_arg arg;
    attn_gpu_variant gv;
    attn_launch_opts opts; /* on `stream` */
} device_launch;

/* d for BlockMask m (may be NULL). */
static void device_launch_init(device_launch *d, const attn_block_mask *m) {
    *d = (device_launch){.shape = {1, 1, N, D}, .n = N};
    make_tensors(d->t, d->shape, 1);
    d->dt = (DLTensor){.data = doc, .device = {kDLCUDA, 0}, .ndim = 1, .dtype = {kDLInt, 32, 1},
                       .shape = &d->n};
    d->arg = attn_arg_tensor(0, &d->dt);
    d->gv = (attn_gpu_variant){.var = bm_docs_variant(), .kernels = &kern, .nkernels = 1,
                               .ptx = {ptx, ptx}, .memo = &memo};
    d->opts = (attn_launch_opts){.block_mask = m, .stream = stream};
}

static calls launch(const fake_cuda_state *st, int tensors_on_device, int doc_on_device,
                    const attn_block_mask *m, attn_status *s) {
    int64_t shape[4] = {1, 1, N, D}, n = N;
    DLTensor t[5];
    make_tensors(t, shape, tensors_on_device);
    DLTensor dt = {.data = doc, .device = {doc_on_device ? kDLCUDA : kDLCPU, 0}, .ndim = 1,
                   .dtype = {kDLInt, 32, 1}, .shape = &n};
    attn_variant needs = *bm_docs_variant();
    needs.needs_block_mask = 1;
    attn_gpu_variant gv = {.var = m ? bm_docs_variant() : &needs, .kernels = &kern, .nkernels = 1,
                           .ptx = {ptx, ptx}, .memo = &memo};
    attn_arg arg = attn_arg_tensor(0, &dt);
    const attn_launch_opts opts = {.block_mask = m, .stream = stream};
    calls before = count(st);
    expect.doc = doc;
    expect.doc_in_place = doc_on_device;
    expect.mask = m;
    expect.seen = 0;
    expect.q = tensors_on_device ? q : NULL;
    *s = attn_forward_gpu(&gv, ATTN_GPU_CUDA, &t[0], &t[1], &t[2], &t[3], &t[4], &arg, 1, &opts);
    return calls_since(st, before);
}

static void test_device_tensors(fake_cuda_state *st, const attn_block_mask *host,
                                const attn_block_mask *dev) {
    const attn_block_mask *masks[2] = {dev, host};
    for (int i = 0; i < 2; i++)
        for (int doc_on_device = 0; doc_on_device < 2; doc_on_device++) {
            attn_status s;
            calls c = launch(st, 1, doc_on_device, masks[i], &s);
            CHECK(s == ATTN_OK && c.launches == 1 && expect.seen == 1, "launched");
            CHECK(c.syncs == 0, "device tensors: the host does not wait");
            CHECK(c.allocs == 1 && c.allocs_async == 1 && c.frees_async == 1 && c.live == 0,
                  "one parameter buffer, allocated and freed in stream order");
            CHECK(c.copies == 1, "slots, doc and mask tables in one copy");
            CHECK(st->alloc_stream == stream && st->copy_stream == stream &&
                      st->launch_stream == stream && st->free_stream == stream,
                  "allocation, copy, kernel and free on the caller's stream");
        }

    st->no_memory_pools = 1;
    attn_status s;
    calls c = launch(st, 1, 0, dev, &s);
    CHECK(s == ATTN_OK && c.launches == 1 && c.allocs == 1 && c.allocs_async == 0 &&
              c.frees_async == 0 && c.live == 0,
          "no memory pools: cuMemAlloc and cuMemFree");
    CHECK(c.syncs == 1, "no memory pools: one wait before the free");
    st->no_memory_pools = 0;
}

static void test_cpu_tensors(const fake_cuda_state *st, const attn_block_mask *dev) {
    attn_status s;
    calls c = launch(st, 0, 0, dev, &s);
    CHECK(s == ATTN_OK && c.launches == 1 && expect.seen == 1, "launched");
    CHECK(c.syncs == 1 && c.live == 0, "CPU tensors: one wait, then the results come back");
    CHECK(c.allocs == 6 && c.copies == 6 && st->copy_stream == stream,
          "q, k, v, out, lse and the parameters copied on the caller's stream");
}

/* The driver's wait count at the first launch since it was reset to -1. */
static struct {
    const fake_cuda_state *st;
    int syncs;
} first_launch;

static void on_first_launch(void *param0) {
    (void)param0;
    if (first_launch.syncs < 0)
        first_launch.syncs = first_launch.st->syncs;
}

static void test_built_mask(fake_cuda_state *st) {
    for (int doc_on_device = 0; doc_on_device < 2; doc_on_device++) {
        attn_status s;
        st->on_launch = on_first_launch; /* the builder's kernels take other arguments */
        first_launch.st = st;
        first_launch.syncs = -1;
        const int syncs = st->syncs;
        calls c = launch(st, 1, doc_on_device, NULL, &s);
        st->on_launch = on_launch;
        CHECK(s == ATTN_OK && c.launches == 3 && c.live == 0,
              "the builder's two kernels, then the attention; everything freed");
        CHECK(c.syncs == 2 + doc_on_device && first_launch.syncs == syncs + doc_on_device,
              "the builder waits for its kernels, the launch for the kernel before the BlockMask "
              "it built is freed, and with a device doc tensor the builder first waits for the "
              "work queued before (the legacy stream does not wait for non-blocking streams)");
    }
}

/* The memo after launches: one slot for the fake's one context and the
 * sm_90a text (the fake device is 9.0), its module reloaded (a fresh
 * generation) after attn_cuda_release unloads everything, into the slot
 * whose entry went stale. */
static void test_module_memo(const fake_cuda_state *st, const attn_block_mask *host) {
    int used = 0;
    for (int i = 0; i < ATTN_CUDA_MEMO_SLOTS; i++)
        used += memo.slot[i].module != NULL;
    CHECK(used == 1 && memo.slot[0].ptx == ptx && memo.slot[0].ctx && st->loads == 1,
          "one memo slot: this context, this text, one module");
    const uint64_t generation = memo.slot[0].generation;
    attn_cuda_release();
    CHECK(st->loads == 0, "released");
    attn_status s;
    calls c = launch(st, 1, 0, host, &s);
    CHECK(s == ATTN_OK && c.launches == 1 && st->loads == 1, "reloaded after the release");
    used = 0;
    for (int i = 0; i < ATTN_CUDA_MEMO_SLOTS; i++)
        used += memo.slot[i].module != NULL;
    CHECK(used == 1 && memo.slot[0].ptx == ptx && memo.slot[0].generation > generation,
          "the stale slot holds the reloaded module");
}

/* An engine with a thread per GPU of an 8-GPU node: launches through one
 * memo from 8 contexts in turn. After the first round every launch finds
 * its module in the memo (no slot refilled), one module per context. */
static void test_module_memo_contexts(const fake_cuda_state *st, const attn_block_mask *host) {
    static char contexts[8];
    void *primary = NULL;
    fake_get_context(&primary);
    const int loads = st->loads;
    attn_cuda_module_memo after_first = {0};
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 8; i++) {
            attn_status s;
            fake_set_context(&contexts[i]);
            launch(st, 1, 0, host, &s);
            CHECK(s == ATTN_OK, "launched");
        }
        if (round == 0)
            after_first = memo;
    }
    fake_set_context(primary);
    int found = 0;
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < ATTN_CUDA_MEMO_SLOTS; j++)
            found += memo.slot[j].ctx == &contexts[i] && memo.slot[j].ptx == ptx;
    CHECK(found == 8 && st->loads == loads + 8, "8 contexts: a memo slot and a module each");
    CHECK(memcmp(&after_first, &memo, sizeof memo) == 0, "no slot refilled after the first round");
}

/* A node with two GPUs: tensors of the device whose context is current
 * launch; a tensor of the other device, or of a device the driver does not
 * have, is refused by name before anything is allocated or launched (the
 * kernel would read another GPU's memory); device tensors made by
 * attn_cuda_tensor_upload carry the current context's device, and so do
 * device BlockMasks, refused by launches on another. */
static void test_other_device(fake_cuda_state *st, const attn_block_mask *host,
                              const attn_block_mask *dev) {
    device_launch d;
    device_launch_init(&d, host);
    DLTensor *t = d.t;
    st->devices = 2;
    st->ctx_device = 1;
    for (int i = 0; i < 5; i++)
        t[i].device.device_id = 1;
    d.dt.device.device_id = 1;
    expect.doc = doc;
    expect.doc_in_place = 1;
    expect.mask = host;
    expect.q = q;
    calls before = count(st);
    CHECK(attn_forward_gpu(&d.gv, ATTN_GPU_CUDA, &t[0], &t[1], &t[2], &t[3], &t[4], &d.arg, 1,
                           &d.opts) ==
              ATTN_OK && calls_since(st, before).launches == 1,
          "device 1's tensors, device 1's context: launched");
    st->ctx_device = 0;
    static const char *const want[3] = {
        "q: a CUDA tensor on device 1, but the current CUDA context is on device 0; launch with a "
        "context of device 1 current",
        "argument 'doc': a CUDA tensor on device 1, but the current CUDA context is on device 0; "
        "launch with a context of device 1 current",
        "lse: a CUDA tensor on device 3, which the CUDA driver does not have"};
    for (int c = 0; c < 3; c++) {
        for (int i = 0; i < 5; i++)
            t[i].device.device_id = c == 2 && i < 4 ? 0 : c == 0;
        t[4].device.device_id = c == 2 ? 3 : t[4].device.device_id;
        before = count(st);
        CHECK(attn_forward_gpu(&d.gv, ATTN_GPU_CUDA, &t[0], &t[1], &t[2], &t[3], &t[4], &d.arg, 1,
                           &d.opts) ==
                      ATTN_ERR_UNSUPPORTED && strcmp(attn_last_error(), want[c]) == 0,
              "another device's tensor refused by name");
        calls c0 = calls_since(st, before);
        CHECK(c0.launches == 0 && c0.allocs == 0 && c0.copies == 0, "before anything is queued");
    }
    st->ctx_device = 1;
    for (int i = 0; i < 5; i++)
        t[i].device.device_id = 1;
    d.opts.block_mask = dev; /* made on device 0 */
    before = count(st);
    CHECK(attn_forward_gpu(&d.gv, ATTN_GPU_CUDA, &t[0], &t[1], &t[2], &t[3], &t[4], &d.arg, 1,
                           &d.opts) == ATTN_ERR_UNSUPPORTED &&
              strcmp(attn_last_error(), "block mask: in the memory of CUDA device 0, but the current "
                                        "CUDA context is on device 1") == 0 &&
              calls_since(st, before).launches == 0,
          "a device BlockMask of another GPU refused");
    int64_t shape1 = 4;
    int32_t data[4] = {0};
    DLTensor h = {.data = data, .device = {kDLCPU, 0}, .ndim = 1, .dtype = {kDLInt, 32, 1}, .shape = &shape1};
    attn_cuda_tensor *up = NULL;
    CHECK(attn_cuda_tensor_upload(&h, &up) == ATTN_OK && up && up->t.device.device_id == 1,
          "an uploaded tensor is on the current context's device");
    attn_cuda_tensor_free(up);
    st->ctx_device = 0;
    st->devices = 0;
}

/* A plan (attn_gpu_plan_*): made once (one buffer, one copy, one wait),
 * launched with cuLaunchKernel alone on the stream with each launch's
 * tensors, refused for other shapes and for CPU tensors, freed after a wait. */
static void test_plan(fake_cuda_state *st, const attn_block_mask *host) {
    int64_t shape[4] = {1, 1, N, D}, half[4] = {1, 1, N / 2, D}, n = N;
    DLTensor t[5], h[5];
    make_tensors(t, shape, 1);
    make_tensors(h, half, 1);
    h[1] = t[1];
    h[2] = t[2];
    DLTensor dt = {.data = doc, .device = {kDLCPU, 0}, .ndim = 1, .dtype = {kDLInt, 32, 1}, .shape = &n};
    attn_gpu_variant gv = {.var = bm_docs_variant(), .kernels = &kern, .nkernels = 1, .ptx = {ptx, ptx},
                           .memo = &memo};
    attn_arg arg = attn_arg_tensor(0, &dt);
    const attn_launch_opts opts = {.block_mask = host};
    attn_gpu_plan *plan = NULL;
    calls before = count(st);
    CHECK(attn_gpu_plan_create(&gv, &t[0], &t[1], &t[2], &t[3], &t[4], &arg, 1, &opts, &plan) ==
              ATTN_OK && plan, "plan made");
    calls c = calls_since(st, before);
    CHECK(c.allocs == 1 && c.copies == 1 && c.syncs == 1 && c.launches == 0,
          "plan: slots, doc and mask tables in one buffer and one copy, waited for");
    if (!plan)
        return;
    expect.doc = doc;
    expect.doc_in_place = 0;
    expect.mask = host;
    expect.seen = 0;
    expect.q = q;
    before = count(st);
    for (int i = 0; i < 3; i++)
        CHECK(attn_gpu_plan_launch(plan, &t[0], &t[1], &t[2], &t[3], &t[4], stream) == ATTN_OK,
              "plan launch");
    static _Alignas(16) uint16_t q2[N * D];
    t[0].data = q2;
    expect.q = q2;
    CHECK(attn_gpu_plan_launch(plan, &t[0], &t[1], &t[2], &t[3], &t[4], stream) == ATTN_OK,
          "plan launch with another q");
    c = calls_since(st, before);
    CHECK(c.launches == 4 && expect.seen == 4 && c.allocs == 0 && c.copies == 0 && c.syncs == 0 &&
              st->launch_stream == stream,
          "plan launches: cuLaunchKernel alone, on the caller's stream");
    CHECK(attn_gpu_plan_launch(plan, &h[0], &h[1], &h[2], &h[3], &h[4], stream) == ATTN_ERR_SHAPE &&
              strcmp(attn_last_error(), "doc_causal: the plan is for bf16 B=1 H=1 HKV=1 Q=200 KV=200 "
                                        "D=64 DV=64, got bf16 B=1 H=1 HKV=1 Q=100 KV=200 D=64 DV=64") == 0,
          "another Q refused, both shapes named");
    for (int i = 0; i < 5; i++)
        h[i] = t[i], h[i].device = (DLDevice){kDLCPU, 0};
    CHECK(attn_gpu_plan_launch(plan, &h[0], &h[1], &h[2], &h[3], &h[4], stream) == ATTN_ERR_UNSUPPORTED &&
              strcmp(attn_last_error(), "doc_causal: plan launches take CUDA tensors") == 0,
          "CPU tensors refused at launch");
    before = count(st);
    attn_gpu_plan_free(plan);
    c = calls_since(st, before);
    CHECK(c.live == -1 && c.syncs == 1, "plan freed after a wait");
    plan = NULL;
    CHECK(attn_gpu_plan_create(&gv, &h[0], &h[1], &h[2], &h[3], &h[4], &arg, 1, &opts, &plan) ==
                  ATTN_ERR_UNSUPPORTED && !plan &&
              strcmp(attn_last_error(), "doc_causal: a plan's launches copy nothing: q, k, v, out and "
                                        "lse must be CUDA tensors") == 0,
          "CPU tensors refused at creation");

    /* launched or freed from another context than its own */
    CHECK(attn_gpu_plan_create(&gv, &t[0], &t[1], &t[2], &t[3], &t[4], &arg, 1, &opts, &plan) ==
              ATTN_OK, "plan made");
    void *own = NULL;
    static char other;
    fake_get_context(&own);
    fake_set_context(&other);
    before = count(st);
    CHECK(attn_gpu_plan_launch(plan, &t[0], &t[1], &t[2], &t[3], &t[4], stream) == ATTN_ERR_UNSUPPORTED &&
              strcmp(attn_last_error(), "doc_causal: the plan was made in another CUDA context (of "
                                        "device 0), which owns its kernel and memory; make a plan per "
                                        "context") == 0 && calls_since(st, before).launches == 0,
          "a launch from another context refused");
    attn_gpu_plan_free(plan);
    void *after = NULL;
    fake_get_context(&after);
    CHECK(st->sync_ctx == own && after == &other && calls_since(st, before).live == -1,
          "freed from another context: waited for in its own, the caller's context restored");
    fake_set_context(own);
    plan = NULL;

    /* a variant whose mask needs a BlockMask: built for the plan, freed with it */
    attn_variant needs = *bm_docs_variant();
    needs.needs_block_mask = 1;
    gv.var = &needs;
    const attn_launch_opts plain = {0};
    st->on_launch = NULL; /* the builder's kernels take other arguments */
    before = count(st);
    CHECK(attn_gpu_plan_create(&gv, &t[0], &t[1], &t[2], &t[3], &t[4], &arg, 1, &plain, &plan) ==
              ATTN_OK && plan && attn_gpu_plan_launch(plan, &t[0], &t[1], &t[2], &t[3], &t[4], stream) ==
              ATTN_OK, "plan with a BlockMask built for it");
    attn_gpu_plan_free(plan);
    c = calls_since(st, before);
    CHECK(c.launches == 3 && c.live == 0, "the builder's two kernels, one launch; everything freed");
    st->on_launch = on_launch;
}

/* The launches seen by on_rebuild_launch: builder or attention (by their
 * shared memory), the builder's arguments, the attention's BlockMask view
 * and parameter slots. */
static struct {
    const fake_cuda_state *st;
    int n;
    char kind[8]; /* 'c'lassify, 'l'ists, 'a'ttention */
    attn_bm_gpu_args bm[8];
    attn_block_mask_view view;
    const attn_param *params;
} rebuild;

static void on_rebuild_launch(void *param0) {
    const fake_cuda_state *st = rebuild.st;
    if (rebuild.n == 8)
        return;
    const int i = rebuild.n++;
    if (st->smem == ATTN_BM_GPU_SMEM_BYTES || st->smem == 0) {
        rebuild.kind[i] = st->smem ? 'c' : 'l';
        rebuild.bm[i] = *(const attn_bm_gpu_args *)param0;
    } else {
        const attn_fwd_gpu_args *a = param0;
        rebuild.kind[i] = 'a';
        rebuild.view = a->block_mask;
        rebuild.params = a->ctx.params;
    }
}

/* A plan that builds the BlockMask of a mask reading a CUDA tensor (the doc
 * ids may change between launches): every launch queues the builder's two
 * kernels on the stream, over the plan's device tables, with the kernel's
 * own parameter slots (the doc tensor in place), then the kernel; no
 * allocation, copy or wait. Built once when the doc tensor is a CPU copy
 * (test_plan). */
static void test_plan_rebuilds_mask(fake_cuda_state *st) {
    device_launch d;
    device_launch_init(&d, NULL);
    DLTensor *t = d.t;
    attn_arg arg = d.arg;
    attn_variant needs = *bm_docs_variant();
    needs.needs_block_mask = 1;
    attn_gpu_variant gv = d.gv;
    gv.var = &needs;
    const attn_launch_opts plain = {0};
    st->on_launch = NULL;
    attn_gpu_plan *plan = NULL;
    calls before = count(st);
    CHECK(attn_gpu_plan_create(&gv, &t[0], &t[1], &t[2], &t[3], &t[4], &arg, 1, &plain, &plan) ==
              ATTN_OK && plan, "plan with a BlockMask of a device doc tensor");
    calls c = calls_since(st, before);
    CHECK(c.launches == 2, "built once at creation");
    st->on_launch = on_rebuild_launch;
    rebuild.st = st;
    rebuild.n = 0;
    before = count(st);
    for (int i = 0; i < 2; i++)
        CHECK(attn_gpu_plan_launch(plan, &t[0], &t[1], &t[2], &t[3], &t[4], stream) == ATTN_OK,
              "plan launch");
    c = calls_since(st, before);
    CHECK(c.launches == 6 && c.allocs == 0 && c.copies == 0 && c.syncs == 0 &&
              st->launch_stream == stream,
          "each launch: the builder's two kernels and the kernel, cuLaunchKernel alone on the stream");
    CHECK(rebuild.n == 6 && memcmp(rebuild.kind, "clacla", 6) == 0, "classify, lists, attention");
    const attn_bm_gpu_args *bm = &rebuild.bm[3];
    CHECK(memcmp(&rebuild.bm[0], bm, sizeof *bm) == 0 && rebuild.bm[1].cls == bm->cls,
          "the same builder arguments every time");
    CHECK(bm->cls && bm->kv_num_blocks == rebuild.view.kv_num_blocks &&
              bm->kv_indices == rebuild.view.kv_indices &&
              bm->full_kv_num_blocks == rebuild.view.full_kv_num_blocks &&
              bm->full_kv_indices == rebuild.view.full_kv_indices && !bm->q_num_blocks,
          "the builder writes the key-side tables the kernel reads");
    CHECK(bm->ctx.params == rebuild.params && bm->ctx.params[0].u.t.data == doc &&
              bm->nqb == (N + 63) / 64 && bm->nkvb == (N + 63) / 64 && bm->q_len == N &&
              bm->kv_len == N,
          "over the kernel's slots, the doc tensor in place, in the kernel's blocks");
    before = count(st);
    attn_gpu_plan_free(plan);
    c = calls_since(st, before);
    CHECK(c.live == -3 && c.syncs == 1, "slots, tables and class scratch freed after a wait");
    st->on_launch = on_launch;
}

/* While the stream captures a CUDA graph: launches that would copy from the
 * host or wait are refused before they touch the stream (no allocation,
 * copy, launch or wait, so the capture stays valid); a plan made before
 * launches; making a plan is refused. The same refusals, with their own
 * message, when the stream is the legacy one while another stream captures
 * (cuStreamIsCapturing fails with CUDA_ERROR_STREAM_CAPTURE_IMPLICIT). */
static void test_capture(fake_cuda_state *st, const attn_block_mask *dev) {
    static const char refused[] =
        "doc_causal: the stream is capturing a CUDA graph, and this launch copies from the host or "
        "waits; capture attn_gpu_plan_launch of a plan made before the capture (attn_gpu_plan_create)";
    device_launch d;
    device_launch_init(&d, dev);
    DLTensor *t = d.t;
    attn_gpu_plan *plan = NULL;
    CHECK(attn_gpu_plan_create(&d.gv, &t[0], &t[1], &t[2], &t[3], &t[4], &d.arg, 1, &d.opts,
                               &plan) == ATTN_OK,
          "plan made before the capture");
    st->capturing = 1;
    st->on_launch = NULL;
    attn_status s;
    calls c = launch(st, 1, 1, dev, &s);
    CHECK(s == ATTN_ERR_UNSUPPORTED && strcmp(attn_last_error(), refused) == 0,
          "capturing: a launch that copies its slots is refused");
    CHECK(c.launches == 0 && c.allocs == 0 && c.copies == 0 && c.syncs == 0,
          "refused before touching the stream");
    c = launch(st, 0, 1, dev, &s);
    CHECK(s == ATTN_ERR_UNSUPPORTED && c.allocs == 0 && c.copies == 0 && c.syncs == 0,
          "capturing: CPU tensors refused before their upload");
    c = launch(st, 1, 1, NULL, &s);
    CHECK(s == ATTN_ERR_UNSUPPORTED && c.launches == 0 && c.syncs == 0,
          "capturing: a BlockMask to build is refused");
    calls before = count(st);
    CHECK(attn_gpu_plan_launch(plan, &t[0], &t[1], &t[2], &t[3], &t[4], stream) == ATTN_OK,
          "capturing: the plan launches");
    c = calls_since(st, before);
    CHECK(c.launches == 1 && c.allocs == 0 && c.copies == 0 && c.syncs == 0, "a bare cuLaunchKernel");
    attn_gpu_plan *late = NULL;
    CHECK(attn_gpu_plan_create(&d.gv, &t[0], &t[1], &t[2], &t[3], &t[4], &d.arg, 1, &d.opts, &late) ==
              ATTN_ERR_UNSUPPORTED && !late,
          "capturing: making a plan (it waits) is refused");
    st->capturing = 0;

    static const char blocked[] =
        "doc_causal: the stream is the legacy default stream while another stream captures a CUDA "
        "graph (CUDA_ERROR_STREAM_CAPTURE_IMPLICIT), and this launch copies from the host or "
        "waits; launch on another stream or after the capture";
    st->capture_implicit = 1;
    c = launch(st, 1, 1, dev, &s);
    CHECK(s == ATTN_ERR_UNSUPPORTED && strcmp(attn_last_error(), blocked) == 0,
          "legacy stream during another capture: a launch that copies its slots is refused");
    CHECK(c.launches == 0 && c.allocs == 0 && c.copies == 0 && c.syncs == 0,
          "refused before touching the legacy stream");
    c = launch(st, 1, 1, NULL, &s);
    CHECK(s == ATTN_ERR_UNSUPPORTED && c.launches == 0 && c.syncs == 0,
          "legacy stream during another capture: a BlockMask to build is refused");
    CHECK(attn_gpu_plan_create(&d.gv, &t[0], &t[1], &t[2], &t[3], &t[4], &d.arg, 1, &d.opts, &late) ==
              ATTN_ERR_UNSUPPORTED && !late && strcmp(attn_last_error(), blocked) == 0,
          "legacy stream during another capture: making a plan is refused");
    st->capture_implicit = 0;
    st->on_launch = on_launch;
    attn_gpu_plan_free(plan);
}

int main(void) {
    void *lib;
    fake_cuda_state *st = fake_cuda_attach(&lib);
    if (!st)
        return 2;
    st->on_launch = on_launch;
    fake_set_context = (int (*)(void *))dlsym(lib, "cuCtxSetCurrent");
    fake_get_context = (int (*)(void **))dlsym(lib, "cuCtxGetCurrent");
    if (!fake_set_context || !fake_get_context)
        return 2;
    for (int i = 0; i < N; i++)
        doc[i] = i / 70;
    /* 1 x 1 heads, 2 x 4 blocks of 128 x 64 over N = 200 */
    int32_t counts[2] = {1, 2}, full_counts[2] = {2, 1};
    int32_t idx[8] = {3, 0, 0, 0, 1, 2, 0, 0}, full_idx[8] = {0, 1, 0, 0, 3, 0, 0, 0};
    const attn_block_mask host = {.B = 1, .H = 1, .q_len = N, .kv_len = N, .block_q = 128,
                                  .block_kv = 64, .nqb = 2, .nkvb = 4, .kv_num_blocks = counts,
                                  .kv_indices = idx, .full_kv_num_blocks = full_counts,
                                  .full_kv_indices = full_idx};
    attn_block_mask *dev = NULL;
    CHECK(attn_block_mask_to_cuda(&host, &dev) == ATTN_OK, "device BlockMask");
    if (dev) {
        test_device_tensors(st, &host, dev);
        test_cpu_tensors(st, dev);
    }
    test_module_memo(st, &host);
    test_module_memo_contexts(st, &host);
    test_plan(st, &host);
    if (dev)
        test_other_device(st, &host, dev);
    test_plan_rebuilds_mask(st);
    if (dev)
        test_capture(st, dev);
    test_built_mask(st);
    attn_block_mask_free(dev);
    st->on_launch = NULL;
    return fake_cuda_finish(lib, st);
}
