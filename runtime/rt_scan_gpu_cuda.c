/* rt_scan_gpu_cuda.c - the CUDA half of attn_scan_gpu: the variant's PTX for
 * the device, parameters and outputs copied to the device (CPU tensors; CUDA
 * tensors are used in place), the launch, the outputs copied back (with
 * every tensor on the device, nothing to wait for: see rt_gpu_upload). */
#include "attn_scan_gpu.h"
#include "rt_cuda.h"
#include "rt_launch_gpu.h"
#include "rt_scan.h"

/* The kernel gv->entry of gv's PTX for the current device, allowed smem bytes. */
static attn_status rt_scan_gpu_kernel(const attn_scan_gpu_variant *gv, int32_t smem,
                                      attn_cuda_kernel *k)
{
    attn_gpu_variant pick = {.var = gv->var};
    for (int i = 0; i < ATTN_GPU_PTX_COUNT; i++)
        pick.ptx[i] = gv->ptx[i];
    const char *ptx;
    attn_cuda_module *m;
    attn_status s = attn_gpu_variant_ptx(&pick, &ptx);
    if (s == ATTN_OK)
        s = rt_cuda_module_load_memo(ptx, gv->memo, &m);
    return s == ATTN_OK ? attn_cuda_kernel_get(m, gv->entry, smem, k) : s;
}

attn_status rt_scan_gpu_run_cuda(const attn_scan_gpu_variant *gv, attn_scan_gpu_args *a,
                                 int32_t rows, int32_t smem, DLTensor *const *outputs,
                                 const uint8_t *params_on_device, void *stream)
{
    attn_cuda_kernel k;
    attn_status s = rt_scan_gpu_kernel(gv, smem, &k);
    const rt_capture cap = s == ATTN_OK ? rt_cuda_stream_capture(stream) : RT_CAPTURE_NONE;
    if (cap == RT_CAPTURE_BLOCKED)
        s = rt_gpu_capture_refused(gv->var->name, cap);
    else if (cap == RT_CAPTURE_ACTIVE)
        s = rt_fail(ATTN_ERR_UNSUPPORTED, "%s: the stream is capturing a CUDA graph; scan launches "
                    "copy their parameters from the host per call and cannot be captured",
                    gv->var->name);
    if (s != ATTN_OK)
        return s;
    attn_cuda_tensor *outs[ATTN_MAX_SCAN_OUTPUTS] = {0};
    for (int32_t o = 0; outputs && o < a->io.noutputs && s == ATTN_OK; o++) {
        if ((s = rt_cuda_tensor_upload_on(outputs[o], stream, &outs[o])) != ATTN_OK)
            break;
        attn_tensor_arg *t = &a->io.outputs[o];
        t->data = rt_data(&outs[o]->t);
        for (int32_t ax = 0; ax < t->ndim; ax++)
            t->stride[ax] = rt_stride(&outs[o]->t, ax);
    }
    rt_gpu_upload u = {.stream = stream};
    if (s == ATTN_OK)
        s = rt_gpu_params_stage(gv->var, &a->ctx, params_on_device, &u);
    if (s == ATTN_OK)
        s = rt_gpu_upload_commit(&u);
    if (s == ATTN_OK) {
        const uint32_t grid[3] = {(uint32_t)rows, 1, 1}, block[3] = {ATTN_SCAN_GPU_THREADS, 1, 1};
        void *params[] = {a};
        s = attn_cuda_launch(&k, grid, block, params, stream);
    }
    /* Wait for the kernel when outputs come back to the host, or when the
     * parameter buffer cannot be freed in stream order. */
    if (s != ATTN_OK || outputs || rt_gpu_upload_must_wait(&u)) {
        attn_status sync = attn_cuda_synchronize(stream);
        s = s != ATTN_OK ? s : sync;
    }
    for (int32_t o = 0; outputs && o < a->io.noutputs && s == ATTN_OK; o++)
        s = attn_cuda_tensor_download(&outs[o]->t, outputs[o]);
    for (int32_t o = 0; o < a->io.noutputs; o++)
        attn_cuda_tensor_free(outs[o]);
    rt_gpu_upload_free(&u);
    return s;
}
