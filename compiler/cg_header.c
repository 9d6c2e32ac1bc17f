/* cg_header.c - the C header of `--emit header` (cg_header.h): per
 * variant its parameter struct, runtime descriptor (the data of
 * run_attn_describe / run_scan_describe, printed as C initializers) and,
 * for attention variants, entry points (scans: cg_header_scan.c). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cg.h"
#include "cg_header.h"
#include "run_attention.h"
#include "run_scan.h"

const char *cg_header_stem(Arena *arena, const char *out)
{
    size_t n = strlen(out);
    if (n > 2 && out[n - 2] == '.' && (out[n - 1] == 'h' || out[n - 1] == 'o'))
        n -= 2;
    return arena_strndup(arena, out, n);
}

const char *cg_header_prefix(Arena *arena, const char *stem)
{
    const char *base = strrchr(stem, '/') ? strrchr(stem, '/') + 1 : stem;
    char *p = arena_printf(arena, "%s%s", isdigit((unsigned char)base[0]) || !base[0] ? "_" : "", base);
    for (char *c = p; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '_')
            *c = '_';
    return p;
}

const char *cg_header_field_suffix(const char *name)
{
    /* C11/C23 and C++20 keywords, and stdbool.h's macros */
    static const char *const keywords[] = {
        "_Alignas", "_Alignof", "_Atomic", "_Bool", "_Complex", "_Generic", "_Imaginary", "_Noreturn",
        "_Static_assert", "_Thread_local", "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand",
        "bitor", "bool", "break", "case", "catch", "char", "char16_t", "char32_t", "char8_t", "class",
        "co_await", "co_return", "co_yield", "compl", "concept", "const", "const_cast", "consteval",
        "constexpr", "constinit", "continue", "decltype", "default", "delete", "do", "double",
        "dynamic_cast", "else", "enum", "explicit", "export", "extern", "false", "float", "for", "friend",
        "goto", "if", "inline", "int", "long", "mutable", "namespace", "new", "noexcept", "not", "not_eq",
        "nullptr", "operator", "or", "or_eq", "private", "protected", "public", "register",
        "reinterpret_cast", "requires", "restrict", "return", "short", "signed", "sizeof", "static",
        "static_assert", "static_cast", "struct", "switch", "template", "this", "thread_local", "throw",
        "true", "try", "typedef", "typeid", "typename", "typeof", "typeof_unqual", "union", "unsigned",
        "using", "virtual", "void", "volatile", "wchar_t", "while", "xor", "xor_eq"};
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
        if (strcmp(name, keywords[i]) == 0)
            return "_";
    return "";
}

/* A C float literal for v ("30.0f"; HUGE_VALF for infinities). */
static void cg_header_float(FILE *f, float v)
{
    if (isinf(v))
        fprintf(f, "%sHUGE_VALF", v < 0 ? "-" : "");
    else {
        char buf[64];
        snprintf(buf, sizeof buf, "%.9g", (double)v);
        fprintf(f, "%s%sf", buf, strpbrk(buf, ".e") ? "" : ".0");
    }
}

/* The C literal of scalar parameter p's default. */
static void cg_header_default(FILE *f, const attn_param_desc *p)
{
    if (p->kind == ATTN_PARAM_F32)
        cg_header_float(f, p->default_value.u.f);
    else
        fprintf(f, "%d", (int)p->default_value.u.i);
}

static const char *cg_header_ctype(const attn_param_desc *p)
{
    switch (p->kind) {
    case ATTN_PARAM_BOOL: return "bool";
    case ATTN_PARAM_I32: return "int32_t";
    case ATTN_PARAM_F32: return "float";
    default: return "const DLTensor *";
    }
}

static void cg_header_i64s(FILE *f, const int64_t *v, int n)
{
    for (int i = 0; i < n; i++)
        fprintf(f, "%s%lld", i ? ", " : "", (long long)v[i]);
}

static void cg_header_i32s(FILE *f, const int32_t *v, int n)
{
    for (int i = 0; i < n; i++)
        fprintf(f, "%s%d", i ? ", " : "", (int)v[i]);
}

/* static const attn_param_desc NAME[n] = {...}, when n > 0. */
static void cg_header_param_table(FILE *f, const char *name, const attn_param_desc *descs, int n)
{
    if (!n)
        return;
    fprintf(f, "    static const attn_param_desc %s[%d] = {\n", name, n);
    for (int i = 0; i < n; i++) {
        const attn_param_desc *p = &descs[i];
        fprintf(f, "        {\"%s\", (attn_param_kind)%d, %d, %d, {", p->name, (int)p->kind, (int)p->dtype,
                (int)p->rank);
        cg_header_i32s(f, p->dim_id, ATTN_MAX_RANK);
        fprintf(f, "}, {");
        cg_header_i64s(f, p->dim_const, ATTN_MAX_RANK);
        /* f32 defaults through ATTN_DEFAULT_F32 (attn.h): C++ before C++20
         * has no designated initializers; the others set u.i, the first member */
        fprintf(f, "}, %d, %d, %s", (int)p->pack_dim, (int)p->has_default,
                p->kind == ATTN_PARAM_F32 ? "ATTN_DEFAULT_F32(" : "{{");
        cg_header_default(f, p);
        fprintf(f, "%s},\n", p->kind == ATTN_PARAM_F32 ? ")" : "}}");
    }
    fprintf(f, "    };\n");
}

/* static const tables params[], outputs[] (scans) and preconds[]. */
static void cg_header_tables(FILE *f, const attn_variant *v)
{
    cg_header_param_table(f, "params", v->params, v->nparams);
    if (v->scan)
        cg_header_param_table(f, "outputs", v->scan->outputs, v->scan->noutputs);
    if (v->npreconds) {
        fprintf(f, "    static const attn_precond preconds[%d] = {\n", (int)v->npreconds);
        for (int i = 0; i < v->npreconds; i++) {
            const attn_precond *c = &v->preconds[i];
            fprintf(f, "        {%d, %d, %lld, %d, {", (int)c->param, (int)c->axis, (long long)c->c,
                    (int)c->nterms);
            cg_header_i32s(f, c->dim, 4);
            fprintf(f, "}, {");
            cg_header_i64s(f, c->coef, 4);
            fprintf(f, "}},\n");
        }
        fprintf(f, "    };\n");
    }
}

void cg_header_args(FILE *f, const char *prefix, const attn_variant *v)
{
    const char *n = v->name;
    /* zeroed by memset, which C and C++ accept without warnings (`= {0}`
     * warns in C++ with -Wextra); with no parameters args is passed
     * untouched (n = 0) */
    fprintf(f, "    attn_arg args[%d];\n    int32_t n = 0;\n    memset(args, 0, sizeof args);\n",
            (int)v->nparams + 1);
    if (v->nparams)
        fprintf(f, "    const %s_%s_params d = %s_%s_default_params();\n    if (!p)\n        p = &d;\n", prefix,
                n, prefix, n);
    else
        fprintf(f, "    (void)p;\n");
    static const char *const makers[] = {"attn_arg_bool", "attn_arg_i32", "attn_arg_f32", "attn_arg_tensor",
                                         "attn_arg_pack"};
    for (int i = 0; i < v->nparams; i++) {
        const attn_param_desc *p = &v->params[i];
        if (p->kind >= ATTN_PARAM_TENSOR)
            fprintf(f, "    if (p->%s%s)\n    ", p->name, cg_header_field_suffix(p->name));
        fprintf(f, "    args[n++] = %s(%d, p->%s%s);\n", makers[p->kind], i, p->name,
                cg_header_field_suffix(p->name));
    }
}

void cg_header_descriptor(FILE *f, const attn_variant *v, const char *hooks)
{
    const char *n = v->name;
    const attn_scan_desc *scan = v->scan;
    fprintf(f, "    static const char *const dims[%d] = {", (int)v->ndims);
    for (int i = 0; i < v->ndims; i++)
        fprintf(f, "%s\"%s\"", i ? ", " : "", v->dims[i]);
    fprintf(f, "};\n");
    cg_header_tables(f, v);
    if (scan) {
        fprintf(f, "    static const attn_scan_desc scan = {%s, %d, %d,", scan->noutputs ? "outputs" : "NULL",
                (int)scan->noutputs, (int)scan->axis_dim);
        if (hooks)
            fprintf(f, "\n        %s_%s_attn_scan_rows, %s_%s_attn_scan_scratch, %s_%s_attn_scan_cpu};\n", hooks, n,
                    hooks, n, hooks, n);
        else
            fprintf(f, " NULL, NULL, NULL};\n");
    }
    fprintf(f, "    static const attn_variant var = {\"%s\", %s, dims, %d, %s, %d, %s, %d,\n", n,
            scan ? "ATTN_KIND_SCAN" : "ATTN_KIND_ATTENTION", (int)v->ndims, v->nparams ? "params" : "NULL",
            (int)v->nparams, v->npreconds ? "preconds" : "NULL", (int)v->npreconds);
    if (scan)
        fprintf(f, "        NULL, NULL, NULL, &scan, NULL,");
    else if (hooks)
        fprintf(f, "        %s_%s_attn_fwd_cpu, %s_%s_attn_hook_scale, %s_%s_attn_hook_kv_ranges, NULL,\n"
                   "        %s_%s_attn_hook_mask,", hooks, n, hooks, n, hooks, n, hooks, n);
    else
        fprintf(f, "        NULL, NULL, NULL, NULL, NULL,");
    fprintf(f, " %d, %d, %d, %d};\n", (int)v->needs_block_mask, (int)v->mask_independent_of_b,
            (int)v->mask_independent_of_h, (int)v->mask_reads_launch_dims);
}

void cg_header_params(FILE *f, const char *prefix, const attn_variant *v)
{
    const char *n = v->name;
    fprintf(f, "/* %s's parameters: scalars by value, tensors as DLTensors, packs as their\n"
               " * int32 offsets (cu_seqlens). A NULL tensor or pack is reported as missing. */\n", n);
    fprintf(f, "typedef struct %s_%s_params {\n", prefix, n);
    for (int i = 0; i < v->nparams; i++)
        fprintf(f, "    %s%s%s%s;\n", cg_header_ctype(&v->params[i]),
                v->params[i].kind >= ATTN_PARAM_TENSOR ? "" : " ", v->params[i].name,
                cg_header_field_suffix(v->params[i].name));
    if (!v->nparams)
        fprintf(f, "    int unused; /* %s has no parameters */\n", n);
    fprintf(f, "} %s_%s_params;\n\n", prefix, n);
    fprintf(f, "/* The declared defaults; parameters without one are zero, tensors NULL. */\n");
    fprintf(f, "static inline %s_%s_params %s_%s_default_params(void)\n{\n", prefix, n, prefix, n);
    fprintf(f, "    %s_%s_params p;\n    memset(&p, 0, sizeof p);\n", prefix, n);
    for (int i = 0; i < v->nparams; i++) {
        const attn_param_desc *p = &v->params[i];
        if (!p->has_default)
            continue;
        fprintf(f, "    p.%s%s = ", p->name, cg_header_field_suffix(p->name));
        cg_header_default(f, p);
        fprintf(f, ";\n");
    }
    fprintf(f, "    return p;\n}\n\n");
    fprintf(f, "static inline const attn_variant *%s_%s_variant(void)\n{\n", prefix, n);
    cg_header_descriptor(f, v, prefix);
    fprintf(f, "    return &var;\n}\n\n");
}

/* The declarations of one attention variant, names prefixed P_V. */
static void cg_header_variant(FILE *f, const char *prefix, const attn_variant *v)
{
    const char *n = v->name;
    fprintf(f, "\n/* ---- attention %s */\n\n", n);
    fprintf(f, "void %s_%s_attn_fwd_cpu(const attn_fwd_args *args, const attn_ctx *ctx, int32_t b,\n"
               "    int32_t h, int32_t qblock);\n", prefix, n);
    fprintf(f, "float %s_%s_attn_hook_scale(const attn_ctx *ctx);\n", prefix, n);
    fprintf(f, "int32_t %s_%s_attn_hook_kv_ranges(int32_t b, int32_t h, int32_t q0, int32_t q1,\n"
               "    const attn_ctx *ctx, attn_kv_range *out);\n", prefix, n);
    fprintf(f, "int32_t %s_%s_attn_hook_mask(int32_t b, int32_t h, int32_t q, int32_t kv,\n"
               "    const attn_ctx *ctx);\n\n", prefix, n);
    cg_header_params(f, prefix, v);
    fprintf(f, "/* attn_forward (attn.h) of %s with parameters p (NULL: all defaults). */\n", n);
    fprintf(f, "static inline attn_status %s_%s_forward(const DLTensor *q, const DLTensor *k, const DLTensor *v,\n"
               "    DLTensor *out, DLTensor *lse, const %s_%s_params *p, const attn_launch_opts *opts)\n{\n",
            prefix, n, prefix, n);
    cg_header_args(f, prefix, v);
    fprintf(f, "    return attn_forward(%s_%s_variant(), q, k, v, out, lse, args, n, opts);\n}\n", prefix, n);
}

bool cg_header_write(Arena *arena, Decl *const *decls, int n, const char *stem, const char *source,
                     char *err)
{
    return cg_header_write_with(arena, decls, n, stem, source, NULL, false, NULL, err);
}

bool cg_header_write_with(Arena *arena, Decl *const *decls, int n, const char *stem, const char *source,
                          const char *include, bool stubs, CgHeaderExtra extra, char *err)
{
    const char *path = arena_printf(arena, "%s.h", stem), *prefix = cg_header_prefix(arena, stem);
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, CG_ERR_LEN, "cannot write '%.400s'", path);
        return false;
    }
    fprintf(f, "/* %s.h - generated by attnc from %s; do not edit.\n", prefix, source);
    if (stubs)
        fprintf(f, " * Link %s.c and libattn (%s_V_forward, %s_V_scan and %s_V_variant also\n"
                   " * need %s.o, written by --emit header);",
                prefix, prefix, prefix, prefix, prefix);
    else
        fprintf(f, " * Link %s.o and libattn;", prefix);
    fprintf(f, " compile with runtime/include (or find_package(attn)). */\n");
    fprintf(f, "#ifndef %s_ATTNC_H\n#define %s_ATTNC_H\n\n", prefix, prefix);
    fprintf(f, "#include <math.h>\n#include <stdbool.h>\n#include <stdint.h>\n#include <string.h>\n\n"
               "#include \"%s\"\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n", include ? include : "attn.h");
    for (int i = 0; i < n; i++) {
        attn_variant v;
        attn_scan_desc scan;
        if (decls[i]->kind == DECL_ATTENTION) {
            run_attn_describe(arena, decls[i], &v);
            cg_header_variant(f, prefix, &v);
        } else if (decls[i]->kind == DECL_SCAN) {
            run_scan_describe(arena, decls[i], &v, &scan);
            cg_header_scan(f, prefix, &v);
        } else
            continue;
        if (extra)
            extra(f, prefix, &v);
    }
    fprintf(f, "\n#ifdef __cplusplus\n}\n#endif\n\n#endif\n");
    if (fclose(f) != 0) {
        snprintf(err, CG_ERR_LEN, "cannot write '%.400s'", path);
        return false;
    }
    return true;
}
