/* test_blockmask_fake.c - the CUDA paths of BlockMasks against the fake
 * driver (tests/cuda/fake_cuda.c, via $ATTN_CUDA_DRIVER), which records
 * launches without running them and whose device memory is host memory:
 *   - attn_block_mask_build_gpu: the builder's two entries are looked up in
 *     the variant's PTX, launched in order with their geometry, the result
 *     comes back, and nothing stays allocated; a PTX without the entries is
 *     refused with the driver's message;
 *   - attn_block_mask_build_cuda: the same launches, the key-side tables
 *     left in one device buffer that the mask owns, the query side NULL;
 *     tables even when there is nothing to classify;
 *   - attn_block_mask_to_cuda: the key-side tables copied once into one
 *     device buffer; a CUDA launch reads them in place (four tables fewer
 *     staged than with the host mask), the CPU kernel and the emulator refuse
 *     them; freed with attn_block_mask_free;
 *   - a CUDA launch of a variant that needs a BlockMask, given none: built
 *     on the device and read in place (no table copies); with its tensor
 *     parameter in device memory, that is read in place too (the emulator
 *     and the CPU builder refuse it). */
#include <string.h>

#include "attn_cuda.h"
#include "attn_gpu.h"
#include "bm_masks.h"
#include "fake_cuda_client.h"

/* The fake driver finds ".entry NAME(" in the module text. */
static const char bm_ptx[] = ".version 8.0\n.target sm_90a\n"
                             ".visible .entry doc_causal_attn_bm_gpu_classify(\n"
                             ".visible .entry doc_causal_attn_bm_gpu_lists(\n";
static const char bm_ptx_old[] = ".version 8.0\n.target sm_90a\n"
                                 ".visible .entry doc_causal_attn_bm_gpu_classify(\n";

/* doc_causal's BlockMask for B = 2, H = 3, Q = 300 and KV keys with the
 * builder of module ptx: attn_block_mask_build_cuda when on_device, else
 * attn_block_mask_build_gpu on CUDA. */
static attn_status build(const char *ptx, int on_device, int64_t KV, attn_block_mask **m) {
    static int32_t doc[300];
    static int64_t n = 300;
    DLTensor t = {.data = doc, .device = {kDLCPU, 0}, .ndim = 1, .dtype = {kDLInt, 32, 1},
                  .shape = &n};
    attn_arg arg = attn_arg_tensor(0, &t);
    attn_gpu_variant gv = {.var = bm_docs_variant(), .ptx = {ptx, ptx}};
    return on_device ? attn_block_mask_build_cuda(&gv, 2, 3, 300, KV, &arg, 1, NULL, m)
                     : attn_block_mask_build_gpu(&gv, ATTN_GPU_CUDA, 2, 3, 300, KV, &arg, 1, NULL, m);
}

static void test_build(const fake_cuda_state *st, const char *ptx, int complete) {
    attn_block_mask *m = NULL;
    int launches = st->launches;
    attn_status s = build(ptx, 0, 300, &m);
    if (complete) {
        /* Independent of b and h: one stored head, 3 x 5 blocks of 128 x 64;
         * the lists kernel covers 3 rows + 5 columns with one CTA. */
        CHECK(s == ATTN_OK && m && m->B == 1 && m->H == 1 && m->nqb == 3 && m->nkvb == 5,
              "built");
        CHECK(st->launches == launches + 2 && st->grid[0] == 1 && st->grid[1] == 1 &&
                  st->block[0] == 128 && st->block[1] == 1 && st->smem == 0 && st->param0,
              "two launches, the lists kernel last");
        CHECK(m && attn_block_mask_sparsity(m).empty == 15, "tables copied back (unwritten: 0)");
    } else {
        CHECK(s == ATTN_ERR_UNSUPPORTED && !m && st->launches == launches &&
                  strcmp(attn_last_error(), "cuModuleGetFunction(\"doc_causal_attn_bm_gpu_lists\"): "
                                            "CUDA_ERROR_NOT_FOUND: named symbol not found") == 0,
              "missing entry refused before any launch");
    }
    CHECK(st->allocs == 0, "device buffers freed");
    attn_block_mask_free(m);
}

/* attn_block_mask_build_cuda of doc_causal for Q = 300 and KV keys. */
/* Tensor parameters in device memory: the builder on the emulator refuses
 * them, a pack may not be one. */
static void test_device_params(void) {
    static int32_t doc[300];
    static int64_t n = 300;
    DLTensor t = {.data = doc, .device = {kDLCUDA, 0}, .ndim = 1, .dtype = {kDLInt, 32, 1}, .shape = &n};
    attn_arg arg = attn_arg_tensor(0, &t);
    attn_gpu_variant gv = {.var = bm_docs_variant(), .ptx = {bm_ptx, bm_ptx}};
    attn_block_mask *m = NULL;
    CHECK(attn_block_mask_build_gpu(&gv, ATTN_GPU_EMU, 2, 3, 300, 300, &arg, 1, NULL, &m) ==
                  ATTN_ERR_UNSUPPORTED && !m &&
              strcmp(attn_last_error(), "the emulator takes CPU tensors, got a CUDA tensor") == 0,
          "the emulator refuses device tensors");
    CHECK(attn_block_mask_build(bm_docs_variant(), 2, 3, 300, 300, &arg, 1, NULL, &m) ==
                  ATTN_ERR_UNSUPPORTED && !m,
          "the CPU builder refuses device tensors");
}

static void test_build_cuda(const fake_cuda_state *st, int64_t KV) {
    attn_block_mask *m = NULL;
    int launches = st->launches;
    attn_status s = build(bm_ptx, 1, KV, &m);
    /* one stored head, 3 query blocks of 128, ceil(KV / 64) key blocks */
    const int nkvb = (int)((KV + 63) / 64), ints = 2 * (3 + 3 * nkvb);
    CHECK(s == ATTN_OK && m && m->device == ATTN_BLOCK_MASK_CUDA && m->nqb == 3 &&
              m->nkvb == nkvb && !m->q_num_blocks && !m->q_indices && !m->full_q_num_blocks &&
              !m->full_q_indices && attn_block_mask_bytes(m) == ints * 4 + (int64_t)sizeof *m,
          "built into device memory: the key side only");
    CHECK(st->launches == launches + (nkvb > 0 ? 2 : 0), "the builder's two launches");
    CHECK(st->allocs == 1 && m && m->kv_num_blocks && m->full_kv_indices == m->kv_num_blocks + ints - 3 * nkvb &&
              m->kv_num_blocks[0] == 0 && m->full_kv_num_blocks[2] == 0,
          "one device buffer kept, zeroed (the fake runs no kernel)");
    attn_block_mask_free(m);
    CHECK(st->allocs == 0, "freed with attn_block_mask_free");
}

/* The fake's modules for the attention launches below: the kernel, and the
 * kernel with the BlockMask builder. */
static const char fwd_ptx[] = ".version 8.0\n.target sm_90a\n"
                              ".visible .entry doc_causal_attn_fwd_gpu_bf16_d64(\n";
static const char fwd_bm_ptx[] = ".version 8.0\n.target sm_90a\n"
                                 ".visible .entry doc_causal_attn_fwd_gpu_bf16_d64(\n"
                                 ".visible .entry doc_causal_attn_bm_gpu_classify(\n"
                                 ".visible .entry doc_causal_attn_bm_gpu_lists(\n";

/* attn_forward_gpu on CUDA of doc_causal (bf16, 1 x 1 x 200 x 200, D = 64)
 * with BlockMask m, or, m NULL, as a variant that needs a BlockMask (built
 * for the launch), its doc tensor in device memory when doc_on_device;
 * *allocs: the device buffers it allocated, *bytes: what it copied to them
 * from the host. */
static attn_status fwd_launch(const fake_cuda_state *st, const attn_block_mask *m, int doc_on_device,
                              int *allocs, long long *bytes) {
    enum { N = 200, D = 64 };
    static uint16_t q[N * D], k[N * D], v[N * D], o[N * D];
    static int32_t doc[N];
    static float lse[N];
    int64_t shape[4] = {1, 1, N, D}, n = N;
    DLTensor t[5], dt = {.data = doc, .device = {doc_on_device ? kDLCUDA : kDLCPU, 0}, .ndim = 1,
                         .dtype = {kDLInt, 32, 1}, .shape = &n};
    void *data[5] = {q, k, v, o, lse};
    for (int i = 0; i < 5; i++)
        t[i] = (DLTensor){.data = data[i], .device = {kDLCPU, 0}, .ndim = i < 4 ? 4 : 3,
                          .dtype = i < 4 ? (DLDataType){kDLBfloat, 16, 1} : (DLDataType){kDLFloat, 32, 1},
                          .shape = shape};
    static const attn_gpu_kernel kern = {ATTN_BF16, D, D, "doc_causal_attn_fwd_gpu_bf16_d64", NULL};
    attn_variant needs = *bm_docs_variant();
    needs.needs_block_mask = 1;
    attn_gpu_variant gv = {.var = m ? bm_docs_variant() : &needs, .kernels = &kern, .nkernels = 1,
                           .ptx = {m ? fwd_ptx : fwd_bm_ptx, m ? fwd_ptx : fwd_bm_ptx}};
    attn_arg arg = attn_arg_tensor(0, &dt);
    const attn_launch_opts opts = {.block_mask = m};
    int before = st->allocs_total;
    long long copied = st->htod_bytes;
    attn_status s = attn_forward_gpu(&gv, ATTN_GPU_CUDA, &t[0], &t[1], &t[2], &t[3], &t[4], &arg, 1,
                                     &opts);
    *allocs = st->allocs_total - before;
    *bytes = st->htod_bytes - copied;
    return s;
}

static void test_to_cuda(const fake_cuda_state *st) {
    /* 1 x 1 heads, 2 x 4 blocks of 128 x 64, over Q = KV = 200 */
    int32_t counts[2] = {1, 2}, full_counts[2] = {2, 1};
    int32_t idx[8] = {3, 0, 0, 0, 1, 2, 0, 0}, full_idx[8] = {0, 1, 0, 0, 3, 0, 0, 0};
    attn_block_mask host = {.B = 1, .H = 1, .q_len = 200, .kv_len = 200, .block_q = 128,
                            .block_kv = 64, .nqb = 2, .nkvb = 4, .kv_num_blocks = counts,
                            .kv_indices = idx, .full_kv_num_blocks = full_counts,
                            .full_kv_indices = full_idx};
    attn_block_mask *d = NULL;
    CHECK(attn_block_mask_to_cuda(&host, &d) == ATTN_OK && d && st->allocs == 1, "copied");
    if (!d)
        return;
    CHECK(d->device == ATTN_BLOCK_MASK_CUDA && !d->q_num_blocks && !d->q_indices &&
              memcmp(d->kv_num_blocks, counts, sizeof counts) == 0 &&
              memcmp(d->full_kv_num_blocks, full_counts, sizeof full_counts) == 0 &&
              memcmp(d->kv_indices, idx, sizeof idx) == 0 &&
              memcmp(d->full_kv_indices, full_idx, sizeof full_idx) == 0,
          "key-side tables on the device, q side NULL");
    CHECK(attn_block_mask_bytes(d) == 20 * 4 + (int64_t)sizeof *d &&
              attn_block_mask_sparsity(d).visible_fraction == 0.0,
          "device tables: counted, not read");
    attn_block_mask *again = NULL;
    CHECK(attn_block_mask_to_cuda(d, &again) == ATTN_ERR_INVALID_ARG && !again, "not twice");

    int host_allocs = 0, dev_allocs = 0, launches = st->launches;
    long long host_bytes = 0, dev_bytes = 0;
    CHECK(fwd_launch(st, &host, 0, &host_allocs, &host_bytes) == ATTN_OK, "launch with the host mask");
    CHECK(fwd_launch(st, d, 0, &dev_allocs, &dev_bytes) == ATTN_OK, "launch with the device mask");
    CHECK(st->launches == launches + 2 && host_allocs == dev_allocs &&
              host_bytes >= dev_bytes + (int64_t)sizeof counts * 2 + (int64_t)sizeof idx * 2,
          "the device mask is read in place, the host one copied (four tables, staged with the "
          "parameters)");
    CHECK(st->allocs == 1, "launch buffers freed");
    int built_allocs = 0;
    long long built_bytes = 0;
    launches = st->launches;
    CHECK(fwd_launch(st, NULL, 0, &built_allocs, &built_bytes) == ATTN_OK &&
              st->launches == launches + 3,
          "launch that builds its BlockMask: the builder's two kernels, then the attention");
    CHECK(built_allocs == dev_allocs + 3 && st->allocs == 1,
          "built on the device (tables, classes, the builder's parameters: 3 buffers) and "
          "read in place, not copied through the host, all freed");
    int doc_dev_allocs = 0;
    long long doc_dev_bytes = 0;
    CHECK(fwd_launch(st, NULL, 1, &doc_dev_allocs, &doc_dev_bytes) == ATTN_OK &&
              st->launches == launches + 6 && doc_dev_allocs == built_allocs &&
              doc_dev_bytes == built_bytes - 2 * (int64_t)sizeof(int32_t[200]) && st->allocs == 1,
          "a doc tensor in device memory is read in place by the builder and the kernel "
          "(two copies fewer)");

    static float f[200 * 64], l[200];
    static int32_t doc[200];
    int64_t shape[4] = {1, 1, 200, 64}, n = 200;
    DLTensor t = {.data = f, .device = {kDLCPU, 0}, .ndim = 4, .dtype = {kDLFloat, 32, 1},
                  .shape = shape};
    DLTensor lt = {.data = l, .device = {kDLCPU, 0}, .ndim = 3, .dtype = {kDLFloat, 32, 1},
                   .shape = shape};
    DLTensor dt = {.data = doc, .device = {kDLCPU, 0}, .ndim = 1, .dtype = {kDLInt, 32, 1},
                   .shape = &n};
    attn_arg arg = attn_arg_tensor(0, &dt);
    attn_launch_opts opts = {.block_mask = d};
    CHECK(attn_forward(bm_docs_variant(), &t, &t, &t, &t, &lt, &arg, 1, &opts) ==
                  ATTN_ERR_UNSUPPORTED &&
              strcmp(attn_last_error(), "block mask: in CUDA device memory; CPU launches read host "
                                        "BlockMasks (attn_block_mask_build, attn_block_mask_build_gpu)") == 0,
          "the CPU kernel refuses a device mask");
    attn_block_mask_free(d);
    CHECK(st->allocs == 0, "freed with attn_block_mask_free");
}

int main(void) {
    void *lib;
    const fake_cuda_state *st = fake_cuda_attach(&lib);
    if (!st)
        return 2;
    test_build(st, bm_ptx, 1);
    test_build(st, bm_ptx_old, 0);
    test_build_cuda(st, 300);
    test_build_cuda(st, 0);
    test_to_cuda(st);
    test_device_params();
    return fake_cuda_finish(lib, st);
}
