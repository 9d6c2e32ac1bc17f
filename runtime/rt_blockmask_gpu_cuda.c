/* rt_blockmask_gpu_cuda.c - the CUDA half of attn_block_mask_build_gpu:
 * the variant's PTX for the device, parameters copied to the device, the
 * tables and the class scratch in device memory, both builder kernels
 * launched, the tables copied back. */
#include <stdio.h>

#include "rt_blockmask_gpu.h"
#include "rt_launch_gpu.h"

/* Looks up the builder kernel `i` (ATTN_GPU_BM_*) of gv in module mod. */
static attn_status rt_bm_gpu_kernel(const attn_gpu_variant *gv, attn_cuda_module *mod, int i,
                                    attn_cuda_kernel *k) {
    static const char *const entries[ATTN_GPU_BM_KERNELS] = ATTN_GPU_BM_ENTRIES;
    char entry[512];
    snprintf(entry, sizeof entry, "%.250s_%s", gv->var->name, entries[i]);
    return attn_cuda_kernel_get(mod, entry, i == ATTN_GPU_BM_CLASSIFY ? ATTN_BM_GPU_SMEM_BYTES : 0,
                                k);
}

attn_status rt_bm_gpu_run_cuda(const attn_gpu_variant *gv, attn_bm_gpu_args *a,
                               attn_block_mask *m) {
    const char *ptx;
    attn_cuda_module *mod;
    attn_cuda_kernel k[ATTN_GPU_BM_KERNELS];
    attn_status s = attn_gpu_variant_ptx(gv, &ptx);
    if (s == ATTN_OK)
        s = attn_cuda_module_load(ptx, &mod);
    for (int i = 0; i < ATTN_GPU_BM_KERNELS && s == ATTN_OK; i++)
        s = rt_bm_gpu_kernel(gv, mod, i, &k[i]);
    if (s != ATTN_OK)
        return s;
    /* m's tables are zero: uploading them zeroes the device copy. */
    const size_t table_bytes = (size_t)(attn_block_mask_bytes(m) - (int64_t)sizeof *m);
    const size_t cells = (size_t)(rt_bm_gpu_classify_blocks(a) * a->nkvb);
    rt_gpu_buffers b = {.n = 0};
    void *tables = NULL, *cls = NULL;
    s = rt_gpu_copy_in(&b, m->kv_num_blocks, table_bytes, &tables);
    if (s == ATTN_OK)
        s = attn_cuda_malloc(cells, &cls);
    if (s == ATTN_OK)
        s = rt_gpu_params_to_device(gv->var, &a->ctx, &b);
    if (s == ATTN_OK) {
        rt_bm_gpu_tables(a, m, tables);
        a->cls = cls;
        void *params[] = {a};
        const uint32_t block[3] = {ATTN_BM_GPU_THREADS, 1, 1};
        const uint32_t grid[ATTN_GPU_BM_KERNELS][3] = {
            {(uint32_t)rt_bm_gpu_classify_blocks(a), 1, 1},
            {(uint32_t)rt_bm_gpu_lists_blocks(a), 1, 1}};
        for (int i = 0; i < ATTN_GPU_BM_KERNELS && s == ATTN_OK; i++)
            s = attn_cuda_launch(&k[i], grid[i], block, params, NULL);
    }
    /* The buffers are freed below: wait for the kernels. */
    attn_status sync = attn_cuda_synchronize(NULL);
    s = s != ATTN_OK ? s : sync;
    if (s == ATTN_OK)
        s = attn_cuda_memcpy_dtoh(m->kv_num_blocks, tables, table_bytes);
    attn_cuda_free(cls);
    rt_gpu_buffers_free(&b);
    return s;
}
