/* cg_header.h - `attnc FILE.attn -o NAME --emit header`: a C header for
 * linking compiled variants into applications (cg_header.c).
 *
 * The object NAME.o holds the kernels (per attention variant V the symbols
 * NAME_V_attn_fwd_cpu, NAME_V_attn_hook_scale, NAME_V_attn_hook_kv_ranges,
 * NAME_V_attn_hook_mask: every symbol it defines starts with NAME_, so the
 * objects of several outputs link together even with same-named variants);
 * NAME.h (C, and C++ through extern "C") declares them and adds, as static
 * inline C (no C compiler is needed at attnc run time, and nothing else has
 * to be linked but libattn):
 *   typedef struct NAME_V_params { ... } NAME_V_params;  one field per parameter
 *   NAME_V_params NAME_V_default_params(void);          defaults, tensors NULL
 *   const attn_variant *NAME_V_variant(void);           the runtime descriptor
 *   attn_status NAME_V_forward(q, k, v, out, lse, const NAME_V_params *p,
 *                              const attn_launch_opts *opts);
 * and per scan S (symbols NAME_S_attn_scan_rows, _scratch, _cpu;
 * cg_header_scan.c) the same params struct, defaults and descriptor, and
 *   typedef struct NAME_S_outputs { DLTensor *y; ... } NAME_S_outputs;
 *   attn_status NAME_S_scan(const NAME_S_params *p, const NAME_S_outputs *out,
 *                           const attn_launch_opts *opts);          (attn_scan) */
#ifndef ATTN_CG_HEADER_H
#define ATTN_CG_HEADER_H

#include <stdbool.h>
#include <stdio.h>

#include "ast.h"
#include "attn.h"

/* OUT without a trailing ".h" or ".o": the stem of NAME.h and NAME.o. */
const char *cg_header_stem(Arena *arena, const char *out);
/* Writes STEM.h for the attention and scan variants among decls[0..n) (sema-checked
 * without error) of `source`. False + err[CG_ERR_LEN] on failure. */
bool cg_header_write(Arena *arena, Decl *const *decls, int n, const char *stem, const char *source,
                     char *err);

/* For other generated files (cg_stub.c): */
/* "_" when `name` (a parameter or output) is a C or C++ keyword, else "":
 * its field in the P_V_params / P_V_outputs structs is name + suffix
 * (`int32_t int_;`), its runtime name stays `name`. */
const char *cg_header_field_suffix(const char *name);
/* The C identifier prefix of STEM.h: the stem's file name, with characters
 * outside [A-Za-z0-9_] replaced by '_'. */
const char *cg_header_prefix(Arena *arena, const char *stem);
/* Prints the body lines that turn `const P_V_params *p` (NULL: defaults)
 * into `attn_arg args[]` and `int32_t n` for variant v (as in P_V_forward). */
void cg_header_args(FILE *f, const char *prefix, const attn_variant *v);
/* Prints the body lines defining `static const attn_variant var` for v
 * (and the tables it points to; for a scan, `static const attn_scan_desc
 * scan`); hooks: the prefix P of NAME.o's symbols, whose P_V_attn_fwd_cpu
 * and hooks (scans: P_V_attn_scan_*) it points to, or NULL: every function
 * pointer NULL (no host object). */
void cg_header_descriptor(FILE *f, const attn_variant *v, const char *hooks);
/* Prints P_V_params, P_V_default_params() and P_V_variant() of v. */
void cg_header_params(FILE *f, const char *prefix, const attn_variant *v);
/* Prints the declarations of scan v (cg_header_scan.c). */
void cg_header_scan(FILE *f, const char *prefix, const attn_variant *v);
/* Prints the body line `DLTensor *outs[N] = {...}` of scan v's outputs,
 * read from `const P_V_outputs *out` (NULL: every output NULL). */
void cg_header_scan_outputs(FILE *f, const attn_variant *v);
/* Called after each variant's declarations in STEM.h (attention or scan:
 * v->kind). */
typedef void (*CgHeaderExtra)(FILE *f, const char *prefix, const attn_variant *v);
/* cg_header_write, with `include` (NULL: "attn.h") as the runtime header
 * STEM.h includes, `stubs` whether it heads the GPU launch stubs STEM.c
 * (its comment says what to link) and `extra` (may be NULL) adding
 * declarations per variant. */
bool cg_header_write_with(Arena *arena, Decl *const *decls, int n, const char *stem, const char *source,
                          const char *include, bool stubs, CgHeaderExtra extra, char *err);

#endif
