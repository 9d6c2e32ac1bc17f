/* cg_header_scan.c - the declarations of a scan variant in the header of
 * `--emit header` (cg_header.h): NAME.o's scan entries, the parameter and
 * output structs, the runtime descriptor and the launch. */
#include "cg_header.h"

void cg_header_scan_outputs(FILE *f, const attn_variant *v)
{
    int n = (int)v->scan->noutputs;
    fprintf(f, "    DLTensor *outs[%d] = {", n);
    for (int i = 0; i < n; i++)
        fprintf(f, "%sout ? out->%s%s : NULL", i ? ", " : "", v->scan->outputs[i].name,
                cg_header_field_suffix(v->scan->outputs[i].name));
    fprintf(f, "};\n");
}

void cg_header_scan(FILE *f, const char *prefix, const attn_variant *v)
{
    const char *n = v->name;
    fprintf(f, "\n/* ---- scan %s */\n\n", n);
    fprintf(f, "int64_t %s_%s_attn_scan_rows(const attn_ctx *ctx);\n", prefix, n);
    fprintf(f, "int64_t %s_%s_attn_scan_scratch(const attn_ctx *ctx);\n", prefix, n);
    fprintf(f, "void %s_%s_attn_scan_cpu(const attn_ctx *ctx, const attn_scan_io *io, float *scratch,\n"
               "    int64_t row_begin, int64_t row_end);\n\n", prefix, n);
    cg_header_params(f, prefix, v);
    fprintf(f, "/* %s's outputs: f32 CPU tensors of the declared shapes, any strides. */\n", n);
    fprintf(f, "typedef struct %s_%s_outputs {\n", prefix, n);
    for (int i = 0; i < v->scan->noutputs; i++)
        fprintf(f, "    DLTensor *%s%s;\n", v->scan->outputs[i].name,
                cg_header_field_suffix(v->scan->outputs[i].name));
    fprintf(f, "} %s_%s_outputs;\n\n", prefix, n);
    fprintf(f, "/* attn_scan (attn.h) of %s with parameters p (NULL: all defaults) into\n"
               " * out's tensors. */\n", n);
    fprintf(f, "static inline attn_status %s_%s_scan(const %s_%s_params *p, const %s_%s_outputs *out,\n"
               "    const attn_launch_opts *opts)\n{\n",
            prefix, n, prefix, n, prefix, n);
    cg_header_args(f, prefix, v);
    cg_header_scan_outputs(f, v);
    fprintf(f, "    return attn_scan(%s_%s_variant(), args, n, outs, %d, opts);\n}\n", prefix, n,
            (int)v->scan->noutputs);
}
