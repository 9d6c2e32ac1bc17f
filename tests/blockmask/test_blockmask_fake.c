/* test_blockmask_fake.c - the CUDA path of attn_block_mask_build_gpu
 * against the fake driver (tests/cuda/fake_cuda.c, via $ATTN_CUDA_DRIVER),
 * which records launches without running them: the builder's two entries
 * are looked up in the variant's PTX, launched in order with their
 * geometry, the result comes back, and nothing stays allocated; a PTX
 * without the entries is refused with the driver's message. */
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

static void test_build(const fake_cuda_state *st, const char *ptx, int complete) {
    static int32_t doc[300];
    int64_t n = 300;
    DLTensor t = {.data = doc, .device = {kDLCPU, 0}, .ndim = 1, .dtype = {kDLInt, 32, 1},
                  .shape = &n};
    attn_arg arg = attn_arg_tensor(0, &t);
    attn_gpu_variant gv = {.var = bm_docs_variant(), .ptx = {ptx, ptx}};
    attn_block_mask *m = NULL;
    int launches = st->launches;
    attn_status s = attn_block_mask_build_gpu(&gv, ATTN_GPU_CUDA, 2, 3, 300, 300, &arg, 1, NULL, &m);
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

int main(void) {
    void *lib;
    const fake_cuda_state *st = fake_cuda_attach(&lib);
    if (!st)
        return 2;
    test_build(st, bm_ptx, 1);
    test_build(st, bm_ptx_old, 0);
    return fake_cuda_finish(lib, st);
}
