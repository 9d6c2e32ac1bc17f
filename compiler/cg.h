/* cg.h - code generation: target machines, kernel templates, linking,
 * optimisation, emission and the in-process JIT. The only LLVM users besides
 * lower_*.c.
 *
 * A variant is compiled by instantiating a kernel template (bitcode embedded
 * in attnc, cg_template.c) with the variant's hook module (lower.h):
 *
 *     template copy + attn_math + hooks --link--> instance
 *     instance: entries renamed <variant>_<entry>, on x86 the scale hook exported as
 *               <variant>_attn_hook_scale, everything else internal
 *     instances of all variants --link--> one module --default<O3>--> emit / JIT
 *
 * A template's entries are its non-static function definitions. Errors are
 * reported as one line in a caller buffer of CG_ERR_LEN bytes. */
#ifndef ATTN_CG_H
#define ATTN_CG_H

#include <stdbool.h>
#include <stddef.h>

#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>

#include "ast.h"

enum { CG_ERR_LEN = 512 };

typedef enum CgTarget { CG_TARGET_X86, CG_TARGET_SM80, CG_TARGET_SM90A, CG_TARGET_COUNT } CgTarget;

typedef enum CgEmit {
    CG_EMIT_OBJ,  /* object file */
    CG_EMIT_ASM,  /* assembly; PTX text for sm targets */
    CG_EMIT_LLVM, /* LLVM IR text */
} CgEmit;

/* cg_target.c */
/* "cpu", "sm_80", "sm_90a" -> target; false for anything else. */
bool cg_target_parse(const char *name, CgTarget *out);
const char *cg_target_name(CgTarget t);
bool cg_target_is_gpu(CgTarget t);
/* A new target machine (caller disposes). x86: the host CPU and its
 * features when `host`, else the portable x86-64-v3. nvptx64: sm_80 / sm_90a
 * with PTX ISA 8.0 (accepted by the CUDA 12+ ptxas). NULL + err on failure. */
LLVMTargetMachineRef cg_target_machine(CgTarget t, bool host, char *err);
/* The data layout string of tm (caller frees with LLVMDisposeMessage). */
char *cg_data_layout(LLVMTargetMachineRef tm);

/* cg_template.c */
/* The embedded bitcode of (the first part of) template `name` for target t;
 * false if absent. */
bool cg_template_bitcode(const char *name, CgTarget t, const unsigned char **data, size_t *size);
/* Parses a fresh copy of the template into ctx, its parts linked into one
 * module. NULL + err if absent. */
LLVMModuleRef cg_template_load(LLVMContextRef ctx, const char *name, CgTarget t, char *err);
/* The template an attention variant is instantiated from on target t:
 * attn_fwd_cpu (x86), attn_fwd_gpu (sm targets, one entry per
 * specialisation, kernels/attn_gpu_specs.h). The emulated GPU kernels come
 * from CG_TEMPLATE_GPU_EMU on the x86 target (cg_jit_create). */
const char *cg_attention_template(CgTarget t);
#define CG_TEMPLATE_GPU_EMU "attn_fwd_gpu_emu"
/* The GPU BlockMask builder alone for the emulator (kernels/blockmask_gpu.c;
 * also a part of CG_TEMPLATE_GPU_EMU): a quick JIT for its tests. */
#define CG_TEMPLATE_BM_GPU_EMU "blockmask_gpu_emu"
/* The templates scans are instantiated from: the CPU one (x86;
 * kernels/scan_cpu.c), the GPU one (sm targets; kernels/scan_gpu.c) and the
 * GPU one for the SIMT emulator (x86). */
#define CG_TEMPLATE_SCAN_CPU "scan_cpu"
#define CG_TEMPLATE_SCAN_GPU "scan_gpu"
#define CG_TEMPLATE_SCAN_GPU_EMU "scan_gpu_emu"
/* The scan template for target t when attention variants use `tmpl`: the GPU
 * one on sm targets, the emulated GPU one when tmpl is CG_TEMPLATE_GPU_EMU or
 * CG_TEMPLATE_SCAN_GPU_EMU, else the CPU one. */
const char *cg_scan_template(CgTarget t, const char *tmpl);

/* cg_link.c */
/* Builds the module of attention variants decls[0..n) instantiated from
 * template `tmpl` for target t (see the header comment), with function
 * attributes set for tm and, when `optimize`, default<O3> run. Scratch
 * memory from `arena`. NULL + err on failure. */
LLVMModuleRef cg_build(LLVMContextRef ctx, LLVMTargetMachineRef tm, CgTarget t, Arena *arena,
                       Decl *const *decls, int n, const char *tmpl, bool optimize, char *err);
/* The IR verifier on m; false + err (first line of its report) if broken. */
bool cg_verify(LLVMModuleRef m, char *err);

/* cg_optimize.c */
/* Template code that is the same for every variant sits in this section
 * (kernels/attn_fwd_cpu.c, CPU_FIXED): it calls no hook, is never inlined,
 * and the build optimized it already (cmake/AttnKernels.cmake). */
#define CG_FIXED_SECTION ".text.attn_fixed"
/* Runs default<O3> on m for tm, except on the bodies of CG_FIXED_SECTION
 * functions, which are split off meanwhile and linked back unchanged (about
 * half of a one-variant compile is saved: bench/README.md). false + err on
 * failure (m is then unusable). */
bool cg_optimize(LLVMModuleRef m, LLVMTargetMachineRef tm, char *err);

/* cg_emit.c */
/* Writes m to `path` as kind (asm = PTX for nvptx machines). */
bool cg_emit_file(LLVMModuleRef m, LLVMTargetMachineRef tm, CgEmit kind, const char *path,
                  char *err);
/* Renames every symbol m defines for other objects (functions and globals
 * with a body or initializer, not internal) to PREFIX_NAME, so that objects
 * of several attnc outputs holding same-named variants link together.
 * false + err when a name would exceed 1 KiB. */
bool cg_prefix_symbols(LLVMModuleRef m, const char *prefix, char *err);

/* cg_gpu.c: the GPU attention template's specialisations and PTX. */
/* One specialisation (kernels/attn_gpu_specs.h): dtype ATTN_F16 or ATTN_BF16
 * (attn_abi.h), head dims d (q, k) and dv (v, out). */
typedef struct CgGpuSpec {
    int dtype, d, dv;
} CgGpuSpec;
/* The embedded specialisations; returns how many. */
int cg_gpu_specs(const CgGpuSpec **out);
/* The entry of specialisation s without the variant prefix:
 * attn_fwd_gpu_<f16|bf16>_d<D>[_dv<DV>] (the _dv part only when DV != D).
 * A variant V's kernel is V_<entry>, in PTX and in the emu JIT. */
const char *cg_gpu_entry(Arena *arena, const CgGpuSpec *s);
/* The PTX text (NUL-terminated, in `arena`) of the GPU attention kernels of
 * decls[0..n) for sm target t: every specialisation of every variant and
 * its GPU BlockMask builder (V_attn_bm_gpu_*, kernels/blockmask_gpu.c),
 * hooks inlined, nothing else visible. NULL + err on failure. */
const char *cg_gpu_ptx(Arena *arena, Decl *const *decls, int n, CgTarget t, char *err);

/* cg_jit.c: in-process compilation for the host CPU (attnc run --device cpu),
 * and of the emulated GPU kernels (tmpl CG_TEMPLATE_GPU_EMU, --device emu):
 * those call the SIMT emulator's emu_dev_* functions, which the JIT resolves
 * from the process (link attn_emu whole and export its symbols). */
typedef struct CgJit CgJit;
/* Compiles variants decls[0..n) from template `tmpl` for the host. NULL + err on failure. */
CgJit *cg_jit_create(Arena *arena, Decl *const *decls, int n, const char *tmpl, char *err);
/* Address of <variant>_<entry> (e.g. "attn_fwd_cpu", "attn_hook_scale"); NULL + err if absent. */
void *cg_jit_lookup(CgJit *j, const char *variant, const char *entry, char *err);
void cg_jit_free(CgJit *j);

#endif
