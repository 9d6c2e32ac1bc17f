/* rt_cuda_device.c - which GPU a CUDA tensor is on against the device of
 * the current context: a launch reads its tensors from the device it runs
 * on, so a tensor of another GPU is refused by name before anything is
 * queued (without peer access its first read would be an illegal address,
 * an error that ends the context). */
#include "rt_cuda.h"

/* The ordinal of device `dev` (cuDeviceGet's inverse; the handle itself if
 * no ordinal below 1024 maps to it). */
static int rt_cuda_ordinal_of(const rt_cuda_api *api, CUdevice dev) {
    for (int i = 0; i < 1024; i++) {
        CUdevice d;
        if (api->DeviceGet(&d, i) != RT_CUDA_SUCCESS)
            break;
        if (d == dev)
            return i;
    }
    return (int)dev;
}

/* The driver table and the device of the current context. */
static attn_status rt_cuda_current_device(const rt_cuda_api **api, CUdevice *dev) {
    CUcontext ctx;
    attn_status s = rt_cuda_enter(api, &ctx);
    if (s != ATTN_OK)
        return s;
    CUresult r = (*api)->CtxGetDevice(dev);
    return r == RT_CUDA_SUCCESS ? ATTN_OK : rt_cuda_fail(r, "cuCtxGetDevice");
}

attn_status rt_cuda_context_ordinal(int *ordinal) {
    const rt_cuda_api *api;
    CUdevice dev;
    attn_status s = rt_cuda_current_device(&api, &dev);
    if (s == ATTN_OK)
        *ordinal = rt_cuda_ordinal_of(api, dev);
    return s;
}

attn_status rt_cuda_check_tensors_device(const DLTensor *const *t, const char *const *what, int n) {
    const rt_cuda_api *api = NULL;
    CUdevice cur = 0, dev;
    int checked = -1; /* a device_id found to be the current device's */
    for (int i = 0; i < n; i++) {
        if (!t[i] || t[i]->device.device_type != kDLCUDA)
            continue;
        attn_status s = api ? ATTN_OK : rt_cuda_current_device(&api, &cur);
        if (s != ATTN_OK)
            return s;
        const int id = (int)t[i]->device.device_id;
        if (id == checked)
            continue;
        if (api->DeviceGet(&dev, id) != RT_CUDA_SUCCESS)
            return rt_fail(ATTN_ERR_UNSUPPORTED, "%s: a CUDA tensor on device %d, which the CUDA "
                           "driver does not have", what[i], id);
        if (dev != cur)
            return rt_fail(ATTN_ERR_UNSUPPORTED, "%s: a CUDA tensor on device %d, but the current "
                           "CUDA context is on device %d; launch with a context of device %d "
                           "current", what[i], id, rt_cuda_ordinal_of(api, cur), id);
        checked = id;
    }
    return ATTN_OK;
}

attn_status rt_cuda_check_tensor_device(const DLTensor *t, const char *what) {
    return rt_cuda_check_tensors_device(&t, &what, 1);
}
