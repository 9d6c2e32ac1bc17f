/* gpu_dev.h - the device layer the GPU kernel templates are written against.
 *
 * A GPU template includes only this header (plus attn_abi.h). It is compiled
 *   - for NVPTX (clang-19 --target=nvptx64-nvidia-cuda -ffreestanding):
 *     gpu_dev_nvptx.h, inline PTX and NVVM builtins;
 *   - for the host: gpu_dev_emu.h, the SIMT emulator of runtime/emu/, where
 *     each GPU thread is a coroutine and warp collectives gather 32 lanes.
 *
 * Both implement the same API:
 *
 *   ids        dev_tid(d), dev_ntid(d), dev_ctaid(d), dev_nctaid(d)  (d = 0,1,2 for x,y,z),
 *              dev_lane(), dev_warp() (of the linear thread id, x fastest)
 *   barrier    dev_syncthreads()
 *   smem       dev_smem(): base of the block's dynamic shared memory (16-byte aligned);
 *              the launch gives its size; dev_smem_addr(p): p's address in the
 *              shared window (the emulator: its offset from dev_smem())
 *   shuffles   dev_shfl_xor_f32(v, lanemask), dev_shfl_idx_i32(v, srclane): all 32
 *              lanes of the warp take part (full mask)
 *   fragments  dev_ldmatrix_x4(r, row), dev_ldmatrix_x4_trans(r, row):
 *              ldmatrix.sync.aligned.m8n8.x4[.trans].shared.b16; `row` is this
 *              lane's row address (lanes 8m..8m+7 give the rows of matrix m);
 *              lane i receives in r[m] the elements (i/4, 2*(i%4)) and (i/4, 2*(i%4)+1)
 *              of matrix m (the transposed matrix with .trans), low half first.
 *              (PTX ISA, "Warp-level matrix load instruction: ldmatrix".)
 *              dev_mma_m16n8k16_f16(d, a, b), _bf16: d += a * b with
 *              mma.sync.aligned.m16n8k16.row.col.f32.{f16,bf16}.{f16,bf16}.f32.
 *              With g = lane/4, t = lane%4 (PTX ISA, "Matrix Fragments for
 *              mma.m16n8k16 with floating point type"):
 *                A 16x16: a[0] = (g, 2t..2t+1), a[1] = (g+8, 2t..), a[2] = (g, 2t+8..),
 *                         a[3] = (g+8, 2t+8..)     (row, col), two halves per .b32
 *                B 16x8:  b[0] = (2t..2t+1, g), b[1] = (2t+8..2t+9, g)   (k, n)
 *                C/D 16x8: d[0], d[1] = (g, 2t), (g, 2t+1); d[2], d[3] = (g+8, 2t..)
 *   wgmma      where DEV_HAS_WGMMA (sm_90a, the emulator): warpgroup MMA with A in
 *              registers, B in shared memory:
 *              dev_wgmma_f16(n, tb, d, a, desc), _bf16: d += A * B issued with
 *              wgmma.mma_async.sync.aligned.m64n<n>k16.f32.<ty>.<ty> (n = 16, 32,
 *              64, 128; compile-time n and tb), B K-major (tb = 0) or MN-major
 *              (tb = 1). Per warp w of the warpgroup, rows 16w.. of A and D in
 *              the fragments of mma.m16n8k16's A and of n/8 n8 tiles of its C
 *              (d[4j + e]). desc: dev_wgmma_desc_sw128 below.
 *              dev_wgmma_fence() before the first wgmma that reads registers
 *              written since; dev_wgmma_commit(); dev_wgmma_wait(n) (n constant:
 *              at most n groups still in flight); dev_wgmma_pin_f32(&x),
 *              _u32: the compiler may not move x's uses across this point
 *              (after a wait, before a fence); dev_fence_proxy_async(): shared
 *              memory written by this thread becomes visible to wgmma (a barrier
 *              after it makes it visible to the CTA's).
 *   cp.async   dev_cp_async_16(smem_dst, gmem_src, fill): copies 16 bytes, or
 *              writes 16 zero bytes without reading src when fill == 0;
 *              dev_cp_async_commit(), dev_cp_async_wait(n) (n: constant, at most n
 *              groups still pending). Addresses 16-byte aligned.
 *   math       dev_exp2f(x), dev_log2f(x) (ex2/lg2.approx.ftz on the GPU: ~2 ulp,
 *              exp2(-inf) = 0)
 *   halves     dev_pack_f16x2(lo, hi), dev_pack_bf16x2(lo, hi): round to nearest
 *              even, lo in the low 16 bits; dev_f16_to_f32(h), dev_bf16_to_f32(h)
 *   entry      DEV_ENTRY(name, ArgsType, body): defines the kernel `name` taking
 *              ArgsType by value (NVPTX) or `const void *` (emulator) and calling
 *              `DEV_BODY void body(const ArgsType *)`.
 *   DEV_UNROLL before a loop: unroll it fully
 *   DEV_BODY   storage class of a kernel body: static, always inlined into its
 *              entry (the by-value arguments then stay in parameter space).
 */
#ifndef GPU_DEV_H
#define GPU_DEV_H

#include <stdint.h>

#if defined(__NVPTX__)
#include "gpu_dev_nvptx.h"
#else
#include "gpu_dev_emu.h"
#endif

#define DEV_WARP_SIZE 32
#define DEV_BODY static inline __attribute__((always_inline))
/* Before a loop over fragment registers: unroll it fully (the arrays then
 * live in registers). */
#if defined(__clang__)
#define DEV_UNROLL _Pragma("unroll")
#else
#define DEV_UNROLL _Pragma("GCC unroll 64")
#endif

#if DEV_HAS_WGMMA
/* The wgmma matrix descriptor of a shared-memory operand at p with the
 * 128-byte swizzle: rows of 128 bytes, 8-row groups SBO bytes apart, 64-element
 * column blocks LBO bytes apart (MN-major; unused K-major); the swizzle XORs
 * the 16-byte chunk bits 4..6 of each address with its bits 7..9, so p's
 * 8-row groups must start 1024-byte aligned (PTX ISA, "Matrix Descriptor
 * Format"). */
static inline uint64_t dev_wgmma_desc_sw128(const void *p, uint32_t lbo, uint32_t sbo)
{
    return (uint64_t)((dev_smem_addr(p) & 0x3ffff) >> 4) | (uint64_t)(lbo >> 4) << 16 |
           (uint64_t)(sbo >> 4) << 32 | (uint64_t)1 << 62;
}
/* The descriptor of the operand `bytes` (a multiple of 16) further on in
 * shared memory: one add to the start address field. */
static inline uint64_t dev_wgmma_desc_advance(uint64_t desc, uint32_t bytes)
{
    return desc + (bytes >> 4);
}
#endif

static inline int dev_linear_tid(void)
{
    return dev_tid(0) + dev_ntid(0) * (dev_tid(1) + dev_ntid(1) * dev_tid(2));
}
static inline int dev_lane(void) { return dev_linear_tid() % DEV_WARP_SIZE; }
static inline int dev_warp(void) { return dev_linear_tid() / DEV_WARP_SIZE; }

#endif
