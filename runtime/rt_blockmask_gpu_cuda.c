/* rt_blockmask_gpu_cuda.c - the CUDA half of attn_block_mask_build_gpu and
 * attn_block_mask_build_cuda: the variant's PTX for the device, parameters
 * copied to the device, the tables (zeroed) and the class scratch in device
 * memory, both builder kernels launched, then the tables copied back into a
 * host BlockMask or handed to a CUDA one. */
#include <stdio.h>

#include "rt_blockmask.h"
#include "rt_cuda.h"
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

attn_status rt_bm_gpu_cuda_kernels(const attn_gpu_variant *gv,
                                   attn_cuda_kernel k[ATTN_GPU_BM_KERNELS]) {
    const char *ptx;
    attn_cuda_module *mod;
    attn_status s = attn_gpu_variant_ptx(gv, &ptx);
    if (s == ATTN_OK)
        s = rt_cuda_module_load_memo(ptx, gv->memo, &mod);
    for (int i = 0; i < ATTN_GPU_BM_KERNELS && s == ATTN_OK; i++)
        s = rt_bm_gpu_kernel(gv, mod, i, &k[i]);
    return s;
}

attn_status rt_bm_gpu_enqueue(const attn_cuda_kernel k[ATTN_GPU_BM_KERNELS],
                              const attn_bm_gpu_args *a, void *stream) {
    void *params[] = {(void *)a}; /* read by cuLaunchKernel, not written */
    const uint32_t block[3] = {ATTN_BM_GPU_THREADS, 1, 1};
    const uint32_t grid[ATTN_GPU_BM_KERNELS][3] = {{(uint32_t)rt_bm_gpu_classify_blocks(a), 1, 1},
                                                   {(uint32_t)rt_bm_gpu_lists_blocks(a), 1, 1}};
    attn_status s = ATTN_OK;
    for (int i = 0; i < ATTN_GPU_BM_KERNELS && s == ATTN_OK; i++)
        s = attn_cuda_launch(&k[i], grid[i], block, params, stream);
    return s;
}

attn_status rt_bm_gpu_run_cuda(const attn_gpu_variant *gv, attn_bm_gpu_args *a,
                               attn_block_mask *m, const rt_gpu_args *views) {
    const bool to_host = m->device == ATTN_BLOCK_MASK_HOST;
    /* all eight tables of a host m, the key side of a CUDA one */
    const size_t table_bytes = (size_t)(attn_block_mask_bytes(m) - (int64_t)sizeof *m);
    const size_t cells = (size_t)(rt_bm_gpu_classify_blocks(a) * a->nkvb);
    rt_gpu_upload u = {.stream = NULL};
    void *tables = NULL, *cls = NULL;
    attn_status s = attn_cuda_malloc(table_bytes > 0 ? table_bytes : sizeof(int32_t), &tables);
    if (s == ATTN_OK)
        s = attn_cuda_memset(tables, 0, table_bytes);
    if (s == ATTN_OK && cells > 0)
        s = attn_cuda_malloc(cells, &cls);
    if (s == ATTN_OK && cells > 0)
        s = rt_gpu_params_stage(gv->var, &a->ctx, views->on_device, &u);
    if (s == ATTN_OK && cells > 0)
        s = rt_gpu_upload_commit(&u);
    /* The kernels go on the legacy stream, which does not wait for
     * non-blocking streams: work queued there (a kernel writing a CUDA
     * tensor argument, document ids) must be done before they read it. */
    if (s == ATTN_OK && cells > 0 && views->ncuda > 0)
        s = attn_cuda_synchronize(NULL);
    if (s == ATTN_OK) {
        if (!to_host) { /* m's tables from now on; its NULL query side is not built */
            int64_t rows = 0, kv_cells = 0;
            rt_bm_kv_sizes(m, &rows, &kv_cells); /* checked when m was shaped */
            rt_bm_device_layout(m, tables, rows, kv_cells);
        }
        rt_bm_gpu_tables(a, m, tables);
        a->cls = cls;
        attn_cuda_kernel k[ATTN_GPU_BM_KERNELS];
        if (cells > 0)
            s = rt_bm_gpu_cuda_kernels(gv, k);
        if (cells > 0 && s == ATTN_OK)
            s = rt_bm_gpu_enqueue(k, a, NULL);
    }
    /* The buffers are freed below: wait for the kernels. */
    attn_status sync = attn_cuda_synchronize(NULL);
    s = s != ATTN_OK ? s : sync;
    if (s == ATTN_OK && to_host)
        s = attn_cuda_memcpy_dtoh(m->kv_num_blocks, tables, table_bytes);
    if (to_host || s != ATTN_OK)
        attn_cuda_free(tables);
    if (!to_host && s != ATTN_OK) /* m owns no tables */
        m->kv_num_blocks = m->full_kv_num_blocks = m->kv_indices = m->full_kv_indices = NULL;
    attn_cuda_free(cls);
    rt_gpu_upload_free(&u);
    return s;
}
