/* gpu_dev_emu.h - the device layer (gpu_dev.h) on the host, for kernels run
 * by the SIMT emulator (runtime/emu/, launched with emu_launch). Every call
 * is made by an emulated GPU thread; the collectives block the calling
 * coroutine until all lanes of its warp (or all threads of its block) arrive.
 * The emu_dev_* functions are implemented in runtime/emu/. */
#ifndef GPU_DEV_EMU_H
#define GPU_DEV_EMU_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Element types of mma operands. */
enum { EMU_F16 = 0, EMU_BF16 = 1 };

int emu_dev_tid(int d);
int emu_dev_ntid(int d);
int emu_dev_ctaid(int d);
int emu_dev_nctaid(int d);
void emu_dev_syncthreads(void);
void *emu_dev_smem(void);
uint32_t emu_dev_shfl(uint32_t v, int lane_or_mask, int is_xor);
void emu_dev_ldmatrix_x4(uint32_t r[4], const void *row, int trans);
void emu_dev_mma_m16n8k16(float d[4], const uint32_t a[4], const uint32_t b[2], int type);
void emu_dev_cp_async_16(void *dst, const void *src, int fill);
void emu_dev_cp_async_commit(void);
void emu_dev_cp_async_wait(int keep);
void emu_dev_fence_proxy_async(void);
void emu_dev_wgmma(float *d, int n, const uint32_t a[4], uint64_t desc, int trans_b, int type);
void emu_dev_wgmma_commit(void);
void emu_dev_wgmma_wait(int keep);

/* Exact conversions (round to nearest even), shared with the tests. */
uint16_t emu_f32_to_f16(float f);
uint16_t emu_f32_to_bf16(float f);
float emu_f16_to_f32(uint16_t h);
float emu_bf16_to_f32(uint16_t h);

static inline int dev_tid(int d) { return emu_dev_tid(d); }
static inline int dev_ntid(int d) { return emu_dev_ntid(d); }
static inline int dev_ctaid(int d) { return emu_dev_ctaid(d); }
static inline int dev_nctaid(int d) { return emu_dev_nctaid(d); }
static inline void dev_syncthreads(void) { emu_dev_syncthreads(); }
static inline void *dev_smem(void) { return emu_dev_smem(); }
/* Shared "addresses" are offsets from the block's shared memory. */
static inline uint32_t dev_smem_addr(const void *p)
{
    return (uint32_t)((const char *)p - (const char *)emu_dev_smem());
}

static inline float dev_shfl_xor_f32(float v, int lanemask)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    u = emu_dev_shfl(u, lanemask, 1);
    memcpy(&v, &u, 4);
    return v;
}
static inline int dev_shfl_idx_i32(int v, int srclane)
{
    return (int)emu_dev_shfl((uint32_t)v, srclane, 0);
}

static inline void dev_ldmatrix_x4(uint32_t r[4], const void *row)
{
    emu_dev_ldmatrix_x4(r, row, 0);
}
static inline void dev_ldmatrix_x4_trans(uint32_t r[4], const void *row)
{
    emu_dev_ldmatrix_x4(r, row, 1);
}
static inline void dev_mma_m16n8k16_f16(float d[4], const uint32_t a[4], const uint32_t b[2])
{
    emu_dev_mma_m16n8k16(d, a, b, EMU_F16);
}
static inline void dev_mma_m16n8k16_bf16(float d[4], const uint32_t a[4], const uint32_t b[2])
{
    emu_dev_mma_m16n8k16(d, a, b, EMU_BF16);
}

/* wgmma: issued operations complete at wait_group (emu_wgmma.c); the wgmma
 * fence orders nothing that the emulator could reorder. fence.proxy.async
 * makes the thread's cp.async fills readable by wgmma (emu_cp_async.c). */
#define DEV_HAS_WGMMA 1
static inline void dev_wgmma_fence(void) {}
static inline void dev_wgmma_commit(void) { emu_dev_wgmma_commit(); }
#define dev_wgmma_wait(n) emu_dev_wgmma_wait(n)
static inline void dev_wgmma_pin_f32(float *x) { (void)x; }
static inline void dev_wgmma_pin_u32(uint32_t *x) { (void)x; }
static inline void dev_fence_proxy_async(void) { emu_dev_fence_proxy_async(); }
static inline void dev_wgmma_f16(int n, int tb, float *d, const uint32_t a[4], uint64_t desc)
{
    emu_dev_wgmma(d, n, a, desc, tb, EMU_F16);
}
static inline void dev_wgmma_bf16(int n, int tb, float *d, const uint32_t a[4], uint64_t desc)
{
    emu_dev_wgmma(d, n, a, desc, tb, EMU_BF16);
}

/* cp.async: a copy lands when a wait_group completes its group
 * (emu_cp_async.c). */
static inline void dev_cp_async_16(void *dst, const void *src, int fill)
{
    emu_dev_cp_async_16(dst, src, fill);
}
static inline void dev_cp_async_commit(void) { emu_dev_cp_async_commit(); }
#define dev_cp_async_wait(n) emu_dev_cp_async_wait(n)

static inline float dev_exp2f(float x) { return exp2f(x); }
static inline float dev_log2f(float x) { return log2f(x); }
static inline uint32_t dev_pack_f16x2(float lo, float hi)
{
    return emu_f32_to_f16(lo) | (uint32_t)emu_f32_to_f16(hi) << 16;
}
static inline uint32_t dev_pack_bf16x2(float lo, float hi)
{
    return emu_f32_to_bf16(lo) | (uint32_t)emu_f32_to_bf16(hi) << 16;
}
static inline float dev_f16_to_f32(uint16_t h) { return emu_f16_to_f32(h); }
static inline float dev_bf16_to_f32(uint16_t h) { return emu_bf16_to_f32(h); }

#define DEV_ENTRY(name, T, body) \
    void name(const void *args) { body((const T *)args); }

#endif
