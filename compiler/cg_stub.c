/* cg_stub.c - the GPU launch stubs of `--emit stubs` (cg_stub.h): PTX
 * files, the header of cg_header.c with GPU declarations added, and a C
 * file embedding the PTX with the attn_gpu_variant of every attention
 * variant, its forward launch and its GPU BlockMask builders (scans:
 * cg_stub_scan.c). */
#include <stdio.h>
#include <string.h>

#include "attn_gpu.h"
#include "cg_header.h"
#include "cg_stub.h"
#include "run_attention.h"

/* The attn_gpu_variant.ptx slot of sm target t. */
static int cg_stub_ptx_slot(CgTarget t)
{
    return t == CG_TARGET_SM90A ? ATTN_GPU_PTX_SM90A : ATTN_GPU_PTX_SM80;
}

static bool cg_stub_fail(const char *what, const char *path, char *err)
{
    snprintf(err, CG_ERR_LEN, "cannot %s '%.400s'", what, path);
    return false;
}

/* Writes text to path. */
static bool cg_stub_write_text(const char *path, const char *text, char *err)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return cg_stub_fail("write", path, err);
    fputs(text, f);
    return fclose(f) == 0 || cg_stub_fail("write", path, err);
}

/* The launch functions of a variant's stubs: the prototype (with %1$s the
 * prefix, %2$s the variant) and the runtime call the body returns. */
static const struct {
    const char *proto, *call;
} cg_stub_funcs[] = {
    {"attn_status %1$s_%2$s_forward_gpu(const DLTensor *q, const DLTensor *k, const DLTensor *v,\n"
     "    DLTensor *out, DLTensor *lse, const %1$s_%2$s_params *p, const attn_launch_opts *opts)",
     "attn_forward_gpu(&gv, ATTN_GPU_CUDA, q, k, v, out, lse, args, n, opts)"},
    {"attn_status %1$s_%2$s_block_mask_gpu(int64_t B, int64_t H, int64_t Q, int64_t KV,\n"
     "    const %1$s_%2$s_params *p, const attn_block_mask_opts *opts, attn_block_mask **out)",
     "attn_block_mask_build_gpu(&gv, ATTN_GPU_CUDA, B, H, Q, KV, args, n, opts, out)"},
    {"attn_status %1$s_%2$s_block_mask_cuda(int64_t B, int64_t H, int64_t Q, int64_t KV,\n"
     "    const %1$s_%2$s_params *p, const attn_block_mask_opts *opts, attn_block_mask **out)",
     "attn_block_mask_build_cuda(&gv, B, H, Q, KV, args, n, opts, out)"},
    {"attn_status %1$s_%2$s_plan_gpu(const DLTensor *q, const DLTensor *k, const DLTensor *v,\n"
     "    const DLTensor *out, const DLTensor *lse, const %1$s_%2$s_params *p,\n"
     "    const attn_launch_opts *opts, attn_gpu_plan **plan)",
     "attn_gpu_plan_create(&gv, q, k, v, out, lse, args, n, opts, plan)"},
};

/* The GPU declarations of variant v in STEM.h (a CgHeaderExtra). */
static void cg_stub_declare(FILE *f, const char *prefix, const attn_variant *v)
{
    const char *n = v->name;
    if (v->kind == ATTN_KIND_SCAN) {
        cg_stub_scan_declare(f, prefix, v);
        return;
    }
    fprintf(f, "\n/* %s's GPU kernels (%s.c): every specialisation of the GPU template with the\n"
               " * embedded PTX and a descriptor without host hooks (the kernels compute the\n"
               " * scale): %s.c and libattn suffice, %s.o is not needed. */\n",
            n, prefix, prefix, prefix);
    fprintf(f, "attn_gpu_variant %s_%s_gpu_variant(void);\n\n", prefix, n);
    fprintf(f, "/* attn_forward_gpu (attn_gpu.h) of %s on the CUDA device with parameters p\n"
               " * (NULL: all defaults): q, k, v f16 or bf16, all CPU or all CUDA tensors. */\n", n);
    fprintf(f, cg_stub_funcs[0].proto, prefix, n);
    fprintf(f, ";\n/* attn_block_mask_build_gpu (attn_gpu.h) of %s's mask on the CUDA device for\n"
               " * B x H heads of Q queries and KV keys with parameters p (NULL: all defaults). */\n", n);
    fprintf(f, cg_stub_funcs[1].proto, prefix, n);
    fprintf(f, ";\n/* The same BlockMask left in CUDA device memory for CUDA launches\n"
               " * (attn_block_mask_build_cuda, attn_gpu.h). */\n");
    fprintf(f, cg_stub_funcs[2].proto, prefix, n);
    fprintf(f, ";\n/* attn_gpu_plan_create (attn_gpu.h) of %s for these CUDA tensors' shapes with\n"
               " * parameters p: replay it with attn_gpu_plan_launch (capturable in CUDA graphs). */\n", n);
    fprintf(f, cg_stub_funcs[3].proto, prefix, n);
    fprintf(f, ";\n");
}

/* text as a C string literal, one literal per line of text. */
static void cg_stub_string(FILE *f, const char *text)
{
    fputs("    \"", f);
    for (const char *c = text; *c; c++) {
        if (*c == '\n')
            fputs(c[1] ? "\\n\"\n    \"" : "\\n", f);
        else if (*c == '"' || *c == '\\')
            fprintf(f, "\\%c", *c);
        else if (*c == '\t')
            fputs("\\t", f);
        else
            fputc(*c, f);
    }
    fputs("\"", f);
}

void cg_stub_ptx_list(FILE *f, const char *const *ptx_names)
{
    for (int s = 0; s < ATTN_GPU_PTX_COUNT; s++)
        fprintf(f, "%s%s", s ? ", " : "", ptx_names[s] ? ptx_names[s] : "NULL");
}

/* Variant v's kernel table and functions in STEM.c; ptx_names[slot] is
 * the C name of the PTX of that slot, or NULL. */
static void cg_stub_variant(FILE *f, Arena *arena, const char *prefix, const attn_variant *v,
                            const char *const *ptx_names)
{
    const char *n = v->name;
    const CgGpuSpec *specs;
    int nspecs = cg_gpu_specs(&specs);
    fprintf(f, "\n/* ---- attention %s */\n\n", n);
    fprintf(f, "static const attn_gpu_kernel %s_%s_kernels[%d] = {\n", prefix, n, nspecs);
    for (int i = 0; i < nspecs; i++)
        fprintf(f, "    {%s, %d, %d, \"%s_%s\", NULL},\n", specs[i].dtype == ATTN_F16 ? "ATTN_F16" : "ATTN_BF16",
                specs[i].d, specs[i].dv, n, cg_gpu_entry(arena, &specs[i]));
    fprintf(f, "};\n\n");
    fprintf(f, "attn_gpu_variant %s_%s_gpu_variant(void)\n{\n", prefix, n);
    cg_header_descriptor(f, v, NULL);
    fprintf(f, "    attn_gpu_variant gv = {&var, %s_%s_kernels, %d, {", prefix, n, nspecs);
    cg_stub_ptx_list(f, ptx_names);
    fprintf(f, "}, {");
    for (int i = 0; i < ATTN_GPU_BM_KERNELS; i++)
        fprintf(f, "%sNULL", i ? ", " : "");
    fprintf(f, "}, &%s_ptx_memo};\n    return gv;\n}\n\n", prefix);
    for (size_t i = 0; i < sizeof cg_stub_funcs / sizeof cg_stub_funcs[0]; i++) {
        fprintf(f, "%s", i ? "\n" : "");
        fprintf(f, cg_stub_funcs[i].proto, prefix, n);
        fprintf(f, "\n{\n");
        cg_header_args(f, prefix, v);
        fprintf(f, "    const attn_gpu_variant gv = %s_%s_gpu_variant();\n", prefix, n);
        fprintf(f, "    return %s;\n}\n", cg_stub_funcs[i].call);
    }
}

/* STEM.c: ptx[slot] (NULL where no target) and every variant's stubs. */
static bool cg_stub_write_c(Arena *arena, Decl *const *decls, int n, const char *const *ptx,
                            const char *stem, const char *source, char *err)
{
    const char *path = arena_printf(arena, "%s.c", stem), *prefix = cg_header_prefix(arena, stem);
    const char *base = strrchr(stem, '/') ? strrchr(stem, '/') + 1 : stem;
    static const char *const slot_names[ATTN_GPU_PTX_COUNT] = {"sm_80", "sm_90a"};
    const char *ptx_names[ATTN_GPU_PTX_COUNT] = {NULL};
    FILE *f = fopen(path, "w");
    if (!f)
        return cg_stub_fail("write", path, err);
    fprintf(f, "/* %s.c - generated by attnc from %s; do not edit.\n"
               " * GPU launch stubs: compile with runtime/include and link libattn. */\n",
            base, source);
    fprintf(f, "#include \"%s.h\"\n\n", base);
    fprintf(f, "/* The PTX strings are longer than ISO C's minimum limit (4095), which\n"
               " * -Wpedantic reports; GCC and Clang take strings of any length. */\n"
               "#if defined(__GNUC__)\n#pragma GCC diagnostic ignored \"-Woverlength-strings\"\n#endif\n");
    for (int s = 0; s < ATTN_GPU_PTX_COUNT; s++) {
        if (!ptx[s])
            continue;
        ptx_names[s] = arena_printf(arena, "%s_ptx_%s", prefix, slot_names[s]);
        fprintf(f, "\n/* The PTX of every kernel for %s. */\nstatic const char %s[] =\n", slot_names[s],
                ptx_names[s]);
        cg_stub_string(f, ptx[s]);
        fprintf(f, ";\n");
    }
    fprintf(f, "\n/* The CUDA modules loaded from the PTX above (attn_gpu.h). */\n"
               "static attn_cuda_module_memo %s_ptx_memo;\n", prefix);
    bool ok = true;
    for (int i = 0; i < n && ok; i++) {
        if (decls[i]->kind == DECL_SCAN) {
            ok = cg_stub_scan(f, arena, prefix, decls[i], ptx_names, err);
        } else if (decls[i]->kind == DECL_ATTENTION) {
            attn_variant v;
            run_attn_describe(arena, decls[i], &v);
            cg_stub_variant(f, arena, prefix, &v, ptx_names);
        }
    }
    return (fclose(f) == 0 || cg_stub_fail("write", path, err)) && ok;
}

bool cg_stub_write(Arena *arena, Decl *const *decls, int n, const CgTarget *targets, int ntargets,
                   const char *stem, const char *source, char *err)
{
    PtrVec kernels = {0};
    for (int i = 0; i < n; i++)
        if (decls[i]->kind == DECL_ATTENTION || decls[i]->kind == DECL_SCAN)
            ptrvec_push(arena, &kernels, decls[i]);
    if (!kernels.len) {
        snprintf(err, CG_ERR_LEN, "%.400s: no attention or scan declarations for GPU stubs", source);
        return false;
    }
    const char *ptx[ATTN_GPU_PTX_COUNT] = {NULL};
    for (int i = 0; i < ntargets; i++) {
        const char *text = cg_gpu_ptx(arena, (Decl *const *)kernels.items, kernels.len, targets[i], err);
        const char *path = ntargets == 1 ? arena_printf(arena, "%s.ptx", stem)
                                         : arena_printf(arena, "%s.%s.ptx", stem, cg_target_name(targets[i]));
        if (!text || !cg_stub_write_text(path, text, err))
            return false;
        ptx[cg_stub_ptx_slot(targets[i])] = text;
    }
    return cg_header_write_with(arena, decls, n, stem, source, "attn_scan_gpu.h", true, cg_stub_declare, err) &&
           cg_stub_write_c(arena, decls, n, ptx, stem, source, err);
}
