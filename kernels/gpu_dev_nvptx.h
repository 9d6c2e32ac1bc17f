/* gpu_dev_nvptx.h - the device layer (gpu_dev.h) on NVPTX, sm_80 and later:
 * NVVM builtins for ids, barriers and shuffles, inline PTX for ldmatrix,
 * mma.sync, cp.async and conversions. Included by gpu_dev.h only. */
#ifndef GPU_DEV_NVPTX_H
#define GPU_DEV_NVPTX_H

#include <stdint.h>

#define DEV_FULL_MASK 0xffffffffu

/* ---- ids and barrier ---------------------------------------------------- */

static inline int dev_tid(int d)
{
    return d == 0 ? __nvvm_read_ptx_sreg_tid_x()
         : d == 1 ? __nvvm_read_ptx_sreg_tid_y() : __nvvm_read_ptx_sreg_tid_z();
}
static inline int dev_ntid(int d)
{
    return d == 0 ? __nvvm_read_ptx_sreg_ntid_x()
         : d == 1 ? __nvvm_read_ptx_sreg_ntid_y() : __nvvm_read_ptx_sreg_ntid_z();
}
static inline int dev_ctaid(int d)
{
    return d == 0 ? __nvvm_read_ptx_sreg_ctaid_x()
         : d == 1 ? __nvvm_read_ptx_sreg_ctaid_y() : __nvvm_read_ptx_sreg_ctaid_z();
}
static inline int dev_nctaid(int d)
{
    return d == 0 ? __nvvm_read_ptx_sreg_nctaid_x()
         : d == 1 ? __nvvm_read_ptx_sreg_nctaid_y() : __nvvm_read_ptx_sreg_nctaid_z();
}
static inline void dev_syncthreads(void) { __syncthreads(); }

/* ---- shared memory ------------------------------------------------------ */

/* The dynamic shared memory of the launch (.extern .shared). */
extern __attribute__((address_space(3), aligned(16))) char dev_smem_base[];
static inline void *dev_smem(void) { return (void *)dev_smem_base; }

/* The .shared window address of a generic pointer into shared memory. An
 * address space cast, not inline cvta: LLVM then folds constant offsets into
 * one base register, where an asm result per address kept every ldmatrix
 * address of a tile live in its own register. */
typedef __attribute__((address_space(3))) const char dev_smem_char;
static inline uint32_t dev_smem_addr(const void *p)
{
    return (uint32_t)(uintptr_t)(dev_smem_char *)p;
}

/* ---- shuffles ----------------------------------------------------------- */

static inline float dev_shfl_xor_f32(float v, int lanemask)
{
    return __nvvm_shfl_sync_bfly_f32(DEV_FULL_MASK, v, lanemask, 0x1f);
}
static inline int dev_shfl_idx_i32(int v, int srclane)
{
    return __nvvm_shfl_sync_idx_i32(DEV_FULL_MASK, v, srclane, 0x1f);
}

/* ---- ldmatrix / mma ----------------------------------------------------- */

static inline void dev_ldmatrix_x4(uint32_t r[4], const void *row)
{
    __asm__ volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];"
                     : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                     : "r"(dev_smem_addr(row)) : "memory");
}
static inline void dev_ldmatrix_x4_trans(uint32_t r[4], const void *row)
{
    __asm__ volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];"
                     : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                     : "r"(dev_smem_addr(row)) : "memory");
}

#define DEV_MMA_M16N8K16(name, ty)                                                          \
    static inline void name(float d[4], const uint32_t a[4], const uint32_t b[2])          \
    {                                                                                       \
        __asm__("mma.sync.aligned.m16n8k16.row.col.f32." ty "." ty ".f32 "                 \
                "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"          \
                : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])                            \
                : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));        \
    }
DEV_MMA_M16N8K16(dev_mma_m16n8k16_f16, "f16")
DEV_MMA_M16N8K16(dev_mma_m16n8k16_bf16, "bf16")
#undef DEV_MMA_M16N8K16

/* ---- cp.async ----------------------------------------------------------- */

static inline void dev_cp_async_16(void *dst, const void *src, int fill)
{
    __asm__ volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;"
                     :: "r"(dev_smem_addr(dst)), "l"(src), "r"(fill ? 16 : 0) : "memory");
}
static inline void dev_cp_async_commit(void)
{
    __asm__ volatile("cp.async.commit_group;" ::: "memory");
}
/* A macro: the group count must be an immediate. */
#define dev_cp_async_wait(n) __asm__ volatile("cp.async.wait_group %0;" ::"n"(n) : "memory")

/* ---- math and conversions ----------------------------------------------- */

static inline float dev_exp2f(float x)
{
    float y;
    __asm__("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
    return y;
}
static inline float dev_log2f(float x)
{
    float y;
    __asm__("lg2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
    return y;
}
static inline uint32_t dev_pack_f16x2(float lo, float hi)
{
    uint32_t r;
    __asm__("cvt.rn.f16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
    return r;
}
static inline uint32_t dev_pack_bf16x2(float lo, float hi)
{
    uint32_t r;
    __asm__("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
    return r;
}
static inline float dev_f16_to_f32(uint16_t h)
{
    float f;
    __asm__("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
    return f;
}
static inline float dev_bf16_to_f32(uint16_t h)
{
    return __builtin_bit_cast(float, (uint32_t)h << 16);
}

/* ---- kernel entry ------------------------------------------------------- */

#define DEV_ENTRY(name, T, body) \
    __attribute__((nvptx_kernel)) void name(T args) { body(&args); }

#endif
