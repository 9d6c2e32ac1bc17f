/* gpu_bm_case.h - GPU attention launches that walk a BlockMask (tests/gpu):
 * random BlockMasks over a GpuCase, and attn_forward_gpu with one checked
 * against attn_forward (the CPU kernel) with the same BlockMask. Shared by
 * test_gpu_forward (emulator) and test_gpu_cuda (CUDA). */
#ifndef GPU_BM_CASE_H
#define GPU_BM_CASE_H

#include "gpu_launch.h"

/* A BlockMask for case c's B, H, Q and KV with blocks of ATTN_CPU_BLOCK_Q x
 * block_kv, stored for 1 x H heads when shared_b (else B x H), each block
 * empty, partial or full at random (seed), except that blocks r % nkvb and
 * nkvb - 1 - r % nkvb of stored row r are always empty (so that most rows
 * lose keys, also under masks or score mods that favour early or late
 * keys); tables from `arena`, key side
 * only (the q-side tables are NULL: no kernel reads them). */
attn_block_mask gpu_bm_random(Arena *arena, const GpuCase *c, int32_t block_kv, bool shared_b,
                              uint32_t seed);

/* Runs c with BlockMask bm through attn_forward_gpu(gv, dev) and through
 * attn_forward(cpu), where cpu is a host variant (CPU kernel) with gv's
 * parameters, and compares them as gpu_case_compare does. With
 * must_differ, the CPU result must also differ from c's dense reference
 * (the BlockMask hides visible keys), so that a launch ignoring bm fails.
 * On CUDA, the launch with bm copied to the device (attn_block_mask_to_cuda)
 * must also give the same bits.
 * Prints "ok   WHAT" or "FAIL WHAT: ..."; returns whether all held. */
bool gpu_bm_check(Arena *arena, const attn_gpu_variant *gv, attn_gpu_device dev,
                  const attn_variant *cpu, const GpuCase *c, const attn_block_mask *bm,
                  bool must_differ, const char *what);

/* A BlockMask case: the shape, keys per block of the random BlockMask and
 * whether its tables are shared along B. */
typedef struct GpuBmCase {
    GpuShape s;
    int32_t block_kv;
    bool shared_b;
} GpuBmCase;

/* Case bc of attention d (compiled gv; cpu its host variant), arguments from
 * settings and seed, on dev: with `own`, first the launch without a
 * BlockMask (checked against the interpreter; a variant whose analysis is
 * dense gets one built per launch) and with the variant's own BlockMask
 * (attn_block_mask_build; cpu must carry mask_fn), then with a random
 * BlockMask (must_differ).
 * Skipped when gpu_case_fit changes the shape's Q (packs, tensors over KV).
 * Returns the failures. */
int gpu_bm_case_run(Arena *arena, const Decl *d, const attn_gpu_variant *gv, attn_gpu_device dev,
                    const attn_variant *cpu, const GpuBmCase *bc, const GpuSetting *settings,
                    int nsettings, uint32_t seed, bool own);

#endif
