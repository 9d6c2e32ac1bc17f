/* gpu_dev_nvptx.h - the device layer (gpu_dev.h) on NVPTX, sm_80 and later:
 * NVVM builtins for ids, barriers and shuffles, inline PTX for ldmatrix,
 * mma.sync, wgmma (sm_90a), cp.async and conversions. Included by gpu_dev.h only. */
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

/* ---- wgmma (sm_90a) ----------------------------------------------------- */

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define DEV_HAS_WGMMA 1

static inline void dev_wgmma_fence(void)
{
    __asm__ volatile("wgmma.fence.sync.aligned;" ::: "memory");
}
static inline void dev_wgmma_commit(void)
{
    __asm__ volatile("wgmma.commit_group.sync.aligned;" ::: "memory");
}
/* A macro: the group count must be an immediate. */
#define dev_wgmma_wait(n) __asm__ volatile("wgmma.wait_group.sync.aligned %0;" ::"n"(n) : "memory")
static inline void dev_wgmma_pin_f32(float *x) { __asm__ volatile("" : "+f"(*x)::"memory"); }
static inline void dev_wgmma_pin_u32(uint32_t *x) { __asm__ volatile("" : "+r"(*x)::"memory"); }
static inline void dev_fence_proxy_async(void)
{
    __asm__ volatile("fence.proxy.async.shared::cta;" ::: "memory");
}

/* The operands of wgmma.mma_async.m64nNk16 with A in registers: N/2
 * accumulators, 4 A registers, the B descriptor. */
#define DEV_WG_OPS_N16                                                                      \
    "{%0, %1, %2, %3, %4, %5, %6, %7}, "                                                    \
    "{%8, %9, %10, %11}, %12"
#define DEV_WG_OPS_N32                                                                      \
    "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15}, "              \
    "{%16, %17, %18, %19}, %20"
#define DEV_WG_OPS_N64                                                                      \
    "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "               \
    "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, "     \
    "{%32, %33, %34, %35}, %36"
#define DEV_WG_OPS_N128                                                                     \
    "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "               \
    "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "      \
    "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "      \
    "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, "     \
    "{%64, %65, %66, %67}, %68"
#define DEV_WG_D4(d, i) "+f"((d)[i]), "+f"((d)[(i) + 1]), "+f"((d)[(i) + 2]), "+f"((d)[(i) + 3])
#define DEV_WG_D8(d, i) DEV_WG_D4(d, i), DEV_WG_D4(d, (i) + 4)
#define DEV_WG_D16(d, i) DEV_WG_D8(d, i), DEV_WG_D8(d, (i) + 8)
#define DEV_WG_D32(d, i) DEV_WG_D16(d, i), DEV_WG_D16(d, (i) + 16)
#define DEV_WG_D64(d, i) DEV_WG_D32(d, i), DEV_WG_D32(d, (i) + 32)

/* d += a * B, scale-d 1, no negation, B transposed (MN-major) when tb = 1. */
#define DEV_WGMMA_FN(ty, n, outs, tb)                                                       \
    static inline void dev_wgmma_##ty##_n##n##_t##tb(float *d, const uint32_t a[4],         \
                                                     uint64_t desc)                         \
    {                                                                                       \
        __asm__ volatile("wgmma.mma_async.sync.aligned.m64n" #n "k16.f32." #ty "." #ty " "  \
                         DEV_WG_OPS_N##n ", 1, 1, 1, " #tb ";"                              \
                         : outs(d, 0)                                                       \
                         : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc)            \
                         : "memory");                                                       \
    }
#define DEV_WGMMA_FNS(ty)                                                                   \
    DEV_WGMMA_FN(ty, 16, DEV_WG_D8, 0) DEV_WGMMA_FN(ty, 16, DEV_WG_D8, 1)                   \
    DEV_WGMMA_FN(ty, 32, DEV_WG_D16, 0) DEV_WGMMA_FN(ty, 32, DEV_WG_D16, 1)                 \
    DEV_WGMMA_FN(ty, 64, DEV_WG_D32, 0) DEV_WGMMA_FN(ty, 64, DEV_WG_D32, 1)                 \
    DEV_WGMMA_FN(ty, 128, DEV_WG_D64, 0) DEV_WGMMA_FN(ty, 128, DEV_WG_D64, 1)               \
    static inline __attribute__((always_inline)) void dev_wgmma_##ty(                      \
        int n, int tb, float *d, const uint32_t a[4], uint64_t desc)                        \
    {                                                                                       \
        switch (2 * n + tb) {                                                               \
        case 32: dev_wgmma_##ty##_n16_t0(d, a, desc); break;                                \
        case 33: dev_wgmma_##ty##_n16_t1(d, a, desc); break;                                \
        case 64: dev_wgmma_##ty##_n32_t0(d, a, desc); break;                                \
        case 65: dev_wgmma_##ty##_n32_t1(d, a, desc); break;                                \
        case 128: dev_wgmma_##ty##_n64_t0(d, a, desc); break;                               \
        case 129: dev_wgmma_##ty##_n64_t1(d, a, desc); break;                               \
        case 256: dev_wgmma_##ty##_n128_t0(d, a, desc); break;                              \
        case 257: dev_wgmma_##ty##_n128_t1(d, a, desc); break;                              \
        default: __builtin_trap(); /* no such shape here */                                 \
        }                                                                                   \
    }
DEV_WGMMA_FNS(f16)
DEV_WGMMA_FNS(bf16)
#undef DEV_WGMMA_FNS
#undef DEV_WGMMA_FN
#else
#define DEV_HAS_WGMMA 0
#endif

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
